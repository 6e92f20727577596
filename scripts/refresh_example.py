"""Regenerate examples/wine-quality/ with the tool itself, so the committed example never goes stale.

The example is what `jupyter mlops init wine-quality --yes` writes (the wine-quality example pipeline, the
placeholder license: nothing in it depends on the date, the machine or the user), committed as plain files:
the generated repository's own .git is left out.

    python scripts/refresh_example.py          # rewrite examples/wine-quality/
    python scripts/refresh_example.py --check  # exit 1 and list the differences when the example is stale
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "wine-quality"
NAME = "wine-quality"
# The settings the example is generated with; everything else is the tool's default.
SETTINGS = ("example=true", "license=placeholder")
# A fixed identity for the generated repository's first commit (the commit itself is not kept).
IDENTITY = {
    "GIT_AUTHOR_NAME": "jupyter-mlops example",
    "GIT_AUTHOR_EMAIL": "example@jupyter-mlops.invalid",
    "GIT_COMMITTER_NAME": "jupyter-mlops example",
    "GIT_COMMITTER_EMAIL": "example@jupyter-mlops.invalid",
}


def generate(parent: Path) -> Path:
    """Run `jupyter mlops init` (this checkout's code) into ``parent/wine-quality``; return that folder."""
    target = parent / NAME
    home = parent / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(IDENTITY, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "jupyter_mlops", "init", str(target), "--yes"]
    for setting in SETTINGS:
        args += ["--set", setting]
    proc = subprocess.run(args, cwd=parent, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"jupyter mlops init failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    shutil.rmtree(target / ".git")
    return target


# Caches that running the example's tests or lint leaves behind (git-ignored there, never committed).
CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and not CACHES & set(p.parts)}


def differences(expected: Path, actual: Path) -> list[str]:
    """What differs between the freshly generated example and the committed one, one line each."""
    want, have = files(expected), files(actual)
    out = [f"missing from the example: {p}" for p in sorted(want - have)]
    out += [f"not generated any more: {p}" for p in sorted(have - want)]
    out += [f"differs: {p}" for p in sorted(want & have) if not filecmp.cmp(expected / p, actual / p, shallow=False)]
    return out


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="mlops-example-") as tmp:
        fresh = generate(Path(tmp))
        if "--check" in argv:
            problems = differences(fresh, EXAMPLE)
            if (EXAMPLE / ".git").exists():
                problems.append("examples/wine-quality/.git exists: the example is plain files, not a repository")
            if problems:
                print("examples/wine-quality is stale: run python scripts/refresh_example.py", file=sys.stderr)
                for line in problems:
                    print(f"  {line}", file=sys.stderr)
                return 1
            print("examples/wine-quality is up to date")
            return 0
        if EXAMPLE.exists():
            shutil.rmtree(EXAMPLE)
        EXAMPLE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh, EXAMPLE)
    print(f"wrote {EXAMPLE.relative_to(ROOT)} ({len(files(EXAMPLE))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
