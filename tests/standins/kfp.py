"""A local stand-in for the Kubeflow Pipelines API server (v2beta1), optionally behind a Dex login.

It implements the endpoints the kfp 2.x SDK calls to submit a pipeline, with the paths, query
parameters, bodies and status codes of the KFP REST API reference
(https://www.kubeflow.org/docs/components/pipelines/reference/api/kubeflow-pipeline-api-spec/, the v2beta1
swagger that kfp-server-api is generated from):

- GET  /apis/v2beta1/healthz                          -> {commit_sha, tag_name, multi_user}
- GET  /apis/v2beta1/pipelines?filter=&namespace=     -> {pipelines, total_size}
- POST /apis/v2beta1/pipelines                        {display_name, description, namespace}: a pipeline, no version
- POST /apis/v2beta1/pipelines/upload                 multipart "uploadfile"; query name, display_name, namespace;
                                                      creates the pipeline and a first version named like it
- POST /apis/v2beta1/pipelines/upload_version         multipart "uploadfile"; query name, pipelineid
- GET  /apis/v2beta1/pipelines/{id}/versions?filter=  -> {pipeline_versions, total_size}
- GET/POST /apis/v2beta1/experiments                  list (filter, namespace) / create {display_name, namespace}
- POST /apis/v2beta1/runs, GET /apis/v2beta1/runs/{id} a run with state PENDING → RUNNING → SUCCEEDED|FAILED
- GET  /apis/v2beta1/runs?experiment_id=&filter=&sort_by=&page_size=  -> {runs, total_size} (ListRuns)

Filters (the ``filter`` query parameter, a JSON ``Filter``: KFP's backend/api/v2beta1/filter.proto) support the
``EQUALS`` and ``IS_SUBSTRING`` operations on names; ``sort_by`` is "<field>" or "<field> desc".

Errors use the grpc-gateway body the server returns: {"error", "code", "message", "details"} with the
gRPC code (3 INVALID_ARGUMENT → 400, 5 NOT_FOUND → 404, 6 ALREADY_EXISTS → 409, 16 UNAUTHENTICATED → 401).
Empty repeated fields are omitted from JSON, as the server's protojson marshaller does.

The gateway also fronts model servers, as Kubeflow's Istio ingress gateway fronts KServe: ``services`` maps an
InferenceService's host name (its ``status.url``) to a local server; a request whose ``Host`` header names one is
passed to it after the same authentication as KFP's (KServe's "Perform inference" guide: ``curl -H "Host:
${SERVICE_HOSTNAME}" http://${INGRESS_HOST}:${INGRESS_PORT}/v1/models/<name>:predict``; behind Kubeflow's Dex
login the session cookie goes along). Its answers are relayed as they are.

Every uploaded file must parse as a PipelineSpec (then an optional PlatformSpec), strictly, with the
kfp-pipeline-spec protobufs; the test can read back what was uploaded and how each request authenticated.

Fault: ``hang="METHOD route"`` (e.g. ``"GET pipelines"``, fnmatch patterns allowed) takes matching API requests
and never answers them (until the stand-in stops): a server that accepts connections but is stuck, which a
client without a read timeout waits on forever.

Auth modes (what the server in front of KFP requires):
- "none":      nothing (standalone KFP behind `kubectl port-forward`);
- "token":     ``Authorization: Bearer <token>``, else 401 (a bearer-token gateway);
- "incluster": the same header carrying the service-account token;
- "dex":       Istio + oidc-authservice + Dex as in Kubeflow's manifests: KFP under /pipeline; a request
               without the ``authservice_session`` cookie is redirected (302) to Dex; /dex/auth goes to the
               static-password connector (/dex/auth/local), whose /dex/auth/local/login form takes ``login``
               and ``password``; success redirects (303) via /dex/approval to /authservice/oidc/callback,
               which sets the cookie and redirects to the original page.
"""

from __future__ import annotations

import email
import fnmatch
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

GRPC_HTTP = {3: 400, 5: 404, 6: 409, 7: 403, 16: 401}
LOGIN_FORM = """<!DOCTYPE html><html><head><title>dex</title></head><body>
<h2>Log in to Your Account</h2>{error}
<form method="post" action="/dex/auth/local/login?back=&amp;state={state}">
<input type="text" id="login" name="login" placeholder="email address">
<input type="password" id="password" name="password" placeholder="password">
<button type="submit" id="submit-login">Login</button></form></body></html>"""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    cookie: str | None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class KfpState:
    pipelines: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, dict] = field(default_factory=dict)
    experiments: dict[str, dict] = field(default_factory=dict)
    runs: dict[str, dict] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)
    uploads: list[dict] = field(default_factory=list)  # {"kind", "name", "spec", "platform", "raw"}
    requests: list[Request] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)


class KfpStandin:
    """``with KfpStandin(auth="token", token="t") as kfp: ... kfp.host ...``"""

    def __init__(
        self,
        auth: str = "none",
        *,
        token: str = "",
        username: str = "user@example.com",
        password: str = "12341234",
        multi_user: bool = False,
        polls_to_finish: int = 2,
        final_state: str = "SUCCEEDED",
        reject_all: bool = False,
        ignore_filters: bool = False,
        hang: str = "",
        services: dict[str, str] | None = None,
    ) -> None:
        assert auth in ("none", "token", "dex", "incluster")
        self.auth = auth
        self.token = token
        self.username = username
        self.password = password
        self.multi_user = multi_user
        self.polls_to_finish = polls_to_finish
        self.final_state = final_state
        self.reject_all = reject_all  # answer 401 to every API call (an expired or revoked credential)
        # List every item whatever the filter (older or proxied servers that drop the query parameter).
        self.ignore_filters = ignore_filters
        self.hang = hang
        self.stopping = threading.Event()  # releases hung requests when the stand-in stops
        self.services = dict(services or {})  # Host header -> base URL of the model server behind the gateway
        self.state = KfpState()
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "KfpStandin":
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def gateway(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        """What a branch's kfp.host is set to: full Kubeflow serves KFP under /pipeline."""
        return self.gateway + ("/pipeline" if self.auth == "dex" else "")

    @property
    def api_requests(self) -> list[Request]:
        return [r for r in self.state.requests if "/apis/v2beta1/" in r.path]


def _ids() -> str:
    return str(uuid.uuid4())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _strip_empty(payload: Any) -> Any:
    """protojson omits empty repeated fields and empty strings."""
    if isinstance(payload, dict):
        return {k: _strip_empty(v) for k, v in payload.items() if v not in ([], "", None)}
    return payload


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    owner: KfpStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    # ------------------------------------------------------------------ plumbing

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(_strip_empty(payload)).encode())

    def _error(self, code: int, message: str) -> None:
        self._json(GRPC_HTTP.get(code, 500), {"error": message, "code": code, "message": message, "details": []})

    def _redirect(self, location: str, status: int = 302, cookie: str | None = None) -> None:
        headers = {"Location": location}
        if cookie:
            headers["Set-Cookie"] = cookie
        self._send(status, b"", "text/plain", headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _cookies(self) -> dict[str, str]:
        jar = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                jar[name] = value
        return jar

    # ------------------------------------------------------------------ dispatch

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _service(self) -> str | None:
        """The model server this request's Host header names (Istio routes by host), if any."""
        host = (self.headers.get("Host") or "").split(":")[0]
        return self.owner.services.get(host)

    def _dispatch(self, method: str) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with owner.lock:
            owner.state.requests.append(
                Request(method, path, query, self.headers.get("Authorization"), self.headers.get("Cookie"))
            )
        if owner.auth == "dex" and (path.startswith("/dex/") or path.startswith("/authservice/")):
            return self._dex(method, path, query)
        prefix = "/pipeline" if owner.auth == "dex" else ""
        upstream = self._service()
        if upstream and owner.auth == "dex" and not self._dex_session():
            return self._send(302, b"", "text/plain", {"Location": "/dex/auth"})  # the login, never the model
        if upstream:
            if owner.auth in ("token", "incluster") and self.headers.get("Authorization") != f"Bearer {owner.token}":
                return self._send(401, b"Jwt is missing", "text/plain")  # Istio's RequestAuthentication answer
            return self._relay(method, upstream)
        if owner.auth == "dex" and not self._dex_session():
            # oidc-authservice: any request without a session goes to the login (302), never to KFP.
            state = secrets.token_urlsafe(8)
            return self._redirect(f"/dex/auth?{urlencode({'client_id': 'kubeflow-oidc-authservice', 'state': state})}")
        if not path.startswith(prefix + "/apis/v2beta1/"):
            if owner.auth == "dex" and path in ("/", ""):
                return self._send(200, b"<html>Kubeflow Central Dashboard</html>", "text/html")
            return self._error(5, f"no such route {path}")
        if owner.auth in ("token", "incluster") and self.headers.get("Authorization") != f"Bearer {owner.token}":
            return self._error(16, "Unauthenticated: invalid or missing bearer token")
        if owner.reject_all:
            return self._error(16, "Unauthenticated: the credential was revoked")
        route = path[len(prefix + "/apis/v2beta1/") :]
        if owner.hang and fnmatch.fnmatchcase(f"{method} {route}", owner.hang):
            owner.stopping.wait(600)  # no answer; the connection closes when the stand-in stops
            self.close_connection = True
            return None
        try:
            with owner.lock:
                status, payload = self._api(method, route, query)
        except ApiError as exc:
            return self._error(exc.code, exc.message)
        self._json(status, payload)

    def _relay(self, method: str, upstream: str) -> None:
        import urllib.error
        import urllib.request

        forwarded = urllib.request.Request(
            upstream + self.path,
            data=self._body() if method == "POST" else None,
            headers={"Content-Type": self.headers.get("Content-Type") or "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=60) as answer:
                status, body, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, body, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
        self._send(status, body, kind or "application/json")

    def _dex_session(self) -> bool:
        return self._cookies().get("authservice_session") in self.owner.state.sessions

    # ------------------------------------------------------------------ Dex + oidc-authservice

    def _dex(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        owner = self.owner
        state = (query.get("state") or query.get("req") or [""])[0]
        if path == "/dex/auth":
            return self._redirect(f"/dex/auth/local?req={state}")
        if path == "/dex/auth/local":
            return self._redirect(f"/dex/auth/local/login?back=&state={state}")
        if path == "/dex/auth/local/login":
            if method == "GET":
                return self._send(200, LOGIN_FORM.format(error="", state=state).encode(), "text/html")
            form = parse_qs(self._body().decode())
            if form.get("login") == [owner.username] and form.get("password") == [owner.password]:
                return self._redirect(f"/dex/approval?req={state}", 303)
            error = '<div id="login-error">Invalid Email Address and password</div>'
            return self._send(200, LOGIN_FORM.format(error=error, state=state).encode(), "text/html")
        if path == "/dex/approval":
            return self._redirect(f"/authservice/oidc/callback?code={secrets.token_urlsafe(8)}&state={state}", 303)
        if path == "/authservice/oidc/callback":
            session = secrets.token_urlsafe(16)
            with owner.lock:
                owner.state.sessions.add(session)
            return self._redirect("/", 302, f"authservice_session={session}; Path=/; HttpOnly")
        return self._error(5, f"no such route {path}")

    # ------------------------------------------------------------------ KFP API

    def _api(self, method: str, route: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        owner, state = self.owner, self.owner.state
        one = {k: v[0] for k, v in query.items()}
        if method == "GET" and route == "healthz":
            return 200, {"commit_sha": "standin", "tag_name": "2.5.0", "multi_user": owner.multi_user}
        raw_filter = None if owner.ignore_filters else one.get("filter")
        if method == "GET" and route == "pipelines":
            found = _filtered(state.pipelines.values(), raw_filter)
            found = [p for p in found if p.get("namespace", "") == one.get("namespace", "")]
            return 200, {"pipelines": found, "total_size": len(found)}
        if method == "POST" and route == "pipelines":
            body = json.loads(self._body() or b"{}")
            return 200, self._new_pipeline(body.get("display_name") or body.get("name"), body)
        if method == "POST" and route == "pipelines/upload":
            name = one.get("display_name") or one.get("name")
            self._new_pipeline(name, one, check_only=True)
            upload = self._upload("pipeline", name)
            pipeline = self._new_pipeline(name, one)
            # The server also creates the pipeline's first version from the same file.
            self._add_version(pipeline["pipeline_id"], name, upload)
            return 200, pipeline
        if method == "POST" and route == "pipelines/upload_version":
            pipeline_id, name = one.get("pipelineid", ""), one.get("display_name") or one.get("name")
            if pipeline_id not in state.pipelines:
                raise ApiError(5, f"Not found: pipeline {pipeline_id!r}")
            if not name:
                raise ApiError(3, "Invalid input error: pipeline version name is empty")
            if any(v["display_name"] == name and v["pipeline_id"] == pipeline_id for v in state.versions.values()):
                raise ApiError(6, f"Already exist error: version {name} exists")
            upload = self._upload("version", name)
            return 200, self._add_version(pipeline_id, name, upload)
        if method == "GET" and route.startswith("pipelines/") and route.endswith("/versions"):
            pipeline_id = route.split("/")[1]
            if pipeline_id not in state.pipelines:
                raise ApiError(5, f"Not found: pipeline {pipeline_id!r}")
            mine = [v for v in state.versions.values() if v["pipeline_id"] == pipeline_id]
            found = _filtered(mine, raw_filter)
            return 200, {"pipeline_versions": found, "total_size": len(found)}
        if route == "experiments":
            if method == "GET":
                self._require_namespace(one.get("namespace", ""))
                found = [
                    e
                    for e in _filtered(state.experiments.values(), one.get("filter"))
                    if e.get("namespace", "") == one.get("namespace", "")
                ]
                return 200, {"experiments": found[: int(one.get("page_size") or 10**6)], "total_size": len(found)}
            body = json.loads(self._body() or b"{}")
            self._require_namespace(body.get("namespace", ""))
            if not body.get("display_name"):
                raise ApiError(3, "Invalid input error: experiment name is empty")
            experiment = {
                "experiment_id": _ids(),
                "display_name": body["display_name"],
                "created_at": _now(),
                "namespace": body.get("namespace", ""),
                "storage_state": "AVAILABLE",
            }
            state.experiments[experiment["experiment_id"]] = experiment
            return 200, experiment
        if method == "POST" and route == "runs":
            body = json.loads(self._body() or b"{}")
            reference = body.get("pipeline_version_reference") or {}
            version = state.versions.get(reference.get("pipeline_version_id", ""))
            if not version or version["pipeline_id"] != reference.get("pipeline_id"):
                raise ApiError(3, "Invalid input error: the run's pipeline_version_reference does not exist")
            if body.get("experiment_id") not in state.experiments:
                raise ApiError(5, f"Not found: experiment {body.get('experiment_id')!r}")
            run = {
                "run_id": _ids(),
                "display_name": body.get("display_name", ""),
                "created_at": _now(),
                "experiment_id": body["experiment_id"],
                "pipeline_version_reference": reference,
                "runtime_config": body.get("runtime_config") or {},
                "state": "PENDING",
                "storage_state": "AVAILABLE",
            }
            state.runs[run["run_id"]] = run
            state.polls[run["run_id"]] = 0
            return 200, run
        if method == "GET" and route == "runs":
            found = [
                r for r in state.runs.values() if r["experiment_id"] == one.get("experiment_id", r["experiment_id"])
            ]
            found = _filtered(found, one.get("filter"))
            field, _, order = (one.get("sort_by") or "created_at").partition(" ")
            found.sort(key=lambda r: (r.get(field, ""), r["run_id"]), reverse=order == "desc")
            return 200, {"runs": found[: int(one.get("page_size") or 10**6)], "total_size": len(found)}
        if method == "GET" and route.startswith("runs/"):
            run = state.runs.get(route.split("/", 1)[1])
            if run is None:
                raise ApiError(5, "Not found: run")
            state.polls[run["run_id"]] += 1
            polls = state.polls[run["run_id"]]
            run["state"] = owner.final_state if polls >= owner.polls_to_finish else "RUNNING"
            return 200, run
        raise ApiError(5, f"Not found: {method} {route}")

    def _new_pipeline(self, name: str | None, fields: dict, *, check_only: bool = False) -> dict:
        """A pipeline named ``name`` in ``fields``' namespace (400 without a name, 409 when it exists)."""
        state, namespace = self.owner.state, fields.get("namespace", "")
        if not name:
            raise ApiError(3, "Invalid input error: pipeline name is empty")
        if any(p["display_name"] == name and p.get("namespace", "") == namespace for p in state.pipelines.values()):
            raise ApiError(6, f"Already exist error: a pipeline named {name} exists")
        pipeline = {
            "pipeline_id": _ids(),
            "display_name": name,
            "name": name,
            "created_at": _now(),
            "description": fields.get("description", ""),
            "namespace": namespace,
        }
        if not check_only:
            state.pipelines[pipeline["pipeline_id"]] = pipeline
        return pipeline

    def _require_namespace(self, namespace: str) -> None:
        if self.owner.multi_user and not namespace:
            raise ApiError(3, "Invalid input error: In multi-user mode, the namespace must be specified")

    def _upload(self, kind: str, name: str) -> dict:
        """Parse the multipart "uploadfile" and the YAML in it, strictly, as a PipelineSpec (+ PlatformSpec)."""
        import yaml
        from google.protobuf import json_format
        from kfp.pipeline_spec import pipeline_spec_pb2

        ctype = self.headers.get("Content-Type", "")
        message = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self._body())
        files = [
            part for part in message.walk() if part.get_param("name", header="content-disposition") == "uploadfile"
        ]
        if not files:
            raise ApiError(3, "Invalid input error: Failed to read the uploaded file: no uploadfile part")
        raw = files[0].get_payload(decode=True)
        try:
            docs = list(yaml.safe_load_all(raw))
            spec = json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec())
            platform = json_format.ParseDict(docs[1], pipeline_spec_pb2.PlatformSpec()) if len(docs) > 1 else None
        except Exception as exc:  # the server answers 400 to any file that is not a pipeline
            raise ApiError(3, f"Invalid input error: the file is not a valid pipeline spec: {exc}") from None
        if not spec.root.dag.tasks:
            raise ApiError(3, "Invalid input error: the pipeline spec has no tasks")
        upload = {"kind": kind, "name": name, "spec": spec, "platform": platform, "raw": raw.decode()}
        self.owner.state.uploads.append(upload)
        return upload

    def _add_version(self, pipeline_id: str, name: str, upload: dict) -> dict:
        version = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": _ids(),
            "display_name": name,
            "name": name,
            "created_at": _now(),
        }
        self.owner.state.versions[version["pipeline_version_id"]] = version
        return version


def _filtered(items: Any, raw_filter: str | None) -> list[dict]:
    """v2beta1 filters: {"predicates": [{"operation": "EQUALS" | 1 | "IS_SUBSTRING" | 9, "key": ...,
    "string_value" | "stringValue"}]} (filter.proto's Operation numbers)."""
    items = list(items)
    if not raw_filter:
        return items
    for predicate in json.loads(raw_filter).get("predicates", []):
        operation = predicate.get("operation")
        if operation not in ("EQUALS", 1, "IS_SUBSTRING", 9):
            raise ApiError(3, f"Invalid input error: unsupported filter operation {operation}")
        key = "display_name" if predicate.get("key") in ("name", "display_name") else predicate.get("key")
        value = predicate.get("string_value", predicate.get("stringValue"))
        if operation in ("EQUALS", 1):
            items = [i for i in items if i.get(key) == value]
        else:
            items = [i for i in items if str(value) in str(i.get(key, ""))]
    return items
