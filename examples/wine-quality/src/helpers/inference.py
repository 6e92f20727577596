"""Call the branch's deployed model where KServe serves it: what tests/inference/ checks.

Where it is served, first found of:

1. ``INFERENCE_URL`` (e.g. a port-forward to the predictor), called as it is; ``INFERENCE_HOST`` adds a Host
   header (a gateway that routes by host), ``INFERENCE_MODEL`` names the model on the server;
2. the URL deploy recorded from the InferenceService's status once it was Ready: the ``inference_url`` tag of
   the registered model's ``@deployed`` version in MLflow (``inference_service``: its namespace/name). It is
   reached through the platform's gateway (the branch's kfp.host without ``/pipeline``, with the service's
   host name in the Host header, as Istio routes it); inside the cluster, at its cluster-local address
   (``inference_address``: the status' ``address.url``; the external host name need not resolve in a pod).

Authentication is the branch's own (platform.yaml's kfp.auth, the credentials CI passes as secrets):
``token`` (KFP_TOKEN), ``dex`` (the Dex login of KFP_USERNAME/KFP_PASSWORD; its session cookie),
``incluster`` (the pod's service-account token), ``none``. KServe's two REST protocols are spoken: V1
(``POST /v1/models/<name>:predict`` with ``instances``) and V2 (``POST /v2/models/<name>/infer``, one FP64
input per column, ``content_type: pd`` so the model gets the raw column names).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from src.helpers import limits
from src.helpers.config import ROOT, BranchConfig
from src.helpers.preflight import DEPLOYED_ALIAS
from src.helpers.report import StepFailed


class NoEndpoint(Exception):
    """No serving URL is known for the branch: the message says why and how to give one."""


@dataclass
class Endpoint:
    url: str  # where requests go: the gateway, the service's own address, or INFERENCE_URL
    model: str  # the model's name on the server (the InferenceService's name)
    host: str = ""  # the Host header (the InferenceService's host name behind a gateway)
    source: str = ""  # how it was found, for messages
    session: Any = None  # a requests.Session with the branch's credentials

    def _post(self, path: str, payload: dict) -> dict:
        import requests

        headers = {"Host": self.host} if self.host else {}
        limit = limits.seconds(limits.INFERENCE)
        try:
            answer = self.session.post(
                self.url + path, json=payload, headers=headers, timeout=(limits.CONNECT, limit)
            )
        except requests.Timeout:
            raise StepFailed(
                f"{self.url}{path} did not answer within {limit:g} s ({self.source})",
                f"check the InferenceService's predictor is Ready; give it longer with {limits.INFERENCE[0]}",
            ) from None
        except requests.RequestException as exc:
            raise StepFailed(f"{self.url}{path} did not answer: {type(exc).__name__}", self.source) from None
        login_page = answer.history and "text/html" in answer.headers.get("Content-Type", "")
        if answer.status_code in (401, 403) or login_page:
            raise StepFailed(
                f"{self.url}{path}: the gateway refused the branch's credentials (HTTP {answer.status_code})",
                "check the KFP login secrets of the branch (the gateway in front of KServe takes the same)",
            )
        if answer.status_code != 200:
            raise StepFailed(f"{self.url}{path} answered HTTP {answer.status_code}: {answer.text[:300]}", "")
        return answer.json()

    def predict_v1(self, rows) -> list[float]:
        """KServe's V1 protocol: the rows as lists of numbers, in the training columns' order."""
        answer = self._post(f"/v1/models/{self.model}:predict", {"instances": rows.values.tolist()})
        return [float(p) for p in answer["predictions"]]

    def infer_v2(self, rows) -> list[float]:
        """The V2 (Open Inference) protocol: one named FP64 input per column; the model gets a DataFrame."""
        inputs = [
            {"name": str(c), "shape": [len(rows)], "datatype": "FP64", "data": rows[c].astype(float).tolist()}
            for c in rows.columns
        ]
        answer = self._post(
            f"/v2/models/{self.model}/infer", {"inputs": inputs, "parameters": {"content_type": "pd"}}
        )
        return [float(p) for p in answer["outputs"][0]["data"]]


def service_name(model_name: str) -> str:
    """The InferenceService deploy creates for ``model_name`` (a DNS label; the same rule as deploy's)."""
    name = re.sub(r"[^a-z0-9-]+", "-", model_name.lower()).strip("-")[:45].rstrip("-")
    return name if name[:1].isalpha() else f"model-{name}"[:45]


def deployed_version(config: BranchConfig):
    """(the MLflow client, the @deployed version of the branch's model); NoEndpoint when there is none, a
    StepFailed when the registry fails (that is no reason to skip)."""
    from src.helpers.kfp_client import in_cluster
    from src.helpers.preflight import _cluster_only
    from src.helpers.preflight import deployed_version as registered

    model = str(config.params.get("model_name") or "")
    if not (config.mlflow_uri and model):
        raise NoEndpoint(
            f"the {config.branch} branch has no MLflow registry (mlflow.uri, model_name): set INFERENCE_URL"
        )
    if _cluster_only(config.mlflow_uri) and not in_cluster():
        raise NoEndpoint(
            f"the registry {config.mlflow_uri} is reached inside the cluster only: port-forward it and point "
            "mlflow.uri there, or set INFERENCE_URL"
        )
    client, version = registered(config, os.environ)
    if version is None:
        raise NoEndpoint(f"no version of {model} is deployed yet (@{DEPLOYED_ALIAS})")
    return client, version


def endpoint(config: BranchConfig, env: Mapping[str, str] | None = None) -> Endpoint:
    """Where the branch's deployed model answers, with the branch's credentials; NoEndpoint when unknown."""
    from src.helpers.kfp_client import connect, gateway_url, in_cluster

    env = os.environ if env is None else env
    model = service_name(str(config.params.get("model_name") or "model"))
    if env.get("INFERENCE_URL"):
        found = Endpoint(
            env["INFERENCE_URL"].rstrip("/"),
            env.get("INFERENCE_MODEL") or model,
            env.get("INFERENCE_HOST", ""),
            "INFERENCE_URL",
        )
    else:
        _, version = deployed_version(config)
        tags = version.tags or {}
        url = tags.get("inference_url", "")
        if not url:
            raise NoEndpoint(
                f"{version.name} version {version.version} (@{DEPLOYED_ALIAS}) records no inference_url "
                "(deploy records it once KServe reports the service Ready): set INFERENCE_URL"
            )
        model = tags.get("inference_service", "").rpartition("/")[2] or model
        where = f"the InferenceService of {version.name} version {version.version}"
        if in_cluster(env):
            local = tags.get("inference_address") or url
            found = Endpoint(local.rstrip("/"), model, "", f"{where}, at its cluster-local address")
        else:
            gateway = gateway_url(config.kfp_host) if config.kfp_host else ""
            if not gateway:
                raise NoEndpoint(f"no gateway to reach {url} through (kfp.host is empty): set INFERENCE_URL")
            found = Endpoint(gateway, model, urlsplit(url).hostname or "", f"{where}, through {gateway}")
    found.session = connect(config, env).session()  # the branch's KFP login: the gateway's too
    return found


def raw_rows(config: BranchConfig, target: str = "quality", count: int = 8):
    """A few raw rows of the branch's data as a client sends them (the local data when there is some)."""
    import pandas as pd

    uri = config.local_data_uri or config.data_uri
    source = uri if "://" in uri else str(ROOT / uri)
    frame = pd.read_csv(source, sep=None, engine="python", nrows=200)  # ';' or ',', as the file has it
    rows = frame.drop(columns=[target], errors="ignore").sample(count, random_state=7).reset_index(drop=True)
    return rows.astype(float)  # measurements are real numbers (the signature's doubles), even when whole


def expected(config: BranchConfig, rows) -> tuple[list[float], tuple[float, float]]:
    """What the registered @deployed version predicts for ``rows`` here (MLflow's pyfunc), and the target's
    range in its training data (the reference statistics stored with it)."""
    import json
    import tempfile
    from pathlib import Path

    import mlflow

    client, version = deployed_version(config)
    mlflow.set_tracking_uri(config.mlflow_uri)
    local = mlflow.pyfunc.load_model(f"models:/{version.name}@{DEPLOYED_ALIAS}")
    with tempfile.TemporaryDirectory() as folder:
        path = client.download_artifacts(version.run_id, "reference/reference.json", folder)
        target = json.loads(Path(path).read_text(encoding="utf-8"))["target"]
    return [float(p) for p in local.predict(rows)], (float(target["min"]), float(target["max"]))
