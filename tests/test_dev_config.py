"""A contributor's habits hold: the pre-commit hooks are valid and runnable, and the fast inner loop that
CONTRIBUTING.md documents (`-m "not slow and not browser"`) really leaves the browser tests out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO_ROOT

PRE_COMMIT = REPO_ROOT / ".pre-commit-config.yaml"


def local_hooks() -> list[dict]:
    config = yaml.safe_load(PRE_COMMIT.read_text())
    return [hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]]


def test_the_pre_commit_configuration_is_valid():
    # Given .pre-commit-config.yaml, when pre-commit itself validates it, then it accepts it
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(PRE_COMMIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_hooks_cover_lint_format_and_config_files():
    ids = {hook["id"] for hook in local_hooks()}
    assert {"ruff-check", "ruff-format", "check-yaml", "check-toml", "labextension-lint"} <= ids


@pytest.mark.parametrize("hook", local_hooks(), ids=lambda hook: hook["id"])
def test_each_local_hooks_command_exists(hook):
    # Given a local hook, its command is installed (the test extra, or jlpm with JupyterLab) ...
    command, *args = hook["entry"].split()
    assert hook["language"] == "system"
    assert shutil.which(command), f"{hook['id']}: {command} is not on PATH; pip install -e '.[test]'"
    # ... and a hook that runs an npm script in an extension's folder names a script that folder has
    if command == "jlpm" and "--cwd" in args:
        folder = REPO_ROOT / args[args.index("--cwd") + 1]
        script = args[args.index("run") + 1]
        assert script in json.loads((folder / "package.json").read_text())["scripts"], hook["id"]


def test_the_fast_loop_starts_no_browser():
    # Given the fast inner loop's marker expression, when pytest collects the two browser modules (JupyterLab,
    # code-server), then none of their tests is selected: no browser starts in the inner loop
    modules = ["tests/test_lab_browser.py", "tests/test_vscode_browser.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["-m", "not slow and not browser", *modules],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 5, proc.stdout[-3000:] + proc.stderr[-3000:]  # 5: no test selected
    assert "deselected" in proc.stdout
