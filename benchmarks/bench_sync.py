"""sync against copier, side by side in one run: bringing one organisation-wide config change to N projects.

Ours: a main config repo and N projects made from it by `jupyter mlops new` (local bare remotes); the
main repo changes each branch's platform.yaml; timed: `python -m jupyter_mlops sync MAIN --all` as a
user runs it (process start included), which fetches, merges and pushes 3 branches of every project.
Peer: an equivalent copier template (the same files; project-owned ones templated on the project's
name) copied into N projects at v1; the template changes platform.yaml (v2); timed: `copier update`
in each project, one branch each (copier has no notion of a project's three branches).

Printed: time per project and per project-branch for N = 10, 30, 50, the scaling (time per project
should not grow with N: linear in N), and ours ÷ copier per project (goal ≤ 0.5).

    pip install -e ".[bench]" && python benchmarks/bench_sync.py [--sizes 10,30,50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BRANCHES = ("development", "staging", "production")
NEW_HOST = "https://kubeflow.acme.example/pipeline"


def run(cmd: list[str], cwd: Path, env: dict) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed in {cwd}:\n{proc.stderr[-2000:]}")


def git(cwd: Path, env: dict, *args: str) -> None:
    run(["git", *args], cwd, env)


def set_host(folder: Path, branch: str) -> None:
    path = folder / "src" / "pipelines" / branch / "platform.yaml"
    text = path.read_text()
    start = text.index("  host:")
    end = text.index("\n", start)
    path.write_text(text[:start] + f'  host: "{NEW_HOST}"' + text[end:])


# ---------------------------------------------------------------- ours


def setup_ours(work: Path, n: int, env: dict) -> Path:
    from jupyter_mlops.operations.new import apply_new, plan_new

    main, bare = work / "main", work / "remotes" / "main.git"
    run([sys.executable, "-m", "jupyter_mlops", "init", str(main), "--main", "--yes"], work, env)
    bare.parent.mkdir(parents=True)
    git(work, env, "init", "-q", "--bare", "-b", "development", str(bare))
    run([sys.executable, "-m", "jupyter_mlops", "push", str(main), "--remote", str(bare), "--yes"], work, env)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        for i in range(n):
            name = f"project-{i:03d}"
            apply_new(plan_new(name, str(bare), remote_url=str(work / "remotes" / f"{name}.git"), cwd=work))
    finally:
        os.environ.clear()
        os.environ.update(old)
    for b in BRANCHES:  # the organisation's change, on every branch
        git(main, env, "checkout", "-q", b)
        set_host(main, b)
        git(main, env, "commit", "-q", "-am", "platform: the organisation's Kubeflow")
    git(main, env, "push", "-q", "origin", *BRANCHES)
    return main


def time_ours(main: Path, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops", "sync", str(main), "--all"], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "updated" not in proc.stdout:
        raise SystemExit(f"sync --all failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


# ---------------------------------------------------------------- copier


def make_copier_template(work: Path, main: Path, env: dict) -> Path:
    """The main repo's development tree as a copier template; project-owned text files templated on the name."""
    from jupyter_mlops.scaffold.ownership import parse

    tmpl = work / "copier-template"
    git(work, env, "clone", "-q", "--branch", "development", str(main), str(tmpl))
    shutil.rmtree(tmpl / ".git")
    ownership = parse((tmpl / ".mlops" / "ownership.toml").read_text())
    from jupyter_mlops.settings.spec import loads

    main_name = loads((tmpl / "mlops.toml").read_text()).name
    for path in sorted(p for p in tmpl.rglob("*") if p.is_file()):
        rel = str(path.relative_to(tmpl))
        if ownership.is_project(rel):
            text = path.read_text()
            if main_name in text:
                path.with_name(path.name + ".jinja").write_text(
                    "{% raw %}" + text.replace(main_name, "{% endraw %}{{ project_name }}{% raw %}") + "{% endraw %}"
                )
                path.unlink()
    (tmpl / "copier.yml").write_text(
        "project_name:\n  type: str\n  help: the project's name\n"
        "_answers_file: .copier-answers.yml\n_templates_suffix: .jinja\n"
    )
    # copier's documented answers-file template: update needs it to find the version a project came from
    (tmpl / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers|to_nice_yaml -}}\n")
    git(tmpl, env, "init", "-q", "-b", "main")
    git(tmpl, env, "add", "-A")
    git(tmpl, env, "commit", "-q", "-m", "v1")
    git(tmpl, env, "tag", "v1")
    return tmpl


def setup_copier(work: Path, tmpl: Path, n: int, env: dict) -> list[Path]:
    projects = []
    for i in range(n):
        dst = work / "copier-projects" / f"project-{i:03d}"
        run(
            [
                "copier",
                "copy",
                "--trust",
                "--defaults",
                "--quiet",
                "-d",
                f"project_name=project-{i:03d}",
                "--vcs-ref",
                "v1",
                str(tmpl),
                str(dst),
            ],
            work,
            env,
        )
        git(dst, env, "init", "-q", "-b", "development")
        git(dst, env, "add", "-A")
        git(dst, env, "commit", "-q", "-m", "from the template")
        projects.append(dst)
    return projects


def template_v2(tmpl: Path, env: dict) -> None:
    for b in BRANCHES:
        set_host(tmpl, b)
    git(tmpl, env, "commit", "-q", "-am", "v2: the organisation's Kubeflow")
    git(tmpl, env, "tag", "v2")


def time_copier(projects: list[Path], env: dict) -> float:
    start = time.perf_counter()
    for dst in projects:
        run(["copier", "update", "--trust", "--defaults", "--quiet", "--skip-answered"], dst, env)
    elapsed = time.perf_counter() - start
    if NEW_HOST not in (projects[-1] / "src" / "pipelines" / "staging" / "platform.yaml").read_text():
        raise SystemExit("copier update did not bring the change")
    return elapsed


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,30,50")
    args = parser.parse_args()
    if shutil.which("copier") is None:
        raise SystemExit("copier is not installed: pip install -e '.[bench]'")
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"bench-sync-{n}-"))
        home = work / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.org\n")
        env = dict(
            os.environ,
            HOME=str(home),
            GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
            GIT_CONFIG_NOSYSTEM="1",
            XDG_DATA_HOME=str(work / "data"),
        )
        try:
            main_repo = setup_ours(work, n, env)
            tmpl = make_copier_template(work, main_repo, env)
            projects = setup_copier(work, tmpl, n, env)
            template_v2(tmpl, env)
            ours = time_ours(main_repo, env)
            peer = time_copier(projects, env)
            rows.append((n, ours, peer))
            print(
                f"N={n:3d}: sync --all {ours:7.2f} s ({ours / n * 1000:6.1f} ms/project, "
                f"{ours / (3 * n) * 1000:5.1f} ms/project-branch) | copier update {peer:7.2f} s "
                f"({peer / n * 1000:6.1f} ms/project, 1 branch each) | ours/copier per project "
                f"{(ours / n) / (peer / n):.2f}",
                flush=True,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    first = rows[0]
    print()
    print("scaling (time per project relative to the smallest N; 1.00 = linear in N):")
    for n, ours, peer in rows:
        ours_scale, peer_scale = (ours / n) / (first[1] / first[0]), (peer / n) / (first[2] / first[0])
        print(f"  N={n:3d}: ours {ours_scale:.2f}  copier {peer_scale:.2f}")
    worst = max((ours / n) / (peer / n) for n, ours, peer in rows)
    print(
        f"ours / copier per project, worst over N: {worst:.2f} (goal <= 0.5; ours merges 3 branches per "
        "project, copier updates 1)"
    )


if __name__ == "__main__":
    main()
