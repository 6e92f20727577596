"""A real MLflow tracking server and model registry for tests: `mlflow server` from the full ``mlflow`` package,
on 127.0.0.1 with a free port, a sqlite backend in a temporary folder, started and stopped by the fixtures.

Three setups, as platforms run it:

- ``MlflowServer(folder)``: artifacts proxied by the server (``--artifacts-destination DIR``, MLflow's
  default ``--serve-artifacts``): clients get ``mlflow-artifacts:/…`` URIs, which KServe cannot read.
- ``MlflowServer(folder, s3=S3Server)``: ``--default-artifact-root s3://mlflow/ --no-serve-artifacts``:
  clients write to the bucket themselves and get ``s3://mlflow/…`` URIs (the platform's MinIO setup).
- ``MlflowServer(folder, auth=True)``: ``--app-name basic-auth``: every request needs a login
  (``USERNAME``/``PASSWORD``, the admin of its auth config).

``server.uri`` is the tracking URI; ``server.env`` the variables a client needs (S3 endpoint and keys; with
auth the login), never sent unless a test passes them. Session fixtures: ``mlflow_server``,
``mlflow_s3_server``, ``mlflow_auth_server``. Starting one takes a few seconds (more on a busy machine): the
fixtures start each once per session, and only when a test asks for it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.process_support import free_port, start_server, stop_server
from tests.s3_support import S3Server

USERNAME = "admin"
PASSWORD = "a-long-admin-password"
STARTUP_TIMEOUT = 240  # seconds: sqlite migrations and two Python imports on a loaded 2-core machine


class MlflowServer:
    def __init__(self, folder: Path, *, s3: S3Server | None = None, auth: bool = False) -> None:
        self.folder = Path(folder)
        self.s3 = s3
        self.auth = auth
        self.port = free_port()
        self._proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What a client of this server needs in its environment (the login only with ``auth``)."""
        env = dict(self.s3.env) if self.s3 else {}
        if self.auth:
            env.update(MLFLOW_TRACKING_USERNAME=USERNAME, MLFLOW_TRACKING_PASSWORD=PASSWORD)
        return env

    def command(self) -> list[str]:
        backend = f"sqlite:///{self.folder / 'mlflow.db'}"
        command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        if self.s3:
            command += ["--default-artifact-root", "s3://mlflow/", "--no-serve-artifacts"]
        else:
            command += ["--artifacts-destination", str(self.folder / "artifacts")]
        if self.auth:
            command += ["--app-name", "basic-auth"]
        return command

    def _server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AWS_"))}
        env.update(
            # The job runner (huey workers, 8 processes) serves features the registry does not need.
            MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
            MLFLOW_DISABLE_TELEMETRY="true",
            DO_NOT_TRACK="1",
        )
        if self.s3:
            env.update(self.s3.env)
        if self.auth:
            config = self.folder / "basic_auth.ini"
            config.write_text(
                "[mlflow]\ndefault_permission = READ\n"
                f"database_uri = sqlite:///{self.folder / 'auth.db'}\n"
                f"admin_username = {USERNAME}\nadmin_password = {PASSWORD}\n"
                "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            )
            env.update(MLFLOW_AUTH_CONFIG_PATH=str(config), MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(16))
        return env

    def start(self) -> "MlflowServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = start_server(
            self.command(),
            env=self._server_env(),
            log=self.folder / "server.log",
            ready_url=f"{self.uri}/health",
            timeout=STARTUP_TIMEOUT,
        )
        return self

    def stop(self) -> None:
        stop_server(self._proc)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def client(self, monkeypatch: pytest.MonkeyPatch):
        """MLflow's own client for this test, logged in when the server wants a login (MLflow reads the login
        and the S3 settings from the environment on each request; ``monkeypatch`` undoes them)."""
        from mlflow import MlflowClient

        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def __enter__(self) -> "MlflowServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> Iterator[MlflowServer]:
    """sqlite + artifacts proxied by the server (mlflow-artifacts:/ URIs)."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow-local")) as server:
        yield server


@pytest.fixture(scope="session")
def mlflow_s3_server(tmp_path_factory, s3_server) -> Iterator[MlflowServer]:
    """sqlite + artifacts on S3 (moto), not proxied: s3://mlflow/… URIs, what KServe reads."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow-s3"), s3=s3_server) as server:
        yield server


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory) -> Iterator[MlflowServer]:
    """basic-auth: every request needs USERNAME/PASSWORD."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow-auth"), auth=True) as server:
        yield server
