"""The preflight's other checks: s3:// data credentials, the MLflow server (a real one, tests/mlflow_support.py:
its login, the deployed version, a dead server), and a Kubeflow notebook server that authenticates in-cluster
whatever the branch's auth mode says."""

from __future__ import annotations

import time

import pytest

from tests.generated_support import clean_env, generate, run_entry
from tests.process_support import free_port
from tests.standins.kfp import KfpStandin


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


def mlflow_check(tmp_path, synthetic_data, uri: str, name: str = "wine-checked", **env: str):
    """`main.py --check` of project ``name`` whose development branch tracks to ``uri`` (KFP: a stand-in).
    The MLflow servers are shared by the session: each test's project (so model) name is its own."""
    _, files = synthetic_data
    project = generate(tmp_path, name, f"development.mlflow.uri={uri}")
    with KfpStandin("none") as kfp:
        full = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"), **env)
        started = time.monotonic()
        proc = run_entry(project, "development", "--check", env=full)
        proc.seconds = time.monotonic() - started
        return proc


def test_mlflow_check_names_the_deployed_version_from_the_alias(tmp_path, synthetic_data, mlflow_server, monkeypatch):
    """Given versions 1 and 2 registered and version 1 @deployed (what KServe serves), the preflight reports
    version 1, not the newest."""
    client = mlflow_server.client(monkeypatch)
    client.create_registered_model("wine-aliased-development")
    for _ in range(2):
        client.create_model_version("wine-aliased-development", source="s3://mlflow/1/models/m-x/artifacts")
    client.set_registered_model_alias("wine-aliased-development", "deployed", "1")
    proc = mlflow_check(tmp_path, synthetic_data, mlflow_server.uri, "wine-aliased")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = f"✓ mlflow: {mlflow_server.uri} answers; 'wine-aliased-development' version 1 is deployed (@deployed)"
    assert expected in proc.stdout


def test_mlflow_check_before_the_first_registered_version(tmp_path, synthetic_data, mlflow_auth_server):
    proc = mlflow_check(tmp_path, synthetic_data, mlflow_auth_server.uri, **mlflow_auth_server.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "answers; no model 'wine-checked-development' registered yet (a passing run registers it)" in proc.stdout


@pytest.mark.parametrize(
    "login, said",
    [({}, "requires a login (none was given)"), ({"MLFLOW_TRACKING_PASSWORD": "wrong"}, "refused the login given")],
)
def test_mlflow_with_login_refusing_the_credentials_stops_the_preflight_with_the_fix(
    tmp_path, synthetic_data, mlflow_auth_server, login, said
):
    """Given `mlflow server --app-name basic-auth`, without the login or with a wrong one the preflight fails
    (exit code 3, credentials) and says which secrets to set; the password never shows."""
    env = {**mlflow_auth_server.env, **login} if login else {}
    proc = mlflow_check(tmp_path, synthetic_data, mlflow_auth_server.uri, **env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert f"✗ mlflow: MLflow at {mlflow_auth_server.uri} {said} (HTTP 401)" in proc.stdout
    assert "`jupyter mlops secrets set MLFLOW_TRACKING_PASSWORD --env development`" in proc.stdout
    assert "wrong" not in proc.stdout.replace("refused the login given", "")


def test_a_dead_mlflow_server_fails_the_preflight_within_seconds(tmp_path, synthetic_data):
    proc = mlflow_check(tmp_path, synthetic_data, f"http://127.0.0.1:{free_port()}")
    assert proc.returncode == 1
    assert "does not answer (connection refused). Fix: check mlflow.uri in src/pipelines/development/" in proc.stdout
    # The whole preflight (Python, imports, three checks); MLflow's default retries alone take minutes.
    assert proc.seconds < 20, f"the preflight took {proc.seconds:.0f} s"


def test_notebook_server_uses_its_service_account_whatever_the_branch_says(
    synthetic_data, tmp_path, monkeypatch, mlflow_server
):
    """The submission notebook in a Kubeflow notebook pod: the development branch says auth none, the KFP
    in front requires the pod's token; the notebook authenticates with it without any setting. (In the pod
    the preflight checks the branch's MLflow too: a real server stands for the in-cluster one.)"""
    from tests.test_generated_notebooks import execute, text_of

    wine_project = generate(tmp_path, "wine-quality", f"development.mlflow.uri={mlflow_server.uri}")
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
