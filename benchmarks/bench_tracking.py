"""What MLflow tracking costs a local run: the same example pipeline run, tracked to a real MLflow server, against
that run untracked, side by side in one process run.

Measured: ``python src/pipelines/development/main.py --local --param mlflow_uri=URI`` (train logs the run, the
parameters and the model with its signature and input example; evaluate logs the metrics and tags and registers
the passing model) against ``python src/pipelines/development/main.py --local`` (the same pipeline, nothing
tracked). The server is the full ``mlflow server`` on 127.0.0.1 (sqlite, artifacts proxied by the server; started
once, before the rounds). Data: the real UCI red-wine file the generated project ships. Rounds interleave the
two, so the machine's noise hits both alike.
Goal: median ratio tracked / untracked ≤ 1.5. Measured (2 cores, 3 rounds): 1.45x on a quiet machine
(9.8 s / 14.2 s), 1.51x while other test suites ran (19.9 s / 30.1 s). What tracking adds is one step's
MLflow import (about 1.5 s), MLflow listing the installed distributions once to check the model's
requirements (about 2.5 s in a large environment) and some twenty HTTP calls.

    python benchmarks/bench_tracking.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.project_support import bench_env, new_project, timed  # noqa: E402
from tests.mlflow_support import MlflowServer  # noqa: E402

GOAL = 1.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    env = bench_env()
    try:
        project = new_project(work, env)
        with MlflowServer(work / "mlflow") as server:
            run = [sys.executable, "src/pipelines/development/main.py", "--local"]
            tracked_run = [*run, "--param", f"mlflow_uri={server.uri}"]
            timed(tracked_run, project, env)  # warm-up: the experiment and the registered model exist after it
            untracked, tracked = [], []
            for _ in range(args.rounds):
                untracked.append(timed(run, project, env))
                tracked.append(timed(tracked_run, project, env))
            from mlflow import MlflowClient

            versions = len(MlflowClient(server.uri).search_model_versions("name='wine-quality-development'"))
        u, t = statistics.median(untracked), statistics.median(tracked)
        print(f"rounds: {args.rounds}; data: the 1,599 UCI red wines; a real mlflow server on 127.0.0.1")
        print(f"main.py --local, not tracked:                 median {u:.2f} s  {[round(x, 2) for x in untracked]}")
        print(f"main.py --local --param mlflow_uri=… tracked:  median {t:.2f} s  {[round(x, 2) for x in tracked]}")
        print(f"ratio tracked / untracked: {t / u:.2f}x (goal <= {GOAL}x); versions registered: {versions}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
