"""A local stand-in for the MLflow tracking server's model registry, as far as the preflight reads it.

It follows the MLflow REST API (https://mlflow.org/docs/latest/rest-api.html#get-registeredmodel):
``GET /api/2.0/mlflow/registered-models/get?name=NAME`` answers 200 with
``{"registered_model": {"name", "latest_versions": [{"name", "version", "current_stage", ...}]}}``, or
404 with ``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": ...}`` for an unknown model; and
``POST /api/2.0/mlflow/runs/log-batch`` (https://mlflow.org/docs/latest/rest-api.html#log-batch) with
``{"run_id", "metrics": [{"key", "value", "timestamp", "step"}]}`` answers 200 ``{}``, or 404
RESOURCE_DOES_NOT_EXIST for an unknown run.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class MlflowStandin:
    def __init__(self, models: dict[str, list[int]] | None = None, runs: tuple[str, ...] = ()) -> None:
        self.models = models or {}  # name -> registered version numbers
        self.runs: dict[str, list[dict]] = {run_id: [] for run_id in runs}  # run id -> logged metrics
        self.requests: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # quiet
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                standin.requests.append(self.path)
                name = parse_qs(parts.query).get("name", [""])[0]
                if parts.path != "/api/2.0/mlflow/registered-models/get":
                    return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "no such endpoint"})
                if name not in standin.models:
                    return self._send(
                        404,
                        {
                            "error_code": "RESOURCE_DOES_NOT_EXIST",
                            "message": f"Registered Model with name={name} not found",
                        },
                    )
                versions = [
                    {"name": name, "version": str(v), "current_stage": "None", "status": "READY"}
                    for v in standin.models[name]
                ]
                return self._send(200, {"registered_model": {"name": name, "latest_versions": versions}})

            def do_POST(self):
                standin.requests.append(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if urlsplit(self.path).path != "/api/2.0/mlflow/runs/log-batch":
                    return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "no such endpoint"})
                if body.get("run_id") not in standin.runs:
                    return self._send(
                        404,
                        {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Run '{body.get('run_id')}' not found"},
                    )
                if any(set(m) != {"key", "value", "timestamp", "step"} for m in body.get("metrics", [])):
                    return self._send(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad metric"})
                standin.runs[body["run_id"]] += body.get("metrics", [])
                return self._send(200, {})

            def _send(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "MlflowStandin":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
