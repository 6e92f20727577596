"""Run a generated project's own entry point for a branch, exactly as its CI does.

`check` and `run` do not reimplement the preflight or the submission: they run
``python src/pipelines/<branch>/main.py [--check|--local|--wait]`` in the project's folder, so a local
result is the CI result. Each line the entry point prints (``✓ name: …``, ``✗ name: … Fix: …``)
becomes a progress event; the exit code becomes an error of the shared taxonomy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .. import payloads, timeouts
from .._types import EntryOperation, EventState
from ..errors import Cancelled, InvalidInput, MlopsError, NotFound, RemoteFailure, Unauthenticated
from ..progress import Progress, null_progress
from ..settings.table import SECRETS
from ..vcs import gitcli
from .init import load_project_spec
from .local_log import LocalLog, plain
from .project_env import project_python

# The variables the entry point reads its credentials from (CI maps the GitHub secrets onto them): the
# settings table's CI secrets that its preflight step reads.
SECRET_NAMES = tuple(s.name for s in SECRETS if "check" in s.steps)
STATES: dict[str, EventState] = {"✓": "done", "✗": "fail", "!": "warn", "·": "skip"}
_LINE = re.compile(r"^(?P<symbol>[✓✗!·]|\s) (?P<step>[A-Za-z][\w-]*): (?P<message>.*)$")
_URL = re.compile(r"https?://\S+")


@dataclass
class EntryPlan:
    operation: EntryOperation
    root: Path
    branch: str
    arguments: list[str]
    python: str = field(default_factory=lambda: sys.executable)
    timeout: float | None = None  # seconds; None: the limit for the operation (timeouts.py)

    @property
    def script(self) -> str:
        return f"src/pipelines/{self.branch}/main.py"

    @property
    def command(self) -> list[str]:
        return [self.python, self.script, *self.arguments]

    def to_dict(self) -> dict:
        return {
            "operation": self.operation,
            "root": str(self.root),
            "branch": self.branch,
            "command": ["python", self.script, *self.arguments],
        }

    def describe(self) -> list[str]:
        return [f"In {self.root}: python {' '.join([self.script, *self.arguments])}  (branch {self.branch})"]


@dataclass
class EntryResult:
    operation: EntryOperation
    branch: str
    exit_code: int
    lines: list[str]
    run_url: str | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> payloads.EntryResult:
        return {
            "operation": self.operation,
            "branch": self.branch,
            "exit_code": self.exit_code,
            "lines": self.lines,
            "run_url": self.run_url,
            "failures": self.failures,
            "ok": self.ok,
        }


def plan_entry(operation: EntryOperation, root: Path | str, branch: str | None, arguments: list[str]) -> EntryPlan:
    root = Path(root).absolute()
    spec = load_project_spec(root) if root.is_dir() else None
    if spec is None:
        raise NotFound(f"{root} is not a jupyter-mlops project (no mlops.toml); give the project's folder")
    if branch is None:
        current = gitcli.head_branch(root) if (root / ".git").exists() else None
        branch = current if current in spec.branches else spec.default_branch
    elif branch not in spec.branches:
        raise InvalidInput(f"--branch {branch}: the project's branches are {', '.join(spec.branch_names)}")
    # The project's own environment (<project>/.venv) once it has one, else this Python.
    plan = EntryPlan(operation, root, branch, arguments, python=project_python(root))
    if not (root / plan.script).is_file():
        raise NotFound(f"{plan.script} is missing in {root}; `jupyter mlops init {root}` restores missing files")
    return plan


def apply_entry(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    """Run the entry point, streaming its lines as progress events; raise when it fails."""
    progress = progress or null_progress()
    progress.check_cancelled()
    child_env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    progress.emit(
        plan.operation,
        "start",
        f"{plan.operation} on branch {plan.branch}: python " + " ".join([plan.script, *plan.arguments]),
    )
    limit = plan.timeout or timeouts.seconds(plan.operation)
    proc = subprocess.Popen(
        plan.command,
        cwd=plan.root,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    lines: list[str] = []
    shorten = LocalLog() if "--local" in plan.arguments else None
    reader = threading.Thread(target=_read, args=(proc, lines, progress, shorten), daemon=True)
    reader.start()
    deadline = time.monotonic() + limit
    try:
        while reader.is_alive():
            reader.join(0.2)
            if progress.cancel_event.is_set() and proc.poll() is None:
                proc.terminate()
            if time.monotonic() > deadline and proc.poll() is None:
                raise timeouts.TimedOut(
                    f"{plan.operation} on branch {plan.branch}: python {plan.script} did not finish within "
                    f"{limit:g} s and was stopped; {timeouts.hint(plan.operation)}",
                    details=lines[-5:],
                )
    except BaseException:  # Ctrl-C, SIGTERM or the time limit: the entry point stops with it, never left running
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        timeouts.kill_group(proc)  # and whatever it started (its own process group)
        reader.join(5)
        _close_output(proc, reader)
        raise
    code = proc.wait()
    _close_output(proc, reader)
    if shorten is not None and shorten.left_out:
        _keep_whole_log(plan, lines, progress)
    result = EntryResult(plan.operation, plan.branch, code, lines)
    result.failures = [line[2:] for line in lines if line.startswith("✗ ")]
    urls = [m.group(0) for line in lines if line.startswith("✓ run:") for m in [_URL.search(line)] if m]
    result.run_url = urls[0].rstrip(".,;:)") if urls else None
    if progress.cancel_event.is_set():
        raise Cancelled(f"{plan.operation} cancelled; the entry point was stopped")
    if code != 0:
        raise _error(plan, result)
    progress.emit(plan.operation, "done", f"{plan.operation} on branch {plan.branch} finished", result.run_url)
    return result


def _close_output(proc: subprocess.Popen, reader: threading.Thread) -> None:
    """Close our end of the entry point's output once the reader has seen it end (an open pipe left to the
    garbage collector is a ResourceWarning, and a file descriptor held until then)."""
    if proc.stdout is not None and not reader.is_alive():
        proc.stdout.close()


def _keep_whole_log(plan: EntryPlan, lines: list[str], progress: Progress) -> None:
    """A local run's whole log (kfp.local's, which the progress shortens) in local_outputs/, git-ignored."""
    log = plan.root / "local_outputs" / plan.branch / "last-run.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(plain(line) + "\n" for line in lines), encoding="utf-8")
    except OSError as error:
        progress.emit("log", "warn", f"the local run's whole log could not be written to {log}: {error.strerror}")
        return
    progress.emit("log", "info", f"kfp.local's whole log: {log.relative_to(plan.root)}")


def _read(proc: subprocess.Popen, lines: list[str], progress: Progress, shorten: LocalLog | None = None) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        lines.append(line)
        if shorten is not None:
            shown = shorten.show(line)
            if shown is None:
                continue
            line = shown
        match = _LINE.match(line)
        if match:
            state = STATES.get(match["symbol"], "info")
            url = _URL.search(match["message"]) if match["step"] == "run" and state == "done" else None
            link = url.group(0).rstrip(".,;:)") if url else None
            progress.emit(match["step"], state, f"{match['step']}: {match['message']}", link)
        elif line.strip():
            progress.emit("log", "info", line)


def _error(plan: EntryPlan, result: EntryResult) -> MlopsError:
    what = {"check": "The preflight", "run": "The run"}.get(plan.operation, plan.operation)
    if "--inference-test" in plan.arguments:
        what = "The inference test"
    details = result.failures or result.lines[-5:]
    message = f"{what} of branch {plan.branch} failed"
    if result.exit_code == 3:
        return Unauthenticated(f"{message}: credentials are missing or were rejected", details=details)
    if result.exit_code == 2:
        return InvalidInput(f"{message}: the branch's configuration is not valid", details=details)
    if result.exit_code == 130:
        return Cancelled(f"{message}: interrupted", details=details)
    return RemoteFailure(f"{message} (exit code {result.exit_code})", details=details)


def credential_names(root: Path) -> set[str]:
    """The variables a face may pass to the entry point as credentials: every CI secret of the settings
    table, the session token that goes with AWS keys, and the names the project's branches read."""

    names = {s.name for s in SECRETS} | {"AWS_SESSION_TOKEN"}
    try:
        spec = load_project_spec(root) if root.is_dir() else None
    except InvalidInput:
        spec = None
    for settings in spec.branches.values() if spec else ():
        names.update(settings.secret_names())
    return names


def secrets_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The credential variables present in ``environ`` (what a face passes on, by name)."""
    return {name: environ[name] for name in SECRET_NAMES if environ.get(name)}
