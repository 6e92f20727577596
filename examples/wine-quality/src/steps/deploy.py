"""deploy: serve the registered model with KServe (on the cluster only)."""

from kfp import dsl


@dsl.component(base_image="python:3.11-slim", packages_to_install=["kubernetes>=28"])
def deploy(model_name: str, storage_uri: str, service_account: str = "kserve-sa") -> str:
    """Create or update the KServe InferenceService ``model_name`` serving ``storage_uri``.

    Runs only where it can do something: inside a Kubernetes pod with a model in the MLflow registry.
    Elsewhere (kfp.local, no tracking URI) it says why it skipped and succeeds.
    """
    import os

    namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    if not os.environ.get("KUBERNETES_SERVICE_HOST") or not os.path.exists(namespace_file):
        message = f"deploy: skipped, not running on a Kubernetes cluster (there it serves {model_name!r})"
        print(message)
        return message
    if not storage_uri:
        message = (
            "deploy: skipped, no registered model to serve (set mlflow.uri in the branch's platform.yaml)"
        )
        print(message)
        return message

    from kubernetes import client, config

    config.load_incluster_config()
    with open(namespace_file) as handle:
        namespace = handle.read().strip()
    body = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": model_name,
            "namespace": namespace,
            "annotations": {"sidecar.istio.io/inject": "false"},
        },
        "spec": {
            "predictor": {
                "serviceAccountName": service_account,
                "minReplicas": 1,
                "sklearn": {
                    "storageUri": storage_uri,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "512Mi"},
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                    },
                },
            }
        },
    }
    api = client.CustomObjectsApi()
    group, version, plural = "serving.kserve.io", "v1beta1", "inferenceservices"
    try:
        api.create_namespaced_custom_object(group, version, namespace, plural, body)
        action = "created"
    except client.ApiException as exc:
        if exc.status != 409:
            raise
        current = api.get_namespaced_custom_object(group, version, namespace, plural, model_name)
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        api.replace_namespaced_custom_object(group, version, namespace, plural, model_name, body)
        action = "updated"
    message = f"deploy: {action} InferenceService {model_name} in {namespace}, serving {storage_uri}"
    print(message)
    return message
