"""The example pipeline tracked to a real MLflow server (tests/mlflow_support.py): what a run registers is the
right model, and only a model that passed becomes a version.

The generated project runs its whole pipeline locally as a user would (`main.py --local --param
mlflow_uri=URI`, kfp.local, the shipped red-wine data); MLflow's own client then reads back the runs, the
registered versions, their tags and their files.
"""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
from sklearn.metrics import r2_score

from tests.generated_support import clean_env, generate, run_entry

# Every test reads what a whole tracked pipeline run (a module fixture) left in MLflow.
pytestmark = pytest.mark.slow

NAME = "wine-tracked"
MODEL = f"{NAME}-development"


def head(project) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()


def tracked_local_run(project, server, home, *params: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`main.py --local` tracked to ``server``; returns the process and local_outputs' last-run.json."""
    args = [item for p in (f"mlflow_uri={server.uri}", *params) for item in ("--param", p)]
    proc = run_entry(project, "development", "--local", *args, env=clean_env(home, **server.env))
    last = project / "local_outputs" / "development" / "last-run.json"  # written by a run that succeeded
    return proc, json.loads(last.read_text()) if proc.returncode == 0 else {}


def held_out_rows(project, last: dict) -> pd.DataFrame:
    return pd.read_csv(project / "local_outputs" / "development" / last["run"] / "preprocess" / "test_set")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("mlflow"), NAME)


@pytest.fixture(scope="module")
def passing_run(project, mlflow_server, tmp_path_factory):
    proc, last = tracked_local_run(project, mlflow_server, tmp_path_factory.mktemp("home"))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc, last


def test_a_passing_run_is_a_tagged_version_whose_pipeline_scores_raw_rows_as_evaluate_did(
    project, mlflow_server, passing_run, monkeypatch
):
    """Given a tracked local run with the defaults (alpha 0.1, r2 ≈ 0.335 ≥ 0.3), then the registered model
    is version 1 of `<project>-<branch>`, tagged with what made it, and its Pipeline, loaded with
    mlflow.pyfunc, predicts the held-out raw rows to the r2 evaluate reported."""
    import mlflow

    proc, last = passing_run
    metrics = last["outputs"]["Output"]
    assert metrics["r2"] == pytest.approx(0.335, abs=0.005)
    client = mlflow_server.client(monkeypatch)
    version = client.get_model_version(MODEL, "1")
    commit = head(project)
    assert {k: version.tags.get(k) for k in ("branch", "commit", "trigger", "passed")} == {
        "branch": "development",
        "commit": commit,
        "trigger": "local",
        "passed": "true",
    }
    assert version.tags["kfp_run_id"], "the KFP run id (kfp.local's run) is recorded"
    assert [version.tags[k] for k in ("max_rmse", "min_r2", "max_mae")] == ["0.9", "0.3", "0.8"]
    assert float(version.tags["r2"]) == pytest.approx(metrics["r2"], abs=1e-12)
    run = client.get_run(version.run_id)
    assert run.info.run_name == f"development-{commit[:12]} [local]"
    assert run.data.tags["passed"] == "true" and run.data.tags["kfp_run_id"] == version.tags["kfp_run_id"]
    assert run.data.params["alpha"] == "0.1"
    assert "@deployed" not in proc.stdout and not client.get_registered_model(MODEL).aliases, (
        "a local run never deploys, so no alias moves"
    )
    assert "deploy: skipped, not running on a Kubernetes cluster" in proc.stdout

    mlflow.set_tracking_uri(mlflow_server.uri)
    served = mlflow.pyfunc.load_model(f"models:/{MODEL}/1")
    rows = held_out_rows(project, last)
    features = rows.drop(columns=["quality"])
    assert [s.name for s in served.metadata.get_input_schema().inputs] == list(features.columns)
    assert r2_score(rows["quality"], served.predict(features)) == pytest.approx(metrics["r2"], abs=1e-6)
    assert served.metadata.load_input_example() is not None, "an input example in the raw column names"


def test_a_failing_run_is_tagged_on_its_run_registers_nothing_and_moves_no_alias(
    project, mlflow_server, passing_run, monkeypatch, tmp_path
):
    """Given version 1 marked @deployed, when a run fails the thresholds (the demo's alpha 0.5: r2 ≈ 0.13),
    then its MLflow run says passed=false and the registry is as it was: still one version, still @deployed."""
    client = mlflow_server.client(monkeypatch)
    client.set_registered_model_alias(MODEL, "deployed", "1")
    proc, last = tracked_local_run(project, mlflow_server, tmp_path, "alpha=0.5")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert last["outputs"]["Output"]["r2"] < 0.3
    assert "failed: r2 0.1" in proc.stdout and "not registered in" in proc.stdout
    assert "deploy:" not in proc.stdout, "deploy runs only for a model that passed"
    assert [v.version for v in client.search_model_versions(f"name='{MODEL}'")] == ["1"]
    assert client.get_model_version_by_alias(MODEL, "deployed").version == "1"
    failed = client.search_runs(
        [client.get_experiment_by_name(f"{NAME}-development").experiment_id], "params.alpha = '0.5'"
    )
    assert [r.data.tags["passed"] for r in failed] == ["false"]


def test_with_artifacts_on_s3_the_version_files_are_an_s3_uri_holding_the_model(
    tmp_path, mlflow_s3_server, s3_server, monkeypatch
):
    """Given a server run with --default-artifact-root s3://mlflow/ --no-serve-artifacts (the platform's MinIO
    setup), then the storage URI evaluate hands deploy is s3://mlflow/… and the bucket holds the model there."""
    project = generate(tmp_path, "wine-s3art")
    proc, _ = tracked_local_run(project, mlflow_s3_server, tmp_path / "home")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    line = next(x for x in proc.stdout.splitlines() if "evaluate: registered" in x)
    storage_uri = line.rsplit(" at ", 1)[1]
    assert storage_uri.startswith("s3://mlflow/")
    client = mlflow_s3_server.client(monkeypatch)
    assert storage_uri == client.get_model_version_download_uri("wine-s3art-development", "1")
    assert {"MLmodel", "model.pkl", "input_example.json", "requirements.txt"} <= set(s3_server.keys(storage_uri))


def test_with_proxied_artifacts_the_version_files_are_an_mlflow_artifacts_uri(passing_run):
    """The server's default (artifacts proxied through it) hands out mlflow-artifacts:/ URIs; deploy refuses
    those on the cluster (tested in the generated project's own tests and with the Kubernetes stand-in)."""
    proc, _ = passing_run
    line = next(x for x in proc.stdout.splitlines() if "evaluate: registered" in x)
    assert line.rsplit(" at ", 1)[1].startswith("mlflow-artifacts:/")


def test_a_server_with_login_gets_the_run_with_credentials_and_refuses_it_without(
    tmp_path, mlflow_auth_server, monkeypatch
):
    """`mlflow server --app-name basic-auth`: with MLFLOW_TRACKING_USERNAME/PASSWORD in the environment (the
    Kubernetes secret's keys on the cluster) the run is recorded and registered; without them the step fails
    with the server's 401, and nothing is registered."""
    project = generate(tmp_path, "wine-login")
    login = mlflow_auth_server.env
    proc, _ = tracked_local_run(project, mlflow_auth_server, tmp_path / "home")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "evaluate: registered 'wine-login-development' version 1" in proc.stdout
    assert login["MLFLOW_TRACKING_PASSWORD"] not in proc.stdout + proc.stderr

    anonymous = type("Anonymous", (), {"uri": mlflow_auth_server.uri, "env": {}})()
    refused, _ = tracked_local_run(project, anonymous, tmp_path / "home2")
    assert refused.returncode == 1
    assert "failed with error code 401" in refused.stdout + refused.stderr
    versions = mlflow_auth_server.client(monkeypatch).search_model_versions("name='wine-login-development'")
    assert [v.version for v in versions] == ["1"]


def test_a_dead_server_fails_a_tracked_run_in_seconds_with_the_reason(tmp_path):
    """The steps bound MLflow's retries (MLFLOW_HTTP_REQUEST_MAX_RETRIES=2, backoff factor 1, 30 s timeout): a
    server that is not there fails the evaluate step in seconds, not after MLflow's default minutes."""
    import re

    from tests.process_support import free_port

    project = generate(tmp_path, "wine-dead")
    nobody = type("Nobody", (), {"uri": f"http://127.0.0.1:{free_port()}", "env": {}})()
    proc, _ = tracked_local_run(project, nobody, tmp_path / "home")
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 1
    assert "Connection refused" in out or "Max retries exceeded" in out
    started = re.search(r"(\d\d):(\d\d):(\d\d)\.\d+ - INFO - Executing task 'evaluate'", out)
    ended = re.search(r"(\d\d):(\d\d):(\d\d)\.\d+ - ERROR - Task 'evaluate' finished with status FAILURE", out)
    seconds = [int(h) * 3600 + int(m) * 60 + int(s) for h, m, s in (started.groups(), ended.groups())]
    assert seconds[1] - seconds[0] < 30, f"evaluate took {seconds[1] - seconds[0]} s to give up"
