"""What the benchmarks of a generated project share: an environment like a user's shell (a git identity, no
KFP/MLflow/data overrides, pip never reaching the network), a freshly generated example project, and a
timed command that fails loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KFP_", "DATA_URI", "MLFLOW_"))}
    env.update(
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
        PIP_NO_INDEX="1",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    return env


def new_project(work: Path, env: dict[str, str], name: str = "wine-quality") -> Path:
    project = work / name
    command = [sys.executable, "-m", "jupyter_mlops", "init", str(project), "--yes"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return project


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start
