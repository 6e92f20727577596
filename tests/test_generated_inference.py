"""The generated project's inference tests against its deployed model, served by KServe's own model server.

Real parts: the example pipeline tracked to a real MLflow server (artifacts on moto's S3) and deployed in a stand-in
pod against the Kubernetes API stand-in (deploy waits for Ready, records the InferenceService's URL on the version
and moves @deployed); KServe's ModelServer (tests/kserve_support.py) serving the files the InferenceService names;
the platform's gateway is the KFP stand-in, which routes a request to the model server by its Host header after
the branch's authentication (bearer token, or the Dex login's session), as Kubeflow's Istio gateway does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.act_support import bare_remote, run_workflow
from tests.conftest import run_cli
from tests.generated_support import StaticFiles, clean_env, generate, run_entry, write_synthetic_sample
from tests.kserve_support import KServeModelServer
from tests.server_support import check_schema, server_config
from tests.standins.kfp import KfpStandin
from tests.standins.kubernetes import KubernetesStandin

NAME = "wine-serve"
MODEL = f"{NAME}-development"
TOKEN = "gateway-bearer-token"


@pytest.fixture(scope="module")
def project(tmp_path_factory, mlflow_s3_server):
    """development with bearer-token auth on the platform's gateway, tracking to the real MLflow server."""
    return generate(
        tmp_path_factory.mktemp("inference"),
        NAME,
        "development.kfp.auth=token",
        f"development.mlflow.uri={mlflow_s3_server.uri}",
        f"development.s3.endpoint={mlflow_s3_server.s3.endpoint}",
    )


@pytest.fixture(scope="module")
def deployed(project, mlflow_s3_server, tmp_path_factory):
    """A tracked run in a stand-in pod: the version registered, served (Ready) and marked @deployed.
    Returns (the InferenceService's host name, its storage URI)."""
    home = tmp_path_factory.mktemp("home")
    with KubernetesStandin(tmp_path_factory.mktemp("k8s"), polls_to_ready=2) as cluster:
        env = clean_env(home, **mlflow_s3_server.env)
        env.update(cluster.pod_env(os.environ.get("PYTHONPATH", "")))
        proc = run_entry(project, "development", "--local", "--param", f"mlflow_uri={mlflow_s3_server.uri}", env=env)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        served = cluster.objects[MODEL]
    host = served["status"]["url"].removeprefix("http://")
    return host, served["spec"]["predictor"]["model"]["storageUri"]


@pytest.fixture(scope="module")
def kserve(deployed, s3_server, tmp_path_factory):
    """KServe's model server hosting what the InferenceService names."""
    _, storage_uri = deployed
    with KServeModelServer(tmp_path_factory.mktemp("kserve"), MODEL, storage_uri, env=s3_server.env) as server:
        yield server


@pytest.fixture(scope="module")
def another_model(project, deployed, mlflow_s3_server, s3_server, tmp_path_factory):
    """KServe serving the files of another version (another alpha) while the registry's @deployed names the first:
    the wrong model behind the service's address."""
    from tests.test_generated_deploy import register_another_version

    with pytest.MonkeyPatch.context() as monkeypatch:
        _, other_files = register_another_version(project, mlflow_s3_server, monkeypatch, model=MODEL)
    with KServeModelServer(tmp_path_factory.mktemp("other"), MODEL, other_files, env=s3_server.env) as server:
        yield server


def laptop_env(home, server, kfp: KfpStandin, **extra: str) -> dict[str, str]:
    """A laptop with the branch's credentials (what CI's secrets give the step): the gateway's token, the S3 keys
    that read MLflow's artifacts. No MLflow login: this server has none."""
    return clean_env(home, **server.env, KFP_HOST=kfp.host, KFP_TOKEN=TOKEN, **extra)


def use_env(monkeypatch, env: dict[str, str]) -> None:
    """This process's environment becomes ``env`` for the test: what an in-process face (the Jupyter server, the
    kernel) hands the entry point."""
    for name in set(os.environ) - set(env):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def predict_calls(kfp: KfpStandin) -> list[tuple[str, str | None]]:
    return [(r.path, r.authorization) for r in kfp.state.requests if r.path.startswith(("/v1/", "/v2/"))]


@pytest.mark.slow
def test_the_deployed_model_answers_through_the_gateway_as_the_registered_version(
    project, deployed, kserve, mlflow_s3_server, monkeypatch, tmp_path
):
    """Given the version deploy served and marked @deployed, when its inference tests run from a laptop (no
    serving URL given), then they find the service from the URL deploy recorded, call it through the gateway
    with the branch's token in V1 and V2, and pass: the predictions are the registered version's."""
    host, _ = deployed
    version = mlflow_s3_server.client(monkeypatch).get_model_version_by_alias(MODEL, "deployed")
    assert version.tags["inference_url"] == f"http://{host}", "deploy recorded where KServe serves it"
    with KfpStandin("token", token=TOKEN, services={host: kserve.url}) as kfp:
        proc = run_entry(project, "development", "--inference-test", env=laptop_env(tmp_path, mlflow_s3_server, kfp))
        calls = predict_calls(kfp)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert f"  inference: the InferenceService of {MODEL} version {version.version}, through" in proc.stdout
    assert "2 passed" in proc.stdout
    assert "✓ inference: the development branch's deployed model answers as registered (V1 and V2)" in proc.stdout
    assert calls == [
        (f"/v1/models/{MODEL}:predict", f"Bearer {TOKEN}"),
        (f"/v2/models/{MODEL}/infer", f"Bearer {TOKEN}"),
    ]


@pytest.mark.slow
def test_behind_the_dex_login_the_session_reaches_the_model(project, deployed, kserve, mlflow_s3_server, tmp_path):
    """The same branch on a full Kubeflow (kfp.auth dex): the tests log in on Dex with the branch's user and call
    the model with the session cookie, as a browser would."""
    host, _ = deployed
    platform = project / "src" / "pipelines" / "development" / "platform.yaml"
    original = platform.read_text()
    platform.write_text(original.replace("auth: token", "auth: dex"))
    try:
        with KfpStandin("dex", services={host: kserve.url}) as kfp:
            env = clean_env(tmp_path, **mlflow_s3_server.env, KFP_HOST=kfp.host)
            env.update(KFP_USERNAME=kfp.username, KFP_PASSWORD=kfp.password)
            proc = run_entry(project, "development", "--inference-test", env=env)
            cookies = [r.cookie for r in kfp.state.requests if r.path.startswith(("/v1/", "/v2/"))]
    finally:
        platform.write_text(original)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert len(cookies) == 2 and all("authservice_session=" in c for c in cookies)


@pytest.mark.slow
def test_in_a_pod_the_tests_call_the_cluster_local_address_with_the_service_account(
    project, deployed, kserve, mlflow_s3_server, monkeypatch, tmp_path
):
    """Given the branch in-cluster (kfp.auth incluster, a Kubeflow notebook or a pipeline pod), then the tests call
    the address deploy recorded from the InferenceService's status.address.url (the external host name need not
    resolve in a pod), with the pod's service-account token, no gateway in between."""
    client = mlflow_s3_server.client(monkeypatch)
    version = client.get_model_version_by_alias(MODEL, "deployed")
    namespace, _, name = version.tags["inference_service"].partition("/")
    assert version.tags["inference_address"] == f"http://{name}-predictor.{namespace}.svc.cluster.local"
    # The cluster's DNS would resolve that name to the predictor; here the predictor is the local KServe server.
    client.set_model_version_tag(MODEL, version.version, "inference_address", kserve.url)
    platform = project / "src" / "pipelines" / "development" / "platform.yaml"
    original = platform.read_text()
    platform.write_text(original.replace("auth: token", "auth: incluster"))
    token = tmp_path / "sa-token"
    token.write_text("pod-service-account-token")
    env = clean_env(tmp_path, **mlflow_s3_server.env, KF_PIPELINES_SA_TOKEN_PATH=str(token))
    try:
        proc = run_entry(project, "development", "--inference-test", env=env)
    finally:
        platform.write_text(original)
        client.set_model_version_tag(MODEL, version.version, "inference_address", version.tags["inference_address"])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert f"at its cluster-local address: model {MODEL} at {kserve.url}" in proc.stdout
    assert "2 passed" in proc.stdout


@pytest.mark.slow
def test_a_wrong_token_is_refused_at_the_gateway_with_what_to_check(
    project, deployed, kserve, mlflow_s3_server, tmp_path
):
    host, _ = deployed
    with KfpStandin("token", token="the-real-token", services={host: kserve.url}) as kfp:
        proc = run_entry(project, "development", "--inference-test", env=laptop_env(tmp_path, mlflow_s3_server, kfp))
    assert proc.returncode == 1
    assert "the gateway refused the branch's credentials (HTTP 401)" in proc.stdout


@pytest.mark.slow
def test_the_tests_fail_when_the_service_serves_another_model(
    project, deployed, another_model, mlflow_s3_server, tmp_path
):
    """Given KServe serving the files of another version while the registry's @deployed names the first, then the
    inference tests fail, saying the service serves another model."""
    host, _ = deployed
    with KfpStandin("token", token=TOKEN, services={host: another_model.url}) as kfp:
        proc = run_entry(project, "development", "--inference-test", env=laptop_env(tmp_path, mlflow_s3_server, kfp))
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "serves another model than the registry's @deployed version" in proc.stdout
    assert "2 failed" in proc.stdout


# ---------------------------------------------------------------- the same tests in the branch's CI/CD, run by act


@pytest.fixture(scope="module")
def github(project, tmp_path_factory):
    """The project pushed to a bare repository (what GitHub holds) and its data served over HTTP: (remote, data URL)."""
    folder = tmp_path_factory.mktemp("github")
    remote = bare_remote(project, folder / f"{NAME}.git")
    write_synthetic_sample(project, folder / "winequality-red.synthetic.csv")
    with StaticFiles(folder) as files:
        yield remote, files.url("winequality-red.synthetic.csv")


def run_and_wait_with_act(github, mlflow_s3_server, workdir, host: str, model_server: KServeModelServer):
    """Start "Run workflow" on development with "Wait" ticked, the branch's secrets set (the gateway's token, the S3
    keys) and the gateway fronting ``model_server`` at the deployed service's host: (the run, its model calls)."""
    remote, data_url = github
    keys = mlflow_s3_server.env
    secrets = {"KFP_TOKEN": TOKEN, **{k: keys[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}}
    with KfpStandin("token", token=TOKEN, polls_to_finish=1, services={host: model_server.url}) as kfp:
        env = {"KFP_HOST": kfp.host, "DATA_URI": data_url}
        run = run_workflow(
            remote,
            "development.yml",
            "workflow_dispatch",
            branch="development",
            inputs={"wait": True},
            env=env,
            secrets=secrets,
            workdir=workdir,
        )
        (submitted,) = kfp.state.runs.values()
        assert submitted["state"] == "SUCCEEDED", run.log[-6000:]  # the submission waited for the run to end
        calls = predict_calls(kfp)
    return run, calls


def step_log(log: str, step: str) -> str:
    """The lines act printed for one step of the job: from its "⭐ Run Main <step>" to its ✅/❌ line."""
    start = log.index(f"⭐ Run Main {step}")
    end = log.index("\n", max(log.find(f"Success - Main {step}", start), log.find(f"Failure - Main {step}", start)))
    return log[start:end]


@pytest.mark.slow
def test_ci_runs_the_inference_tests_after_the_waited_for_run_and_the_job_is_green(
    github, deployed, kserve, mlflow_s3_server, tmp_path
):
    """Given the branch's model deployed and served behind the gateway, when "Run workflow" is started with "Wait"
    (act runs the branch's own workflow file), then the run is submitted and waited for, and after it ends the
    inference step calls the deployed model through the gateway with the branch's token: 2 passed, job green."""
    host, _ = deployed
    run, calls = run_and_wait_with_act(github, mlflow_s3_server, tmp_path, host, kserve)

    assert run.succeeded, run.log[-6000:]
    submit = step_log(run.log, "Compile and submit the pipeline")
    inference = step_log(run.log, "Inference tests against the deployed model")
    assert run.log.index(submit) < run.log.index(inference), "the inference step runs after the submission"
    assert "✓ run: SUCCEEDED: " in submit and "✅  Success - Main Compile and submit the pipeline" in submit
    assert "2 passed" in inference
    assert "✓ inference: the development branch's deployed model answers as registered (V1 and V2)" in inference
    assert "✅  Success - Main Inference tests against the deployed model" in inference
    assert calls == [
        (f"/v1/models/{MODEL}:predict", f"Bearer {TOKEN}"),
        (f"/v2/models/{MODEL}/infer", f"Bearer {TOKEN}"),
    ]
    assert TOKEN not in run.log  # act masks the secret


@pytest.mark.slow
def test_ci_fails_the_job_when_the_service_serves_another_model(
    github, deployed, another_model, mlflow_s3_server, tmp_path
):
    """The same "Run workflow" with the service serving another version than @deployed: the run still ends
    SUCCEEDED, then the inference step fails (2 failed, saying why) and the job is red."""
    host, _ = deployed
    run, calls = run_and_wait_with_act(github, mlflow_s3_server, tmp_path, host, another_model)

    assert not run.succeeded and run.returncode != 0
    assert "✅  Success - Main Compile and submit the pipeline" in run.log
    inference = step_log(run.log, "Inference tests against the deployed model")
    assert "2 failed" in inference
    assert "serves another model than the registry's @deployed version" in inference
    assert "❌  Failure - Main Inference tests against the deployed model" in inference
    assert "🏁  Job failed" in run.log
    assert len(calls) == 2


@pytest.mark.slow
def test_check_inference_runs_them_from_a_laptop_and_an_inference_url_names_the_service(
    project, deployed, kserve, mlflow_s3_server, tmp_path
):
    """`jupyter mlops check --inference` runs the same tests; INFERENCE_URL points them at the model server
    directly (a port-forward to the predictor), no gateway in between."""
    env = clean_env(tmp_path, **mlflow_s3_server.env, KFP_TOKEN=TOKEN, INFERENCE_URL=kserve.url)
    proc = run_cli("check", str(project), "--branch", "development", "--inference", env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"inference: INFERENCE_URL: model {MODEL} at {kserve.url}" in proc.stdout
    assert re.search(r"✓ inference: the development branch's deployed model answers as registered", proc.stdout)


@pytest.mark.slow
def test_the_magic_runs_them_as_the_cli_does(shell, project, deployed, kserve, mlflow_s3_server, monkeypatch, tmp_path):
    """`%mlops check --inference` in a notebook (the kernel's environment holds the branch's credentials): the same
    tests run against the same model, and the cell's value is the result, its lines showing them pass."""
    use_env(monkeypatch, clean_env(tmp_path, **mlflow_s3_server.env, KFP_TOKEN=TOKEN, INFERENCE_URL=kserve.url))
    result = shell.run_line_magic("mlops", f"check {project} --branch development --inference --json")
    assert result["ok"] and result["operation"] == "check", result
    assert f"  inference: INFERENCE_URL: model {MODEL} at {kserve.url}" in result["lines"]
    assert any(line.startswith("2 passed") for line in result["lines"]), result["lines"]
    assert "✓ inference: the development branch's deployed model answers as registered (V1 and V2)" in result["lines"]


# ---------------------------------------------------------------- the same tests over REST (the lab panel's face)


@pytest.fixture
def jp_server_config():
    return server_config()


@pytest.fixture
def jp_root_dir(project):
    """The Jupyter server of the REST test opens the folder holding the deployed project."""
    return project.parent


@pytest.mark.slow
async def test_post_check_with_inference_runs_them_with_the_requests_credentials(
    api, deployed, kserve, mlflow_s3_server, monkeypatch, tmp_path
):
    """Given a Jupyter server whose environment reaches the platform and MLflow (no gateway token), when the panel
    POSTs check with inference: true and the branch's token as a credential, then the job runs the inference tests
    through the gateway with that token, its events show them pass, and its result is ok."""
    host, _ = deployed
    with KfpStandin("token", token=TOKEN, services={host: kserve.url}) as kfp:
        use_env(monkeypatch, clean_env(tmp_path, **mlflow_s3_server.env, KFP_HOST=kfp.host))
        body = {"path": NAME, "branch": "development", "inference": True, "credentials": {"KFP_TOKEN": TOKEN}}
        status, job = await api.post("check", body)
        assert status == 202, job
        done = await api.wait(job, timeout=300)
        calls = predict_calls(kfp)
    assert done["state"] == "succeeded", done["error"]
    check_schema("EntryResult", done["result"])
    assert done["result"]["ok"] and done["result"]["branch"] == "development"
    messages = [e["message"] for e in done["all_events"]]
    assert any("python src/pipelines/development/main.py --inference-test" in m for m in messages)
    assert any("2 passed" in m for m in messages)
    assert any("the development branch's deployed model answers as registered (V1 and V2)" in m for m in messages)
    assert calls == [
        (f"/v1/models/{MODEL}:predict", f"Bearer {TOKEN}"),
        (f"/v2/models/{MODEL}/infer", f"Bearer {TOKEN}"),
    ]


@pytest.mark.slow
def test_without_a_serving_url_the_tests_skip_saying_why_and_pytest_leaves_them_out(wine_project, tmp_path):
    """A project whose registry is reached only in the cluster: `pytest tests/inference` skips with the reason;
    plain `pytest` (the unit tests CI runs first) does not collect them; --inference-test fails with it."""
    env = clean_env(tmp_path)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"]
    explicit = subprocess.run([*run, "tests/inference"], cwd=wine_project, env=env, capture_output=True, text=True)
    assert explicit.returncode == 0 and "2 skipped" in explicit.stdout
    assert "no serving URL for the development branch: the registry" in explicit.stdout
    assert "is reached inside the cluster only" in explicit.stdout
    collected = subprocess.run(
        [*run, "--collect-only"], cwd=wine_project, env=env, capture_output=True, text=True
    ).stdout
    assert "tests/inference" not in collected and "test_steps.py" in collected
    proc = run_entry(wine_project, "development", "--inference-test", env=env)
    assert proc.returncode == 1 and "✗ inference: no serving URL for the development branch" in proc.stdout


def test_check_inference_on_a_project_without_the_example_says_what_it_has(tmp_path):
    """A skeleton project (example = false) has no model to call: --inference is refused (exit 2), naming why
    and what to run instead; no entry point is started."""
    skeleton = generate(tmp_path, "plain", "example=false")
    proc = run_cli("check", str(skeleton), "--inference", env=clean_env(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "has no tests/inference/" in proc.stderr + proc.stdout
    assert "run `jupyter mlops check` without --inference" in proc.stderr + proc.stdout
