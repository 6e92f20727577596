"""The preflight's other checks: s3:// data credentials, the MLflow registry, and a Kubeflow notebook
server that authenticates in-cluster whatever the branch's auth mode says."""

from __future__ import annotations

import pytest

from tests.generated_support import clean_env, generate, run_entry
from tests.standins.kfp import KfpStandin
from tests.standins.mlflow import MlflowStandin


@pytest.fixture(scope="module")
def s3_project(tmp_path_factory):
    return generate(
        tmp_path_factory.mktemp("s3"), "wine-s3", "staging.data.uri=s3://datasets/wine/red.csv", "staging.kfp.auth=none"
    )


def test_s3_data_without_credentials_names_the_secrets(s3_project, tmp_path):
    proc = run_entry(s3_project, "staging", "--check", env=clean_env(tmp_path, KFP_HOST="http://127.0.0.1:9"))
    assert proc.returncode == 3
    assert "✗ data: s3://datasets/wine/red.csv needs AWS_ACCESS_KEY_ID, which is not set" in proc.stdout
    assert "`jupyter mlops secrets set AWS_ACCESS_KEY_ID --env staging`" in proc.stdout


def test_s3_data_on_the_in_cluster_minio_is_left_to_the_pods(s3_project, tmp_path):
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, AWS_ACCESS_KEY_ID="minio", AWS_SECRET_ACCESS_KEY="minio123")
        proc = run_entry(s3_project, "staging", "--check", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "· data: s3://datasets/wine/red.csv is on http://mlflow-minio-service.mlflow.svc.cluster.local:9000, "
        "which only the cluster's pods reach; not checked from here"
    ) in proc.stdout
    assert "minio123" not in proc.stdout


@pytest.mark.parametrize(
    "registered, expected",
    [
        ({"wine-quality-development": [1, 2, 3]}, "model 'wine-quality-development' is at version 3"),
        ({}, "no model 'wine-quality-development' registered yet (this run registers version 1)"),
    ],
)
def test_mlflow_registry_reports_the_previous_model_version(tmp_path, synthetic_data, registered, expected):
    _, files = synthetic_data
    with MlflowStandin(registered) as mlflow, KfpStandin("none") as kfp:
        project = generate(tmp_path, "wine-tracked", f"development.mlflow.uri={mlflow.uri}")
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run_entry(project, "development", "--check", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"✓ mlflow: {mlflow.uri} answers; {expected}" in proc.stdout


def test_unreachable_mlflow_warns_but_does_not_stop(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    project = generate(tmp_path, "wine-nomlflow", "development.mlflow.uri=http://127.0.0.1:9")
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run_entry(project, "development", "--check", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "! mlflow: cannot reach http://127.0.0.1:9" in proc.stdout


def test_notebook_server_uses_its_service_account_whatever_the_branch_says(
    wine_project, synthetic_data, tmp_path, monkeypatch
):
    """The submission notebook in a Kubeflow notebook pod: the development branch says auth none, the KFP
    in front requires the pod's token; the notebook authenticates with it without any setting."""
    from tests.test_generated_notebooks import execute, text_of

    _, files = synthetic_data
    token_file = tmp_path / "token"
    token_file.write_text("pod-sa-token")
    for name in ("KFP_TOKEN", "KFP_USERNAME", "KFP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with KfpStandin("incluster", token="pod-sa-token") as kfp:
        monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(token_file))
        monkeypatch.setenv("KFP_HOST", kfp.host)  # stands for ml-pipeline.kubeflow.svc.cluster.local:8888
        monkeypatch.setenv("DATA_URI", files.url("winequality-red.synthetic.csv"))
        monkeypatch.setenv("PIP_NO_INDEX", "1")
        out = text_of(execute(wine_project / "notebooks" / "02-submit-to-kubeflow.ipynb"))
        assert len(kfp.state.runs) == 1
    assert "In a Kubeflow notebook server: using its service account" in out
    assert "accepts incluster authentication" in out
    assert all(r.authorization == "Bearer pod-sa-token" for r in kfp.api_requests)
    assert "pod-sa-token" not in out


EVALUATE_TRACKED = """
import sys, tempfile
from pathlib import Path
from kfp import dsl
from src.steps.pull_data import pull_data
from src.steps.preprocess import preprocess
from src.steps.train import train
from src.steps.evaluate import evaluate
work = Path(tempfile.mkdtemp())
a = lambda kind, name: kind(name=name, uri=str(work / name))
data, tr, te, sc, model, metrics = (a(dsl.Dataset, "d"), a(dsl.Dataset, "tr"), a(dsl.Dataset, "te"),
                                    a(dsl.Model, "sc"), a(dsl.Model, "m"), a(dsl.Metrics, "x"))
pull_data.python_func(data_uri=sys.argv[1], dataset=data)
preprocess.python_func(dataset=data, train_set=tr, test_set=te, scaler=sc)
train.python_func(train_set=tr, model=model)
print(evaluate.python_func(model=model, test_set=te, metrics=metrics, mlflow_uri=sys.argv[2], mlflow_run_id="run-1"))
"""


def test_evaluate_logs_its_metrics_to_the_tracked_mlflow_run(wine_project, synthetic_data, tmp_path):
    import subprocess
    import sys

    folder, _ = synthetic_data
    with MlflowStandin(runs=("run-1",)) as mlflow:
        proc = subprocess.run(
            [sys.executable, "-c", EVALUATE_TRACKED, str(folder / "winequality-red.synthetic.csv"), mlflow.uri],
            cwd=wine_project,
            capture_output=True,
            text=True,
            env=clean_env(tmp_path),
        )
        logged = {m["key"]: m["value"] for m in mlflow.runs["run-1"]}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "evaluate: metrics logged to MLflow run run-1" in proc.stdout
    assert set(logged) == {"rmse", "r2", "mae"} and logged["r2"] >= 0.3
