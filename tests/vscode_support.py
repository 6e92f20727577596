"""A real VS Code for the extension's end-to-end tests, the documentation's screenshots and the benchmark:
code-server 4.100.3 (VS Code 1.100.3, installed from npm by .ci/code-server into a cache folder) on 127.0.0.1
and a free port, the built .vsix installed into a fresh extensions folder, driven in Debian's Chromium.

Everything code-server writes (user data, settings, logs, extensions, XDG folders) lives in one temporary
folder, so a test can search all of it (e.g. for a token that must not be there) and nothing leaks out.
Selectors follow the workbench's DOM as ENVIRONMENT.md recorded it for 1.100.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.lab_support import free_port

CODE_SERVER_VERSION = "4.100.3"
CODE_SERVER_DIR = Path(
    os.environ.get("MLOPS_CODE_SERVER_DIR")
    or Path.home() / ".cache" / "jupyter-mlops" / f"code-server-{CODE_SERVER_VERSION}"
)  # resolved at import, before the tests' isolated HOME
CODE_SERVER = CODE_SERVER_DIR / "node_modules" / ".bin" / "code-server"
VSCODE_DIR = REPO_ROOT / "vscode"


def vsix() -> Path:
    version = json.loads((VSCODE_DIR / "package.json").read_text())["version"]
    return VSCODE_DIR / f"jupyter-mlops-{version}.vsix"


def missing_parts() -> str | None:
    if not CODE_SERVER.exists():
        return f"{CODE_SERVER} is missing: run .ci/code-server (code-server {CODE_SERVER_VERSION} from npm)"
    if not vsix().exists():
        return f"{vsix()} is missing: run `cd vscode && npm ci && npm run package`"
    return None


class CodeServer:
    """``code-server`` in a subprocess with the extension installed; ``url`` opens ``workspace`` in it."""

    def __init__(self, workspace: Path, settings: dict | None = None, env: dict | None = None) -> None:
        self.workspace = Path(workspace)
        self.home = Path(tempfile.mkdtemp(prefix="code-server-"))
        self.user_data = self.home / "user-data"
        self.extensions = self.home / "extensions"
        self.port = free_port()
        self.settings = {
            "jupyterMlops.cliPath": sys.executable,  # this interpreter has this checkout's package
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": False,
            "telemetry.telemetryLevel": "off",
            "extensions.autoCheckUpdates": False,
            "extensions.autoUpdate": False,
            "security.workspace.trust.enabled": False,
            "git.enabled": False,
            "chat.disableAIFeatures": True,
            **(settings or {}),
        }
        self.env = dict(os.environ, **(env or {}))
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            folder = self.home / name.split("_")[1].lower()
            folder.mkdir()
            self.env[name] = str(folder)
        self.env.pop("VSCODE_IPC_HOOK_CLI", None)
        self.process: subprocess.Popen | None = None
        self.log_path = self.home / "code-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def _base_args(self) -> list[str]:
        return [
            str(CODE_SERVER),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
            "--config",
            str(self.home / "config.yaml"),
        ]

    def install_extension(self) -> None:
        subprocess.run(
            [*self._base_args(), "--install-extension", str(vsix())],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, timeout: float = 60) -> "CodeServer":
        (self.home / "config.yaml").write_text("auth: none\ncert: false\n")
        user = self.user_data / "User"
        user.mkdir(parents=True)
        (user / "settings.json").write_text(json.dumps(self.settings, indent=2))
        self.install_extension()
        args = [
            *self._base_args(),
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{self.port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            str(self.workspace),
        ]
        with self.log_path.open("w") as log:  # code-server writes to its own copy of the descriptor
            self.process = subprocess.Popen(
                args, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"code-server exited: {self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"code-server did not answer in {timeout}s: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def output_channel_log(self) -> str:
        """What the "MLOps" output channel showed: VS Code writes each channel to a log file."""
        files = sorted(self.user_data.glob("logs/**/*MLOps*.log"))
        return "\n".join(f.read_text(errors="replace") for f in files)

    def files_containing(self, needle: str, *also: Path) -> list[Path]:
        """Every file under code-server's folders (settings, logs, state, extensions) and ``also`` holding it."""
        data = needle.encode()
        hits = []
        for top in (self.home, *also):
            for path in Path(top).rglob("*"):
                if path.is_file() and not path.is_symlink():
                    try:
                        if data in path.read_bytes():
                            hits.append(path)
                    except OSError:
                        continue
        return hits


# ---------------------------------------------------------------- the workbench, as a user drives it


def open_workbench(browser, server: CodeServer, timeout: float = 60_000):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url)
    page.wait_for_selector(".monaco-workbench .part.statusbar", timeout=timeout)
    return page


def run_command(page, title: str, timeout: float = 30) -> float:
    """F1, type the command's title, Enter on its row; extension commands appear a few seconds after the
    workbench renders, so try again until the row shows. Returns when Enter was pressed (perf_counter)."""
    deadline = time.monotonic() + timeout
    while True:
        page.keyboard.press("F1")
        box = page.locator(".quick-input-widget input.input")
        box.wait_for(state="visible", timeout=10_000)
        box.fill(f">{title}")
        row = page.locator(".quick-input-widget .monaco-list-row", has_text=title).first
        try:
            row.wait_for(state="visible", timeout=3_000)
            pressed = time.perf_counter()
            page.keyboard.press("Enter")
            return pressed
        except Exception:
            page.keyboard.press("Escape")
            if time.monotonic() > deadline:
                raise


def quick_pick(page, text: str, timeout: float = 20_000) -> None:
    """Choose an item of the open quick pick by its label."""
    row = page.locator(".quick-input-widget .monaco-list-row", has_text=text).first
    row.wait_for(state="visible", timeout=timeout)
    row.click()


def input_box(page, value: str, timeout: float = 20_000) -> None:
    """Type into the open input box (a showInputBox) and press Enter."""
    box = page.locator(".quick-input-widget input.input")
    box.wait_for(state="visible", timeout=timeout)
    box.fill(value)
    page.keyboard.press("Enter")


def webview(page):
    """The content of the (one) open webview: VS Code nests it in two iframes."""
    return page.frame_locator("iframe.webview.ready").frame_locator("iframe#active-frame")


def notifications(page) -> list[str]:
    return page.locator(".notifications-toasts .notification-list-item-message").all_inner_texts()


def toast(page, text: str):
    """The notification (a message or a progress notification) whose text has ``text``."""
    return page.locator(".notifications-toasts .notification-list-item", has_text=text).first


def press_cancel(page, title: str, timeout: float = 60_000) -> None:
    """Cancel on the progress notification titled ``title`` (what withProgress shows for a long command)."""
    button = toast(page, title).locator(".monaco-button", has_text="Cancel")
    button.wait_for(state="visible", timeout=timeout)
    button.click()


def status_view(page):
    """The Explorer's "MLOps Projects" view."""
    return page.locator(".pane", has=page.locator(".pane-header", has_text="MLOps Projects"))


def context_action(page, row, action: str) -> None:
    """Right-click a tree row and run one entry of its context menu."""
    row.wait_for(timeout=30_000)
    row.click(button="right")
    item = page.locator(".monaco-menu .action-label", has_text=action).first
    item.wait_for(timeout=10_000)
    item.hover()  # the menu focuses the item under the pointer; Enter runs it (a click can land mid-animation)
    page.keyboard.press("Enter")


def processes(*needles: str, cwd: Path | None = None) -> list[int]:
    """Live processes whose command line holds every one of ``needles`` (a zombie has none: it has ended), and
    that run in ``cwd`` when given (the machine runs other people's processes too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if cwd is not None and command and Path(os.readlink(entry / "cwd")) != Path(cwd):
                continue
        except OSError:
            continue
        if command and all(n in command for n in needles):
            found.append(int(entry.name))
    return found


def wait_until(check, timeout: float, what: str, every: float = 0.2):
    """Poll ``check()`` until it returns something true; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(every)
