"""A local stand-in for the MLflow tracking server's model registry, as far as the preflight reads it.

It follows the MLflow REST API (https://mlflow.org/docs/latest/rest-api.html#get-registeredmodel):
``GET /api/2.0/mlflow/registered-models/get?name=NAME`` answers 200 with
``{"registered_model": {"name", "latest_versions": [{"name", "version", "current_stage", ...}]}}``, or
404 with ``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": ...}`` for an unknown model.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class MlflowStandin:
    def __init__(self, models: dict[str, list[int]] | None = None) -> None:
        self.models = models or {}  # name -> registered version numbers
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
                    return self._send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST",
                                            "message": f"Registered Model with name={name} not found"})
                versions = [{"name": name, "version": str(v), "current_stage": "None", "status": "READY"}
                            for v in standin.models[name]]
                return self._send(200, {"registered_model": {"name": name, "latest_versions": versions}})

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
