"""A real JupyterLab (subprocess) and Debian's Chromium (Playwright) for the lab extension's browser tests,
the screenshots script (docs/make_screenshots.py) and the lab benchmark.

JupyterLab runs as a user runs it: the installed lab extension (share/jupyter/labextensions/jupyter-mlops)
and server extension, on 127.0.0.1 and a free port, optionally under a Kubeflow-style base URL; its config,
settings and workspaces live in a temporary folder so nothing from the machine leaks in or out.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KUBEFLOW_BASE_URL = "/notebook/kubeflow-user-example-com/demo/"
API = "jupyter-mlops/api/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``jupyter lab`` in a subprocess; ``url`` opens it (with the token), ``api(route)`` calls our REST API."""

    def __init__(
        self,
        root: Path,
        base_url: str = "/",
        env: dict[str, str] | None = None,
        disabled_extensions: tuple[str, ...] = (),
    ) -> None:
        self.root = Path(root)
        self.disabled_extensions = disabled_extensions
        self.base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.env = env
        self.home = Path(tempfile.mkdtemp(prefix="lab-home-"))
        self.process: subprocess.Popen | None = None
        self.log_path = self.home / "jupyterlab.log"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_url(self) -> str:
        return self.origin + self.base_url

    @property
    def url(self) -> str:
        return f"{self.server_url}lab?token={self.token}"

    def start(self, timeout: float = 90) -> "JupyterLab":
        config = self.home / "config"
        config.mkdir()
        # The installed extensions are used as installed; this only makes sure the server extension is on
        # even where the environment's etc/jupyter config is absent (an editable install of an old version).
        (config / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}},
                    "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
                }
            )
        )
        if self.disabled_extensions:  # as `jupyter labextension disable` records it
            (config / "labconfig").mkdir()
            (config / "labconfig" / "page_config.json").write_text(
                json.dumps({"disabledExtensions": {name: True for name in self.disabled_extensions}})
            )
        # No "get notified about Jupyter news?" toast over the panels (and no news fetch).
        notification = self.home / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        # Its own HOME and git identity (init commits), and no token from the machine's environment.
        gitconfig = self.home / ".gitconfig"
        gitconfig.write_text("[user]\n\tname = Lab User\n\temail = lab@example.org\n")
        env = dict(os.environ if self.env is None else self.env)
        for var in ("GITHUB_TOKEN", "GH_TOKEN", "KFP_TOKEN", "KFP_USERNAME", "KFP_PASSWORD"):
            env.pop(var, None)
        env.update(
            HOME=str(self.home),
            GIT_CONFIG_GLOBAL=str(gitconfig),
            GIT_CONFIG_NOSYSTEM="1",
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
        )
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.base_url={self.base_url}",
        ]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.server_url}api/status?token={self.token}", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def api(self, route: str, body: dict | None = None, method: str | None = None) -> tuple[int, dict]:
        """Call our REST API directly (as the panel does, with the token), for comparing what the UI shows."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server_url + API + route,
            data=data,
            method=method or ("POST" if data else "GET"),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")


@contextmanager
def running_lab(root: Path, base_url: str = "/") -> Iterator[JupyterLab]:
    lab = JupyterLab(root, base_url).start()
    try:
        yield lab
    finally:
        lab.stop()


@contextmanager
def chromium(viewport: dict | None = None) -> Iterator[object]:
    """A Playwright browser on Debian's Chromium (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_lab(browser, lab: JupyterLab, viewport: dict | None = None):
    """A fresh page on JupyterLab with the launcher shown; returns (page, the API request URLs seen)."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    api_requests: list[str] = []
    page.on("request", lambda r: api_requests.append(r.url) if f"/{API}" in r.url else None)
    page.goto(lab.url)
    page.locator(".jp-Launcher").first.wait_for(timeout=60_000)
    return page, api_requests


def built_extension_dir() -> Path:
    """Where JupyterLab finds the installed extension (the wheel's shared-data), as a user's install has it."""
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("labextensions"):
        candidate = Path(base) / "jupyter-mlops"
        if (candidate / "package.json").exists():
            return candidate
    raise FileNotFoundError("the jupyter-mlops lab extension is not installed: run pip install -e .")


def own_javascript_bytes(extension_dir: Path) -> dict[str, int]:
    """The extension's own JS: every script in static/ (shared JupyterLab packages are not bundled there)."""
    return {p.name: p.stat().st_size for p in sorted((extension_dir / "static").glob("*.js"))}
