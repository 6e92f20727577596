"""init against its floor, side by side in one run.

Floor: the same finished tree copied with cp, then `git init`, `git add`, `git commit` and two more
branches — what any scaffolder must at least do, with no Python start-up at all.
Measured: `python -m jupyter_mlops init PATH --yes` as a user runs it (process start included), with Python's
compiled bytecode as an installed package has it (pip compiles at install; an editable install writes it on first
import): the runs share a bytecode cache folder, even where PYTHONDONTWRITEBYTECODE is set.
Goal: median ratio ≤ 3. The machine's load average is printed with the figures (run it when the machine is quiet).
Also timed, for reading the ratio: the interpreter's own start (`python -c pass`, which runs the site folder's
.pth files: whatever the machine installs there counts against init and not the floor).

    python benchmarks/bench_init.py [--rounds 15] [--against OTHER_CHECKOUT ...]

``--against``: also time init from another checkout (a worktree of main, say) in the same rounds, to compare two
versions through the same machine noise: each version then runs with its folder on PYTHONPATH, this one included,
and the CPU time (user + system, with git's) is printed beside the wall time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = (
    'cp -r "$SRC" "$DST" && cd "$DST" && git init -q -b development && git add -A && '
    "git commit -q -m scaffold && git branch staging && git branch production"
)


def timed(cmd: list[str], env: dict, cpu: list[float] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--against", action="append", default=[], metavar="CHECKOUT", help="another version's folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-init-"))
    env = dict(
        {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        PYTHONPYCACHEPREFIX=str(work / "pycache"),
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
    )
    try:
        # The finished tree the floor copies: exactly what init writes, without .git.
        subprocess.run(
            [sys.executable, "-m", "jupyter_mlops", "init", str(work / "reference"), "--yes"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(work / "reference" / ".git")
        ours, floor, python = [], [], []
        # --against: each version (this checkout first) -> its wall and CPU times, its folder on PYTHONPATH
        folders = [str(Path(p).resolve()) for p in [Path(__file__).resolve().parents[1], *args.against]]
        versions: dict[str, tuple[list[float], list[float]]] = {folder: ([], []) for folder in folders}
        for i in range(args.rounds):  # interleaved, so machine noise hits both alike
            floor.append(
                timed(["bash", "-c", FLOOR], dict(env, SRC=str(work / "reference"), DST=str(work / f"floor{i}")))
            )
            ours.append(timed([sys.executable, "-m", "jupyter_mlops", "init", str(work / f"ours{i}"), "--yes"], env))
            python.append(timed([sys.executable, "-c", "pass"], env))
            for v in random.sample(range(len(folders)), len(folders)) if args.against else ():
                version_env = dict(env, PYTHONPATH=folders[v], PYTHONPYCACHEPREFIX=str(work / f"pycache-v{v}"))
                walls, cpus = versions[folders[v]]
                command = [sys.executable, "-m", "jupyter_mlops", "init", str(work / f"v{v}-{i}"), "--yes"]
                walls.append(timed(command, version_env, cpus))
        files = sum(1 for p in (work / "reference").rglob("*") if p.is_file())
        f, o = statistics.median(floor), statistics.median(ours)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"files in the tree: {files}; rounds: {args.rounds}; load average (1, 5, 15 min): {load}")
        print(f"floor (cp + git init/add/commit + 2 branches): median {f * 1000:.1f} ms")
        print(f"jupyter mlops init --yes:                       median {o * 1000:.1f} ms")
        print(f"python -c pass (the interpreter's start alone): median {statistics.median(python) * 1000:.1f} ms")
        print(f"ratio init / floor: {o / f:.2f}x (goal <= 3x)")
        for folder, (walls, cpus) in versions.items() if args.against else ():
            w, c = statistics.median(walls), statistics.median(cpus)
            print(f"{folder}: wall median {w * 1000:.1f} ms ({w / f:.2f}x), CPU median {c * 1000:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
