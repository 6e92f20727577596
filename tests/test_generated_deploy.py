"""The deployed model is right: the example pipeline, tracked to a real MLflow server with artifacts on S3, deploys
the version it registered to KServe (a Kubernetes API stand-in, tests/standins/kubernetes.py, validating every
body with the kserve SDK's models), waits for Ready, marks it @deployed; KServe's own model server
(tests/kserve_support.py), loading that version from its storage URI, predicts raw rows as MLflow's pyfunc does.

The pipeline runs as a user's local run does (`main.py --local`, kfp.local) inside a stand-in pod
(KUBERNETES_SERVICE_HOST and a service-account folder), so its deploy step does what it does on a cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.generated_support import clean_env, generate, run_entry
from tests.kserve_support import KServeModelServer
from tests.standins.kubernetes import KubernetesStandin, validate_inference_service

NAME = "wine-served"
MODEL = f"{NAME}-development"


def pod_env(home, k8s: KubernetesStandin, server, **extra: str) -> dict[str, str]:
    env = clean_env(home, **server.env, **extra)
    env.update(k8s.pod_env(os.environ.get("PYTHONPATH", "")))
    return env


def deploy_in_pod(project, home, k8s, server, **arguments) -> subprocess.CompletedProcess:
    """The deploy step alone, as its pod runs it (the function the component wraps)."""
    code = "import json, sys\nfrom src.steps.deploy import deploy\nprint(deploy.python_func(**json.loads(sys.argv[1])))"
    arguments = {"model_name": MODEL, "mlflow_uri": server.uri, **arguments}
    return subprocess.run(
        [sys.executable, "-c", code, json.dumps(arguments)],
        cwd=project,
        env=pod_env(home, k8s, server),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("deploy"), NAME)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with KubernetesStandin(tmp_path_factory.mktemp("k8s"), polls_to_ready=2) as k8s:
        yield k8s


@pytest.fixture(scope="module")
def deployed(project, cluster, mlflow_s3_server, tmp_path_factory):
    """One tracked run of the whole pipeline in the stand-in pod: (process, last-run.json)."""
    home = tmp_path_factory.mktemp("home")
    env = pod_env(home, cluster, mlflow_s3_server)
    proc = run_entry(project, "development", "--local", "--param", f"mlflow_uri={mlflow_s3_server.uri}", env=env)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    last = json.loads((project / "local_outputs" / "development" / "last-run.json").read_text())
    return proc, last


@pytest.mark.slow
def test_a_passing_run_is_served_by_kserve_once_ready_then_marked_deployed(
    deployed, cluster, mlflow_s3_server, monkeypatch
):
    proc, _ = deployed
    client = mlflow_s3_server.client(monkeypatch)
    storage_uri = client.get_model_version_download_uri(MODEL, "1")
    assert storage_uri.startswith("s3://mlflow/") and storage_uri.endswith("/artifacts")
    namespace = cluster.namespace
    assert f"deploy: created InferenceService {MODEL} in {namespace}, serving {MODEL} version 1" in proc.stdout
    assert f"deploy: InferenceService {MODEL} is Ready at http://{MODEL}.{namespace}.example.com" in proc.stdout
    assert f"deploy: {MODEL}@deployed now names version 1 (was none)" in proc.stdout
    # what the cluster holds: one InferenceService, the sklearn runtime on the version's files
    served = cluster.objects[MODEL]
    assert served["spec"]["predictor"]["model"] == {
        "modelFormat": {"name": "sklearn"},
        "storageUri": storage_uri,
        "resources": {
            "requests": {"cpu": "100m", "memory": "512Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
    }
    assert served["spec"]["predictor"]["serviceAccountName"] == "kserve-sa"
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in cluster.writes] == [("POST", "inferenceservices")]
    assert all(r.authorization.split(" ", 1)[1] == cluster.token for r in cluster.requests), "the pod's token"
    assert client.get_registered_model(MODEL).aliases == {"deployed": "1"}


@pytest.mark.slow
def test_kserve_serving_the_registered_files_predicts_raw_rows_as_mlflow_pyfunc_does(
    deployed, project, cluster, mlflow_s3_server, s3_server, monkeypatch, tmp_path
):
    """KServe's model server downloads what the InferenceService names (s3://…) and answers V1 and V2 predict
    requests of raw rows with the predictions of the registered Pipeline loaded by MLflow."""
    import mlflow

    _, last = deployed
    rows = pd.read_csv(project / "local_outputs" / "development" / last["run"] / "preprocess" / "test_set")
    features = rows.drop(columns=["quality"]).head(25)
    mlflow_s3_server.client(monkeypatch)  # MLflow reads the S3 endpoint and keys from the environment
    mlflow.set_tracking_uri(mlflow_s3_server.uri)
    expected = mlflow.pyfunc.load_model(f"models:/{MODEL}@deployed").predict(features)
    storage_uri = cluster.objects[MODEL]["spec"]["predictor"]["model"]["storageUri"]
    with KServeModelServer(tmp_path, MODEL, storage_uri, env=s3_server.env) as kserve:
        v1 = kserve.predict_v1(features.values.tolist())
        v2 = kserve.infer_v2(features)
    assert v1 == pytest.approx(list(expected), abs=1e-9)
    assert v2 == pytest.approx(list(expected), abs=1e-9)
    assert 4 < min(v1) and max(v1) < 8, "wine quality scores, not scaled-space numbers"


@pytest.mark.slow
def test_deploying_the_served_version_again_changes_nothing(deployed, project, cluster, mlflow_s3_server, tmp_path):
    before = (len(cluster.writes), cluster.objects[MODEL]["metadata"]["resourceVersion"])
    storage_uri = cluster.objects[MODEL]["spec"]["predictor"]["model"]["storageUri"]
    proc = deploy_in_pod(project, tmp_path, cluster, mlflow_s3_server, version="1", storage_uri=storage_uri)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"deploy: unchanged InferenceService {MODEL}" in proc.stdout
    assert "@deployed now names" not in proc.stdout
    assert (len(cluster.writes), cluster.objects[MODEL]["metadata"]["resourceVersion"]) == before


def register_another_version(project, server, monkeypatch, model: str = MODEL) -> tuple[str, str]:
    """A second version of ``model`` with its own files (another alpha), registered as evaluate does (in the
    experiment of the same name, as the branch's runs)."""
    import mlflow
    import mlflow.sklearn
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    client = server.client(monkeypatch)
    mlflow.set_tracking_uri(server.uri)
    frame = pd.read_csv(project / "data" / "example" / "winequality-red.csv", sep=";")
    features = frame.drop(columns=["quality"])
    fitted = Pipeline([("scale", StandardScaler()), ("regress", ElasticNet(alpha=0.05))]).fit(
        features, frame["quality"]
    )
    mlflow.set_experiment(model)
    with mlflow.start_run():
        logged = mlflow.sklearn.log_model(fitted, name="model", serialization_format="pickle", pip_requirements=[])
    version = mlflow.register_model(logged.model_uri, model).version
    return str(version), client.get_model_version_download_uri(model, version)


@pytest.mark.slow
def test_a_new_version_replaces_the_spec_and_moves_the_alias_once_the_new_generation_is_ready(
    deployed, project, cluster, mlflow_s3_server, monkeypatch, tmp_path
):
    version, storage_uri = register_another_version(project, mlflow_s3_server, monkeypatch)
    generation = cluster.objects[MODEL]["metadata"]["generation"]
    proc = deploy_in_pod(project, tmp_path, cluster, mlflow_s3_server, version=version, storage_uri=storage_uri)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"deploy: updated InferenceService {MODEL}" in proc.stdout
    assert f"@deployed now names version {version} (was 1)" in proc.stdout
    replace = cluster.writes[-1]
    assert replace.method == "PUT" and replace.body["metadata"]["resourceVersion"], "optimistic concurrency"
    assert cluster.objects[MODEL]["metadata"]["generation"] == generation + 1
    assert cluster.objects[MODEL]["spec"]["predictor"]["model"]["storageUri"] == storage_uri
    assert mlflow_s3_server.client(monkeypatch).get_registered_model(MODEL).aliases == {"deployed": version}


@pytest.mark.slow
def test_a_model_kserve_cannot_load_fails_the_step_with_kserves_reason_and_moves_no_alias(
    project, mlflow_s3_server, monkeypatch, tmp_path
):
    client = mlflow_s3_server.client(monkeypatch)
    client.set_registered_model_alias(MODEL, "deployed", "1")
    message = "failed to load model: No module named 'sklearn.linear_model._coordinate_descent'"
    with KubernetesStandin(tmp_path / "k8s", polls_to_ready=2, fail_with=("ModelLoadFailed", message)) as k8s:
        proc = deploy_in_pod(
            project, tmp_path, k8s, mlflow_s3_server, version="2", storage_uri="s3://mlflow/9/models/m-x/artifacts"
        )
    assert proc.returncode != 0
    assert f"deploy: InferenceService {MODEL} failed: ModelLoadFailed: {message}" in proc.stderr
    assert client.get_registered_model(MODEL).aliases == {"deployed": "1"}


@pytest.mark.slow
def test_a_service_not_ready_in_time_fails_with_the_last_reason_kserve_gave(
    project, mlflow_s3_server, monkeypatch, tmp_path
):
    with KubernetesStandin(tmp_path / "k8s", polls_to_ready=10_000) as k8s:
        proc = deploy_in_pod(
            project,
            tmp_path,
            k8s,
            mlflow_s3_server,
            version="1",
            storage_uri="s3://mlflow/9/models/m-y/artifacts",
            ready_timeout=2,
        )
    assert proc.returncode != 0
    assert f"deploy: InferenceService {MODEL} not Ready after 2 s (RevisionMissing: Configuration" in proc.stderr


@pytest.mark.parametrize("storage_uri", ["mlflow-artifacts:/1/models/m-1/artifacts", "runs:/abc/model"])
def test_a_storage_uri_kserve_cannot_read_stops_the_step_before_any_request(
    project, mlflow_server, tmp_path, storage_uri
):
    with KubernetesStandin(tmp_path / "k8s") as k8s:
        proc = deploy_in_pod(project, tmp_path, k8s, mlflow_server, version="1", storage_uri=storage_uri)
        assert k8s.requests == []
    assert proc.returncode != 0
    assert f"KServe cannot download {storage_uri}" in proc.stderr and "--no-serve-artifacts" in proc.stderr


# ---------------------------------------------------------------- the stand-in's validation can fail


GOOD = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "wine", "namespace": "team", "annotations": {"sidecar.istio.io/inject": "false"}},
    "spec": {"predictor": {"minReplicas": 1, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://b/m"}}},
}


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda b: b["spec"]["predictor"].update(sklearnn={}), 'spec.predictor.sklearnn: unknown field "sklearnn"'),
        (lambda b: b["spec"]["predictor"].update(minReplicas="1"), "spec.predictor.minReplicas: Invalid type"),
        (lambda b: b["spec"]["predictor"]["model"].update(storage_uri="s3://b/m"), 'unknown field "storage_uri"'),
        (lambda b: b["metadata"].update(annotations={"a": 1}), "metadata.annotations.a: Invalid type"),
        (lambda b: b.update(kind="Service"), "kind: must be InferenceService"),
    ],
)
def test_the_standin_rejects_what_the_api_server_would(change, problem):
    assert validate_inference_service(GOOD) == []
    body = json.loads(json.dumps(GOOD))
    change(body)
    assert any(problem in p for p in validate_inference_service(body)), validate_inference_service(body)
