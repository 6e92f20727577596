"""What the benchmarks of a generated project share: an environment like a user's shell (a git identity, no
KFP/MLflow/data overrides, pip never reaching the network), a freshly generated example project, a
timed command that fails loudly, and the machine's load to print beside the figures."""

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


def new_project(work: Path, env: dict[str, str], name: str = "wine-quality", *settings: str) -> Path:
    """``settings``: ``KEY=VALUE`` answers for init (e.g. ``monitor=true``)."""
    project = work / name
    command = [sys.executable, "-m", "jupyter_mlops", "init", str(project), "--yes"]
    command += [item for setting in settings for item in ("--set", setting)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, timeout=300)
    return project


def timed(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    """Seconds ``cmd`` took; ``ok``: the exit codes that are a result, not a failure (drift exits 1)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def load_average() -> str:
    """The load average (1, 5, 15 min) to print with the figures: absolute times on a shared machine depend on
    it; the ratios, measured side by side, much less."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
