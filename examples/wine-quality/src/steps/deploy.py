"""deploy: serve the registered version with KServe (on the cluster only), then mark it as deployed."""

from kfp import dsl


@dsl.component(base_image="python:3.11-slim", packages_to_install=["kubernetes>=28", "mlflow-skinny>=3.1,<4"])
def deploy(
    model_name: str,
    version: str,
    storage_uri: str,
    mlflow_uri: str = "",
    ready_timeout: float = 600,
    service_account: str = "kserve-sa",
) -> str:
    """Create or update the KServe InferenceService for ``model_name`` serving ``storage_uri`` (version
    ``version`` in the MLflow registry), wait until KServe reports it Ready, print its URL, then move the
    registered model's alias ``deployed`` to that version: the alias always names what is served.

    Runs only where it can do something: in a Kubernetes pod, for a registered version. Elsewhere
    (kfp.local, a run without MLflow) it says why it skipped and succeeds. It fails the step, with the
    reason, when KServe could not read the model's files (a storage URI KServe has no reader for is
    refused before anything is created), or when the service is not Ready within ``ready_timeout``
    seconds. Deploying the version already served changes nothing. The version is tagged with the
    service's URL (``inference_url``, through the ingress gateway) and its address inside the cluster
    (``inference_address``), where the inference tests find it.
    """
    import os
    import re
    import time

    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        message = f"deploy: skipped, not running on a Kubernetes cluster (there it serves {model_name!r})"
        print(message)
        return message
    if not (version and storage_uri):
        message = "deploy: skipped, no registered version to serve (the run was not tracked in MLflow)"
        print(message)
        return message
    # Schemes KServe's storage initializer downloads a model folder from (kserve-storage); an MLflow server
    # proxying artifacts hands out mlflow-artifacts:/ (or file:, runs:, models:) URIs, which it cannot read.
    readable = ("s3://", "gs://", "hdfs://", "webhdfs://", "pvc://")
    azure_blob = re.match(r"https://[a-z0-9]+\.blob\.core\.windows\.net/", storage_uri)
    if not (storage_uri.startswith(readable) or azure_blob):
        raise RuntimeError(
            f"deploy: KServe cannot download {storage_uri} (it reads {', '.join(readable)} and Azure "
            "Blob URIs); nothing was created. The MLflow server must store artifacts where KServe reads "
            "them: run it with --default-artifact-root s3://<bucket>/ --no-serve-artifacts (MinIO: "
            "s3://mlflow/), then track to a new experiment (an experiment keeps its artifact location)"
        )

    from kubernetes import client, config
    from kubernetes.config import incluster_config

    config.load_incluster_config()
    account = os.path.dirname(incluster_config.SERVICE_TOKEN_FILENAME)  # the pod's service-account folder
    with open(os.path.join(account, "namespace")) as handle:
        namespace = handle.read().strip()
    # An InferenceService name is a DNS label: lower-case letters, digits and '-', starting with a letter.
    name = re.sub(r"[^a-z0-9-]+", "-", model_name.lower()).strip("-")[:45].rstrip("-")
    name = name if name[:1].isalpha() else f"model-{name}"[:45]
    body = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {"sidecar.istio.io/inject": "false"},
        },
        "spec": {
            "predictor": {
                "serviceAccountName": service_account,
                "minReplicas": 1,
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "storageUri": storage_uri,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "512Mi"},
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                    },
                },
            }
        },
    }

    def within(wanted, found) -> bool:
        """Every field deploy sets has that value (KServe adds its defaults beside them)."""
        if isinstance(wanted, dict):
            return isinstance(found, dict) and all(within(v, found.get(k)) for k, v in wanted.items())
        return wanted == found

    api = client.CustomObjectsApi()
    where = ("serving.kserve.io", "v1beta1", namespace, "inferenceservices")

    def kube(call, *args):
        """One Kubernetes API request: 10 s to connect, 60 s for the answer (the client has no limit)."""
        import urllib3

        try:
            return call(*where, *args, _request_timeout=(10, 60))
        except urllib3.exceptions.HTTPError as exc:  # a timeout, or retries spent on a refused connection
            cause = getattr(exc, "reason", None) or exc
            late = isinstance(cause, urllib3.exceptions.TimeoutError)
            what = "did not answer within 60 s" if late else f"is unreachable ({cause})"
            raise RuntimeError(f"deploy: the Kubernetes API {what}") from None

    try:
        current = kube(api.get_namespaced_custom_object, name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise
        current = kube(api.create_namespaced_custom_object, body)
        action = "created"
    else:
        same = within(body["spec"], current.get("spec"))
        if same and within(body["metadata"]["annotations"], current["metadata"].get("annotations")):
            action = "unchanged"  # nothing is written
        else:
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            current = kube(api.replace_namespaced_custom_object, name, body)
            action = "updated"
    generation = current["metadata"].get("generation", 0)
    print(f"deploy: {action} InferenceService {name} in {namespace}, serving {model_name} version {version}")

    # Ready: KServe's Ready condition is True for this generation of the spec (not an older revision's).
    deadline, pause, reason = time.monotonic() + ready_timeout, 1.0, "no status yet"
    while True:
        status = current.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        failure = (status.get("modelStatus") or {}).get("lastFailureInfo") or {}
        if status.get("observedGeneration", 0) >= generation and ready.get("status") == "True":
            break
        if failure:
            reason = f"{failure.get('reason', 'Failed')}: {failure.get('message', '')}".strip(": ")
            raise RuntimeError(f"deploy: InferenceService {name} failed: {reason}")
        if ready:
            reason = f"{ready.get('reason') or 'NotReady'}: {ready.get('message') or ready.get('status')}"
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"deploy: InferenceService {name} not Ready after {ready_timeout:.0f} s ({reason})"
            )
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 10.0)
        current = kube(api.get_namespaced_custom_object, name)
    url = status.get("url") or (status.get("address") or {}).get("url") or ""
    print(f"deploy: InferenceService {name} is Ready at {url}")

    if mlflow_uri:
        from mlflow import MlflowClient

        registry = MlflowClient(mlflow_uri)
        # Where the version is served: the inference tests (tests/inference/) call it there.
        address = (status.get("address") or {}).get("url") or ""  # the cluster-local one: from pods
        where = {
            "inference_url": url,
            "inference_address": address,
            "inference_service": f"{namespace}/{name}",
        }
        tags = registry.get_model_version(model_name, version).tags
        for key, value in where.items():
            if value and tags.get(key) != value:
                registry.set_model_version_tag(model_name, version, key, value)
        served = registry.get_registered_model(model_name).aliases.get("deployed", "")
        if str(served) != str(version):
            registry.set_registered_model_alias(model_name, "deployed", version)
            print(f"deploy: {model_name}@deployed now names version {version} (was {served or 'none'})")
    return f"deploy: {model_name} version {version} {action}, Ready at {url}"
