"""Shared fixtures. Stand-ins for services that cannot run here live in tests/standins/.

Every test runs with an isolated HOME and git identity, so the machine's own git config
(or its absence on a fresh CI machine) never changes a result.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest_plugins: list[str] = [
    "pytest_jupyter.jupyter_server",
    "tests.standins.github_fixtures",
    "tests.server_support",
    "tests.generated_support",
    "tests.forms_support",
    "tests.s3_support",
    "tests.mlflow_support",
]

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """A real IPython InteractiveShell with `%load_ext jupyter_mlops`, in the test's own folder."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_mlops")
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_mlops")
    InteractiveShell.clear_instance()


@pytest.fixture(scope="session")
def root_entries_at_start() -> set[str]:
    return set(os.listdir(REPO_ROOT))


@pytest.fixture(autouse=True)
def repository_root_stays_clean(root_entries_at_start):
    """A test that leaves a file in the repository's root fails, named (e.g. MLflow 3's default store, mlflow.db,
    made when MLflow runs from the checkout with no tracking URI). What git ignores (tool caches) is allowed."""
    yield
    new = set(os.listdir(REPO_ROOT)) - root_entries_at_start
    if not new:
        return
    root_entries_at_start |= new  # reported once, by the test that made it
    ignored = subprocess.run(
        ["git", "check-ignore", "--", *sorted(new)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
    )
    if ignored.returncode > 1:  # not a git checkout: nothing to compare with
        return
    left = sorted(new - set(ignored.stdout.split()))
    if left:
        pytest.fail(f"this test left {', '.join(left)} in the repository's root; write to tmp_path instead")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.org\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "KFP_HOST",
        "KFP_TOKEN",
        "KFP_USERNAME",
        "KFP_PASSWORD",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


def run_cli(
    *args: str, cwd: Path | str | None = None, input: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `jupyter mlops ARGS` as a user would: a separate process, its exit code and output."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "jupyter_mlops", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )


def git(repo: Path | str, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def new_project(tmp_path):
    """A freshly generated project with every default (example pipeline on)."""

    def make(*extra: str, name: str = "wine-quality") -> Path:
        root = tmp_path / name
        proc = run_cli("init", str(root), "--yes", *extra)
        assert proc.returncode == 0, proc.stderr
        return root

    return make


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a remote that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/acme/wine.git"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()
