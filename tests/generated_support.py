"""Fixtures for tests of the generated repository: projects generated once per module, a local static
file server for the data URI, and a runner for a branch's entry point (``python src/pipelines/B/main.py``).

Data is a small SYNTHETIC sample with the real wine-quality schema, written by the generated project's
own ``src/helpers/sample_data.py``; nothing is downloaded and nothing outside the test's folders is read.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import run_cli

# Variables a developer's shell may carry that would change what the entry point does.
_CLEARED = (
    "KFP_HOST",
    "DATA_URI",
    "KFP_TOKEN",
    "KFP_USERNAME",
    "KFP_PASSWORD",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "KF_PIPELINES_SA_TOKEN_PATH",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "KUBERNETES_SERVICE_HOST",
    "KF_PIPELINES_ENDPOINT",
    "KF_PIPELINES_UI_ENDPOINT",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_S3_ENDPOINT_URL",
    "AWS_ENDPOINT_URL",
)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test User",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test User",
        GIT_COMMITTER_EMAIL="test@example.org",
        # A step whose packages were missing would make pip reach for the network: fail instead.
        PIP_NO_INDEX="1",
        PYTHONUNBUFFERED="1",
        # MLflow 3 reports usage to its developers unless told not to; tests reach nothing outside 127.0.0.1.
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    env.update(extra)
    return env


def generate(parent: Path, name: str, *settings: str) -> Path:
    home = parent / f"{name}-home"
    home.mkdir(parents=True, exist_ok=True)
    root = parent / name
    args = [item for s in settings for item in ("--set", s)]
    proc = run_cli("init", str(root), "--yes", *args, env=clean_env(home))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def write_synthetic_sample(project: Path, target: Path) -> Path:
    """The generated project's own generator: 400 deterministic, clearly synthetic rows."""
    proc = subprocess.run(
        [sys.executable, "-m", "src.helpers.sample_data", str(target)], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "synthetic" in proc.stdout
    return target


def run_entry(
    project: Path, branch: str, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the branch's entry point as CI does (its folder, its own main.py)."""
    return subprocess.run(
        [sys.executable, f"src/pipelines/{branch}/main.py", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def workflow_files(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.yml"))


def actionlint(root: Path) -> subprocess.CompletedProcess:
    """actionlint (the binary bundled in its wheel) on every workflow of a generated repository."""
    files = [str(p) for p in workflow_files(root)]
    return subprocess.run(["actionlint", "-no-color", *files], cwd=root, capture_output=True, text=True)


def workflow_schema(root: Path) -> subprocess.CompletedProcess:
    """GitHub's workflow JSON schema (check-jsonschema's bundled copy, offline) on every workflow."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflow_files(root)),
        ],
        capture_output=True,
        text=True,
    )


class StaticFiles:
    """Serve a folder over HTTP on 127.0.0.1 (an http(s) data URI the preflight and pull_data can read)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietFiles, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StaticFiles":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def wine_project(tmp_path_factory) -> Path:
    """A project with every default (example on): development none, staging/production dex."""
    return generate(tmp_path_factory.mktemp("generated"), "wine-quality")


@pytest.fixture(scope="module")
def synthetic_data(wine_project, tmp_path_factory):
    """The synthetic sample served over HTTP: yields (folder, StaticFiles)."""
    folder = tmp_path_factory.mktemp("data")
    write_synthetic_sample(wine_project, folder / "winequality-red.synthetic.csv")
    with StaticFiles(folder) as files:
        yield folder, files
