"""Time limits: every call this repository makes to something outside it ends, and a call that did not answer
in time fails with a message naming what did not answer. The defaults suit a healthy cluster; give a slow one
longer with the call's variable (seconds).

    call                                                        default   variable
    git in this checkout (rev-parse, status, log, diff)         60 s      MLOPS_GIT_TIMEOUT
    one KFP API request (submission, --wait's polls; each once) 60 s      MLOPS_KFP_TIMEOUT
    one HTTP request of the preflight (data, KFP health, the    20 s      MLOPS_HTTP_TIMEOUT
      Dex login) and its S3/MinIO reads
    MLflow, the preflight and local sweeps (no retry)           10 s      MLFLOW_HTTP_REQUEST_TIMEOUT
    one prediction request of the inference tests (a model      120 s     MLOPS_INFERENCE_TIMEOUT
      scaled to zero starts first); all of them together       900 s     MLOPS_INFERENCE_TESTS_TIMEOUT
    MLflow, the pipeline's steps (2 quick retries)              30 s      src/pipelines/pipeline.py
    .mlops/upstream_check.py: git fetch and push                300 s     MLOPS_GIT_REMOTE_TIMEOUT
    .mlops/upstream_check.py: one GitHub API request            30 s      MLOPS_HTTP_TIMEOUT

The pipeline's steps run in their own pods and carry their own limits (the data download, the Kubernetes
API in deploy: 10 s to connect, 60 s for an answer). Standard library only: CI's image jobs import
src/helpers/images.py before installing anything.
"""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path
from typing import Mapping

from src.helpers.report import StepFailed

ROOT = Path(__file__).resolve().parents[2]
GIT = ("MLOPS_GIT_TIMEOUT", 60.0)
KFP = ("MLOPS_KFP_TIMEOUT", 60.0)
HTTP = ("MLOPS_HTTP_TIMEOUT", 20.0)
INFERENCE = ("MLOPS_INFERENCE_TIMEOUT", 120.0)
INFERENCE_TESTS = ("MLOPS_INFERENCE_TESTS_TIMEOUT", 900.0)
CONNECT = 10.0  # at most this long to open a connection, within the call's limit


def seconds(limit: tuple[str, float], env: Mapping[str, str] | None = None) -> float:
    """The limit's value: its variable when that is a positive number of seconds, else the default."""
    env = os.environ if env is None else env
    variable, default = limit
    try:
        value = float(env.get(variable) or default)
    except ValueError:
        return default
    return value if value > 0 and math.isfinite(value) else default


def git(*args: str) -> str:
    """``git ARGS`` in this checkout; its output. CalledProcessError when git fails (callers decide what
    that means), StepFailed when it does not answer within MLOPS_GIT_TIMEOUT (the child is killed)."""
    limit = seconds(GIT)
    try:
        proc = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(
            f"`git {' '.join(args[:2])}` did not answer within {limit:g} s",
            "check the checkout (a lock left by another git, a hung hook or file system); "
            f"give it longer with {GIT[0]}",
        ) from None
    return proc.stdout.strip()
