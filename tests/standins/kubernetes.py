"""A local stand-in for the Kubernetes API server, as far as a deploy step uses it: KServe's
``InferenceService`` custom resource (``serving.kserve.io/v1beta1``, plural ``inferenceservices``) in one
namespace, reached from a stand-in pod.

What it follows:

- Kubernetes API concepts (https://kubernetes.io/docs/reference/using-api/api-concepts/): a namespaced custom
  resource lives at ``/apis/{group}/{version}/namespaces/{namespace}/{plural}[/{name}]``; ``POST`` creates
  (201, the stored object; 409 ``AlreadyExists``), ``GET`` reads (404 ``NotFound``), ``PUT`` replaces. Every
  write bumps ``metadata.resourceVersion``; a ``PUT`` must carry the current one (optimistic concurrency,
  https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions): without it 422
  ``Invalid`` ("must be specified for an update"), with a stale one 409 ``Conflict``. ``metadata.generation``
  counts changes of the spec. Errors are ``Status`` objects
  (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/). A custom resource with
  the status subresource keeps ``status`` apart: a ``PUT`` of the object never changes it
  (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#status-subresource).
- Authentication of a pod (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/): HTTPS with
  the cluster's CA certificate and ``Authorization: Bearer <service-account token>``, else 401; the pod finds
  the token, ``ca.crt`` and its ``namespace`` in its service-account folder and the API at
  ``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT``.
- KServe's InferenceService API (https://kserve.github.io/website/latest/reference/api/, v1beta1): every body
  a client sends is checked against the kserve SDK's own models (``kserve.V1beta1InferenceService`` and the
  Kubernetes models it refers to) by a strict walker: an unknown field or a wrong type is a 422 ``Invalid``,
  as the API server's structural schema validation answers. The status is what KServe's controller writes
  (https://kserve.github.io/website/latest/modelserving/v1beta1/serving_runtime/ and the
  ``InferenceServiceStatus`` reference): ``conditions`` with ``Ready``, ``observedGeneration``, ``url``,
  ``address.url`` and ``modelStatus`` (``states.targetModelState``, ``transitionStatus``,
  ``lastFailureInfo{reason, message}`` when the model failed to load).

The controller is simulated: after a create or a spec change the service is ``Ready`` once it has been read
``polls_to_ready`` times, or, with ``fail_with=(reason, message)``, reports that model-load failure instead.

    with KubernetesStandin(tmp_path, polls_to_ready=2) as k8s:
        env = k8s.pod_env()          # what a process needs to act as a pod of namespace k8s.namespace
        ... k8s.objects, k8s.requests, k8s.writes ...
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import re
import secrets
import ssl
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GROUP, VERSION, PLURAL, KIND = "serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService"
_PATH = re.compile(rf"^/apis/{GROUP}/{VERSION}/namespaces/(?P<ns>[^/]+)/{PLURAL}(?:/(?P<name>[^/]+))?$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

# The sitecustomize module of a stand-in pod: Python's kubernetes client reads its service-account files from
# fixed paths (/var/run/secrets/kubernetes.io/serviceaccount/...); this points them at the test's folder, the
# only difference from a real pod.
POD_SITECUSTOMIZE = '''"""A test's stand-in pod: its service-account folder is KUBERNETES_TEST_SERVICE_ACCOUNT."""
import os

if os.environ.get("KUBERNETES_TEST_SERVICE_ACCOUNT"):
    from kubernetes.config import incluster_config

    _folder = os.environ["KUBERNETES_TEST_SERVICE_ACCOUNT"]
    incluster_config.SERVICE_TOKEN_FILENAME = os.path.join(_folder, "token")
    incluster_config.SERVICE_CERT_FILENAME = os.path.join(_folder, "ca.crt")
'''


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None
    body: dict | None


class KubernetesStandin:
    def __init__(
        self,
        folder: Path,
        *,
        namespace: str = "kubeflow-user-example-com",
        polls_to_ready: int = 2,
        fail_with: tuple[str, str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.namespace = namespace
        self.polls_to_ready = polls_to_ready
        self.fail_with = fail_with
        self.token = secrets.token_urlsafe(24)
        self.objects: dict[str, dict] = {}  # name -> the stored InferenceService
        self.resource_version = 1000  # the cluster-wide counter every write advances
        self.polls: dict[str, int] = {}  # name -> reads since its spec last changed
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "KubernetesStandin":
        self.folder.mkdir(parents=True, exist_ok=True)
        account = self.service_account
        account.mkdir(parents=True, exist_ok=True)
        certificate, key = _self_signed(account)
        (account / "token").write_text(self.token)
        (account / "namespace").write_text(self.namespace)
        (self.folder / "pod").mkdir(exist_ok=True)
        (self.folder / "pod" / "sitecustomize.py").write_text(POD_SITECUSTOMIZE)
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def service_account(self) -> Path:
        return self.folder / "serviceaccount"

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def pod_env(self, pythonpath: str = "") -> dict[str, str]:
        """Environment variables that make a Python process a pod of this cluster: the API's address (as
        Kubernetes sets it in every pod) and the service-account folder, via the stand-in pod's sitecustomize."""
        path = str(self.folder / "pod") + (f":{pythonpath}" if pythonpath else "")
        return {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(self.port),
            "KUBERNETES_TEST_SERVICE_ACCOUNT": str(self.service_account),
            "PYTHONPATH": path,
        }

    @property
    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PUT")]

    # ------------------------------------------------------------------ the simulated KServe controller

    def _observe(self, name: str) -> None:
        """One read of the service: the controller moves it towards Ready (or its failure) for this generation."""
        stored = self.objects[name]
        self.polls[name] = self.polls.get(name, 0) + 1
        generation = stored["metadata"]["generation"]
        now = _now()
        if self.polls[name] < self.polls_to_ready:
            stored["status"] = {
                "observedGeneration": generation,
                "conditions": [
                    {
                        "type": "PredictorReady",
                        "status": "Unknown",
                        "reason": "RevisionMissing",
                        "message": f'Configuration "{name}-predictor" is waiting for a Revision to become ready.',
                        "lastTransitionTime": now,
                    },
                    {
                        "type": "Ready",
                        "status": "Unknown",
                        "reason": "RevisionMissing",
                        "message": f'Configuration "{name}-predictor" is waiting for a Revision to become ready.',
                        "lastTransitionTime": now,
                    },
                ],
                "modelStatus": {"transitionStatus": "InProgress", "states": {"targetModelState": "Pending"}},
            }
            return
        if self.fail_with:
            reason, message = self.fail_with
            stored["status"] = {
                "observedGeneration": generation,
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "RevisionFailed",
                        "message": f'Revision "{name}-predictor-00001" failed with message: {message}.',
                        "lastTransitionTime": now,
                    }
                ],
                "modelStatus": {
                    "transitionStatus": "BlockedByFailedLoad",
                    "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
                    "lastFailureInfo": {"reason": reason, "message": message},
                },
            }
            return
        stored["status"] = {
            "observedGeneration": generation,
            "url": f"http://{name}.{self.namespace}.example.com",
            "address": {"url": f"http://{name}-predictor.{self.namespace}.svc.cluster.local"},
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": now}
                for t in ("IngressReady", "PredictorReady", "Ready")
            ],
            "modelStatus": {
                "transitionStatus": "UpToDate",
                "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
            },
        }


class StatusError(Exception):
    def __init__(self, code: int, reason: str, message: str, name: str = "") -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.name = code, reason, message, name

    def body(self) -> dict:
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.name:
            status["details"] = {"name": self.name, "group": GROUP, "kind": PLURAL}
        return status


class _Handler(BaseHTTPRequestHandler):
    owner: KubernetesStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self, method: str) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with owner.lock:
            owner.requests.append(Request(method, self.path, self.headers.get("Authorization"), body))
            try:
                scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or token != owner.token:  # auth schemes are case-insensitive (RFC 7235)
                    raise StatusError(401, "Unauthorized", "Unauthorized")
                status, payload = self._route(method, body, raw)
            except StatusError as exc:
                status, payload = exc.code, exc.body()
        self._send(status, payload)

    def _route(self, method: str, body: dict | None, raw: bytes) -> tuple[int, dict]:
        owner = self.owner
        match = _PATH.match(self.path.split("?", 1)[0])
        if not match:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        namespace, name = match["ns"], match["name"]
        if namespace != owner.namespace:
            raise StatusError(
                403,
                "Forbidden",
                f'{PLURAL}.{GROUP} is forbidden: User "system:serviceaccount:{owner.namespace}:default-editor" '
                f'cannot {method.lower()} resource "{PLURAL}" in API group "{GROUP}" in the namespace "{namespace}"',
            )
        if method == "GET" and name:
            if name not in owner.objects:
                raise StatusError(404, "NotFound", f'{PLURAL}.{GROUP} "{name}" not found', name)
            owner._observe(name)
            return 200, copy.deepcopy(owner.objects[name])
        if method in ("POST", "PUT"):
            if body is None:
                raise StatusError(400, "BadRequest", f"the body is not a JSON object: {raw[:80]!r}")
            problems = validate_inference_service(body)
            if problems:
                raise StatusError(422, "Invalid", f"{KIND}.{GROUP} is invalid: " + "; ".join(problems))
            meta = body["metadata"]
            if meta.get("namespace", namespace) != namespace:
                raise StatusError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            if method == "POST" and not name:
                return self._create(body)
            if method == "PUT" and name:
                return self._replace(name, body)
        raise StatusError(405, "MethodNotAllowed", f"{method} is not supported here")

    def _create(self, body: dict) -> tuple[int, dict]:
        owner = self.owner
        name = body["metadata"].get("name", "")
        if not _DNS_LABEL.match(name) or len(name) > 63:
            raise StatusError(422, "Invalid", f'{KIND}.{GROUP} "{name}" is invalid: metadata.name: a DNS-1035 label')
        if name in owner.objects:
            raise StatusError(409, "AlreadyExists", f'{PLURAL}.{GROUP} "{name}" already exists', name)
        stored = copy.deepcopy(body)
        stored.pop("status", None)
        stored["metadata"].update(
            namespace=owner.namespace,
            uid=str(uuid.uuid4()),
            resourceVersion=_next_version(owner),
            generation=1,
            creationTimestamp=_now(),
        )
        stored["status"] = {}
        owner.objects[name] = stored
        owner.polls[name] = 0
        return 201, copy.deepcopy(stored)

    def _replace(self, name: str, body: dict) -> tuple[int, dict]:
        owner = self.owner
        if name not in owner.objects:
            raise StatusError(404, "NotFound", f'{PLURAL}.{GROUP} "{name}" not found', name)
        if body["metadata"].get("name") != name:
            raise StatusError(400, "BadRequest", "the name of the object does not match the name on the URL")
        stored = owner.objects[name]
        version = body["metadata"].get("resourceVersion")
        if not version:
            raise StatusError(
                422,
                "Invalid",
                f'{KIND}.{GROUP} "{name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: '
                "must be specified for an update",
            )
        if version != stored["metadata"]["resourceVersion"]:
            raise StatusError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {PLURAL}.{GROUP} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
                name,
            )
        replaced = copy.deepcopy(body)
        replaced.pop("status", None)  # the status subresource: not written through the object
        meta = stored["metadata"]
        replaced["metadata"].update(
            namespace=owner.namespace,
            uid=meta["uid"],
            creationTimestamp=meta["creationTimestamp"],
            resourceVersion=_next_version(owner),
            generation=meta["generation"] + (replaced.get("spec") != stored.get("spec")),
        )
        if replaced["metadata"]["generation"] != meta["generation"]:
            owner.polls[name] = 0  # the controller rolls out the new spec
        replaced["status"] = stored.get("status", {})
        owner.objects[name] = replaced
        return 200, copy.deepcopy(replaced)


# ---------------------------------------------------------------- strict validation with the kserve SDK's models

_LIST = re.compile(r"^list\[(.+)\]$")
_DICT = re.compile(r"^dict\(([^,]+), (.+)\)$")
_PRIMITIVES = {"str": str, "bool": bool, "int": int, "float": (int, float), "datetime": str, "date": str}


def validate_inference_service(body: Any) -> list[str]:
    """Every field of ``body`` known to ``kserve.V1beta1InferenceService`` (and the Kubernetes models it names),
    every value of the declared type; the apiVersion and kind of this resource. Returns the problems found."""
    problems = _walk(body, "V1beta1InferenceService", "")
    if isinstance(body, dict):
        if body.get("apiVersion") != f"{GROUP}/{VERSION}":
            problems.append(f"apiVersion: must be {GROUP}/{VERSION}, not {body.get('apiVersion')!r}")
        if body.get("kind") != KIND:
            problems.append(f"kind: must be {KIND}, not {body.get('kind')!r}")
        if not isinstance(body.get("metadata"), dict) or not body["metadata"].get("name"):
            problems.append("metadata.name: Required value")
        if not isinstance(body.get("spec"), dict) or not isinstance(body["spec"].get("predictor"), dict):
            problems.append("spec.predictor: Required value")
    return problems


def _model_class(name: str):
    import kserve
    import kubernetes.client.models as k8s_models

    found = getattr(kserve, name, None) or getattr(k8s_models, name, None)
    if found is None:
        raise LookupError(f"no model class {name} in kserve or kubernetes.client")
    return found


def _walk(value: Any, type_name: str, path: str) -> list[str]:
    where = path or "(root)"
    if type_name == "object":
        return []
    if type_name in _PRIMITIVES:
        expected = _PRIMITIVES[type_name]
        if isinstance(value, bool) and type_name != "bool" or not isinstance(value, expected):
            return [f"{where}: Invalid type: expected {type_name}, got {type(value).__name__}"]
        return []
    if match := _LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{where}: Invalid type: expected a list"]
        return [p for i, item in enumerate(value) for p in _walk(item, match[1], f"{path}[{i}]")]
    if match := _DICT.match(type_name):
        if not isinstance(value, dict):
            return [f"{where}: Invalid type: expected an object"]
        return [p for k, item in value.items() for p in _walk(item, match[2], f"{path}.{k}")]
    model = _model_class(type_name)
    if not isinstance(value, dict):
        return [f"{where}: Invalid type: expected an object ({type_name})"]
    fields = {json_name: model.openapi_types[attr] for attr, json_name in model.attribute_map.items()}
    problems = []
    for key, item in value.items():
        field_path = f"{path}.{key}" if path else key
        if key not in fields:
            problems.append(f'{field_path}: unknown field "{key}" ({type_name} has no such field)')
        else:
            problems += _walk(item, fields[key], field_path)
    return problems


# ---------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_version(owner: KubernetesStandin) -> str:
    owner.resource_version += 1
    return str(owner.resource_version)


def _self_signed(folder: Path) -> tuple[str, str]:
    """A CA certificate for 127.0.0.1 (what the pod trusts as ca.crt) and its key, for the stand-in's TLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes-standin")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "ca.crt", folder / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)
