"""The tool's own code lints clean (the generated repository's lint is checked in its own tests)."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_ruff_is_clean_on_the_tool():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--output-format",
            "concise",
            "jupyter_mlops",
            "tests",
            "benchmarks",
            "docs",
            "scripts",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_code_is_ruff_formatted():
    """`ruff format` is the project's one code style (adopted in the commit listed in .git-blame-ignore-revs)."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, "run `ruff format .`:\n" + proc.stdout + proc.stderr
