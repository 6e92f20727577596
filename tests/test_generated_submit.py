"""A generated project's main.py checks, compiles and submits its branch's pipeline to Kubeflow.

KFP runs in a local stand-in (tests/standins/kfp.py) that follows the v2beta1 REST API, in each auth
mode the platform uses; the data URI is a local HTTP server holding a synthetic sample.
"""

from __future__ import annotations

import re
import time

import pytest
import yaml

from tests.generated_support import clean_env, generate, run_entry
from tests.standins.kfp import KfpStandin

RUN_LINE = re.compile(r"^✓ run: created in experiment (?P<experiment>\S+): (?P<url>\S+)$", re.M)


@pytest.fixture(scope="module")
def token_project(tmp_path_factory):
    """production uses a bearer token; also repository-scoped secrets, to show the names CI maps."""
    return generate(tmp_path_factory.mktemp("token"), "wine-token", "production.kfp.auth=token")


@pytest.fixture(scope="module")
def incluster_project(tmp_path_factory, mlflow_server):
    """In a pod the preflight reaches the branch's MLflow too: a real server stands for the in-cluster one."""
    return generate(
        tmp_path_factory.mktemp("incluster"),
        "wine-incluster",
        "production.kfp.auth=incluster",
        "production.kfp.namespace=team-wine",
        f"production.mlflow.uri={mlflow_server.uri}",
    )


def head(project) -> str:
    import subprocess

    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def assert_submitted(proc, kfp: KfpStandin, project, branch: str) -> dict:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = RUN_LINE.search(proc.stdout)
    assert match, proc.stdout
    run_id = match["url"].rsplit("/", 1)[1]
    assert match["url"] == f"{kfp.host}/#/runs/details/{run_id}"
    run = kfp.state.runs[run_id]
    version = kfp.state.versions[run["pipeline_version_reference"]["pipeline_version_id"]]
    assert version["display_name"] == f"{branch}-{head(project)[:12]}"
    experiment = kfp.state.experiments[run["experiment_id"]]
    assert experiment["display_name"] == match["experiment"] == f"{project.name}-{branch}"
    # The uploaded file parsed strictly as a PipelineSpec in the stand-in; it is the example pipeline.
    upload = kfp.state.uploads[-1]
    tasks = set(upload["spec"].root.dag.tasks)
    assert {"pull-data", "preprocess", "train", "evaluate"} <= tasks
    return run


def test_no_auth_submission_to_standalone_kfp(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run_entry(wine_project, "development", env=env)
        run = assert_submitted(proc, kfp, wine_project, "development")
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("✓ data: http://127.0.0.1:") and "reachable (HTTP 200" in lines[0]
    assert lines[1].startswith(f"✓ kfp: {kfp.host} is reachable and accepts none authentication")
    parameters = run["runtime_config"]["parameters"]
    assert parameters["data_uri"] == files.url("winequality-red.synthetic.csv")
    assert parameters["alpha"] == 0.1 and parameters["model_name"] == "wine-quality-development"
    assert all(r.authorization is None for r in kfp.api_requests)


def test_dex_login_then_cookie_on_every_api_call(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("dex", username="user@example.com", password="12341234", multi_user=True) as kfp:
        env = clean_env(
            tmp_path,
            KFP_HOST=kfp.host,
            DATA_URI=files.url("winequality-red.synthetic.csv"),
            KFP_USERNAME="user@example.com",
            KFP_PASSWORD="12341234",
        )
        proc = run_entry(wine_project, "staging", env=env)
        run = assert_submitted(proc, kfp, wine_project, "staging")
        experiment = kfp.state.experiments[run["experiment_id"]]
    assert experiment["namespace"] == "kubeflow-user-example-com"
    assert any(r.path == "/dex/auth/local/login" and r.method == "POST" for r in kfp.state.requests)
    sessions = kfp.state.sessions
    for request in kfp.api_requests:
        assert request.path.startswith("/pipeline/apis/v2beta1/")
        cookie = dict(p.strip().split("=", 1) for p in (request.cookie or "").split(";") if "=" in p)
        assert cookie.get("authservice_session") in sessions, request
    # Credentials never reach the pipeline spec: the steps get the Kubernetes secret by reference.
    raw = kfp.state.uploads[-1]["raw"]
    assert "12341234" not in raw and "user@example.com" not in raw
    executors = list(yaml.safe_load_all(raw))[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    secret_env = executors["exec-evaluate"]["secretAsEnv"][0]
    assert secret_env["secretNameParameter"] == {"componentInputParameter": "credentials_secret"}
    assert {k["envVar"] for k in secret_env["keyToEnv"]} == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    }
    # Every step that talks to MLflow gets the login by reference, and bounded retries (fails in seconds).
    for step in ("exec-pull-data", "exec-deploy"):
        assert executors[step]["secretAsEnv"][0]["keyToEnv"] == secret_env["keyToEnv"]
    spec_executors = list(yaml.safe_load_all(raw))[0]["deploymentSpec"]["executors"]
    limits = {e["name"]: e["value"] for e in spec_executors["exec-evaluate"]["container"]["env"]}
    assert limits["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2" and limits["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "30"
    assert run["runtime_config"]["parameters"]["credentials_secret"] == "aws-secret"


@pytest.mark.slow
def test_token_auth_sends_the_bearer_token_and_wait_follows_the_run(token_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    summary = tmp_path / "summary.md"
    with KfpStandin("token", token="s3cr3t-token", polls_to_finish=2) as kfp:
        env = clean_env(
            tmp_path,
            KFP_HOST=kfp.host,
            DATA_URI=files.url("winequality-red.synthetic.csv"),
            KFP_TOKEN="s3cr3t-token",
            GITHUB_STEP_SUMMARY=str(summary),
        )
        proc = run_entry(token_project, "production", "--wait", "--timeout", "60", env=env)
        run = assert_submitted(proc, kfp, token_project, "production")
    assert all(r.authorization == "Bearer s3cr3t-token" for r in kfp.api_requests)
    assert "✓ run: SUCCEEDED" in proc.stdout
    assert run["state"] == "SUCCEEDED"
    assert "s3cr3t-token" not in proc.stdout + proc.stderr
    text = summary.read_text()
    assert f"/#/runs/details/{run['run_id']}" in text and "SUCCEEDED" in text


def test_wait_fails_when_the_run_fails(token_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("token", token="t", final_state="FAILED", polls_to_finish=1) as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"), KFP_TOKEN="t")
        proc = run_entry(token_project, "production", "--wait", env=env)
    assert proc.returncode == 1
    assert "✗ run: the run ended FAILED" in proc.stdout


def test_incluster_service_account_token(incluster_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-from-the-pod\n")
    with KfpStandin("incluster", token="sa-token-from-the-pod", multi_user=True) as kfp:
        env = clean_env(
            tmp_path,
            KFP_HOST=kfp.host,
            DATA_URI=files.url("winequality-red.synthetic.csv"),
            KF_PIPELINES_SA_TOKEN_PATH=str(token_file),
        )
        proc = run_entry(incluster_project, "production", env=env)
        run = assert_submitted(proc, kfp, incluster_project, "production")
        assert kfp.state.experiments[run["experiment_id"]]["namespace"] == "team-wine"
    assert all(r.authorization == "Bearer sa-token-from-the-pod" for r in kfp.api_requests)


def test_same_commit_reuses_its_pipeline_version(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        first = run_entry(wine_project, "development", "--skip-check", env=env)
        second = run_entry(wine_project, "development", "--skip-check", env=env)
    assert first.returncode == second.returncode == 0, second.stdout + second.stderr
    assert "exists already (same commit); reusing it" in second.stdout
    # On an empty KFP: the pipeline, then one version for the commit (never a stray one named after the
    # pipeline, which upload_pipeline would add); the second submission reuses it.
    assert [u["kind"] for u in kfp.state.uploads] == ["version"]
    versions = [v["display_name"] for v in kfp.state.versions.values()]
    assert versions == [f"development-{head(wine_project)[:12]}"]
    assert len(kfp.state.runs) == 2


def test_a_kfp_ignoring_the_name_filter_never_gets_the_run_attached_to_another_version(
    wine_project, synthetic_data, tmp_path
):
    """Given a KFP that answers every list with everything (another pipeline, an older commit's version),
    the submission compares the names itself: its run goes to this commit's own new version."""
    import requests

    _, files = synthetic_data
    with KfpStandin("none", ignore_filters=True) as kfp:
        requests.post(f"{kfp.host}/apis/v2beta1/pipelines", json={"display_name": "another-pipeline"}, timeout=10)
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        older = dict(env, GITHUB_SHA="0" * 40, GITHUB_EVENT_NAME="push")
        assert run_entry(wine_project, "development", "--skip-check", env=older).returncode == 0
        proc = run_entry(wine_project, "development", "--skip-check", env=env)
        run = assert_submitted(proc, kfp, wine_project, "development")
        pipelines = {p["pipeline_id"]: p["display_name"] for p in kfp.state.pipelines.values()}
        versions = sorted(v["display_name"] for v in kfp.state.versions.values())
    assert "reusing it" not in proc.stdout
    assert pipelines[run["pipeline_version_reference"]["pipeline_id"]] == "wine-quality"
    assert versions == ["development-000000000000", f"development-{head(wine_project)[:12]}"]


# ---------------------------------------------------------------- preflight failures stop before any upload


def test_unreachable_data_stops_before_upload(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("no-such-file.csv"))
        proc = run_entry(wine_project, "development", env=env)
    assert proc.returncode == 1
    assert "✗ data: " in proc.stdout and "answered HTTP 404" in proc.stdout and "Fix: check the URL" in proc.stdout
    assert kfp.state.uploads == [] and kfp.state.runs == {}


def test_rejected_token_stops_before_upload_with_exit_code_3(token_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("token", token="the-right-one") as kfp:
        env = clean_env(
            tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"), KFP_TOKEN="an-expired-one"
        )
        proc = run_entry(token_project, "production", env=env)
    assert proc.returncode == 3
    assert "✗ kfp: KFP refused the request (HTTP 401: Unauthenticated" in proc.stdout
    assert "KFP_TOKEN is wrong or expired" in proc.stdout
    assert "an-expired-one" not in proc.stdout + proc.stderr
    assert kfp.state.uploads == []


def test_missing_secret_is_named_with_the_command_that_sets_it(token_project, tmp_path):
    proc = run_entry(token_project, "production", "--check", env=clean_env(tmp_path, KFP_HOST="http://127.0.0.1:9"))
    assert proc.returncode == 3
    assert "✗ kfp: KFP_TOKEN is not set. Fix: in CI, add the secret with " in proc.stdout
    assert "`jupyter mlops secrets set KFP_TOKEN --env production`" in proc.stdout


def test_wrong_dex_password_stops_before_upload(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("dex", password="right") as kfp:
        env = clean_env(
            tmp_path,
            KFP_HOST=kfp.host,
            DATA_URI=files.url("winequality-red.synthetic.csv"),
            KFP_USERNAME="user@example.com",
            KFP_PASSWORD="wrong",
        )
        proc = run_entry(wine_project, "staging", env=env)
    assert proc.returncode == 3
    assert "✗ kfp: Dex at http://127.0.0.1:" in proc.stdout
    assert "rejected the login of 'user@example.com'" in proc.stdout
    assert kfp.state.uploads == [] and not kfp.api_requests


def test_unreachable_kfp_says_how_to_port_forward(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    env = clean_env(tmp_path, KFP_HOST="http://localhost:9", DATA_URI=files.url("winequality-red.synthetic.csv"))
    proc = run_entry(wine_project, "development", "--check", env=env)
    assert proc.returncode == 1
    assert "✗ kfp: cannot reach the KFP API at http://localhost:9" in proc.stdout
    assert "kubectl port-forward svc/ml-pipeline-ui -n kubeflow 9:80" in proc.stdout


@pytest.mark.parametrize(
    ("stuck", "args", "limit", "expected"),
    [
        ("GET healthz", ["--check"], "MLOPS_HTTP_TIMEOUT", "✗ kfp: the KFP API at {host} did not answer within 3 s"),
        (
            "GET pipelines",
            ["--skip-check"],
            "MLOPS_KFP_TIMEOUT",
            "✗ run: finding pipeline 'wine-quality': the KFP API did not answer within 3 s",
        ),
        (
            "POST runs",
            ["--skip-check"],
            "MLOPS_KFP_TIMEOUT",
            "✗ run: creating the run: the KFP API did not answer within 3 s",
        ),
    ],
)
def test_a_kfp_that_never_answers_fails_within_the_time_limit_naming_the_call(
    stuck, args, limit, expected, wine_project, synthetic_data, tmp_path
):
    """Given a KFP server that takes a request and never answers it, when the preflight or the submission
    reaches that request, then it gives up after the branch's limit (asked once, not again behind the user's
    back) and says which call did not answer and how to give it longer."""
    _, files = synthetic_data
    with KfpStandin("none", hang=stuck) as kfp:
        env = clean_env(
            tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"), **{limit: "3"}
        )
        proc = run_entry(wine_project, "development", *args, env=env, timeout=120)
        ended = time.monotonic()
        method, route = stuck.split()
        asked = [r for r in kfp.api_requests if r.method == method and r.path.endswith(f"/{route}")]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert expected.format(host=kfp.host) in proc.stdout
    assert f"give it longer with {limit}" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert len(asked) == 1  # one wait of the limit, no silent retry behind it
    assert 2.5 <= ended - asked[0].at < 15  # the limit, plus the process's exit (the default would be 20-60 s)
