"""How long each outside call may take, and the one way to run a child process within that time.

No git command, entry point or HTTP call may wait forever: a remote that never answers (``fd::17``, a
server that accepts and stays silent) would hold a job, a terminal or the server's worker for good.
Each kind of call has a stated default; an environment variable changes it (an admin with a slow
remote lengthens it, the tests shorten it). When a limit is reached the child process and everything
it started are killed, and the error names what did not answer and how to give it longer.

| kind | default | variable |
|---|---|---|
| git on this machine (commit, merge-tree, config…) | 120 s | ``JUPYTER_MLOPS_GIT_TIMEOUT`` |
| git talking to a remote (clone, fetch, push, ls-remote) | 300 s | ``JUPYTER_MLOPS_NETWORK_TIMEOUT`` |
| one GitHub REST request (each retry has its own) | 30 s | ``JUPYTER_MLOPS_HTTP_TIMEOUT`` |
| ``check`` (the branch's preflight) | 900 s | ``JUPYTER_MLOPS_CHECK_TIMEOUT`` |
| ``run`` (local, or submit and ``--wait``) | 4 h, or ``--timeout`` + 15 min | ``JUPYTER_MLOPS_RUN_TIMEOUT`` |
| ``promote``'s evidence (both branches compiled, the registry read) | 900 s | ``JUPYTER_MLOPS_EVIDENCE_TIMEOUT`` |
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import Cancelled, InvalidInput, RemoteFailure

DEFAULTS = {
    "git": ("JUPYTER_MLOPS_GIT_TIMEOUT", 120.0),
    "network": ("JUPYTER_MLOPS_NETWORK_TIMEOUT", 300.0),
    "http": ("JUPYTER_MLOPS_HTTP_TIMEOUT", 30.0),
    "check": ("JUPYTER_MLOPS_CHECK_TIMEOUT", 900.0),
    "run": ("JUPYTER_MLOPS_RUN_TIMEOUT", 4 * 3600.0),
    "evidence": ("JUPYTER_MLOPS_EVIDENCE_TIMEOUT", 900.0),
}


class TimedOut(RemoteFailure):
    """Something outside (a remote, a child process) did not answer in time. Running again resumes."""

    reason = "timed_out"


def seconds(kind: str) -> float:
    """The limit for ``kind`` (a key of DEFAULTS), from its variable when set."""
    variable, default = DEFAULTS[kind]
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{variable}={raw!r}: give a number of seconds above 0, e.g. {variable}={default:g}")
    return value


def hint(kind: str) -> str:
    variable, _ = DEFAULTS[kind]
    return f"to wait longer, set {variable}=SECONDS"


# ---------------------------------------------------------------- cancellation of the calling job

_current = threading.local()


class cancellable:
    """``with cancellable(event):`` — child processes started on this thread are killed when ``event`` is set.

    A job binds its cancel event around the operation, so cancelling a job that waits on git stops
    git at once rather than at the next step.
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __enter__(self) -> threading.Event:
        self._previous = getattr(_current, "event", None)
        _current.event = self.event
        return self.event

    def __exit__(self, *exc: object) -> None:
        _current.event = self._previous


def _cancel_event() -> threading.Event | None:
    return getattr(_current, "event", None)


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the child and everything it started (git runs helpers: remote-http, ssh, upload-pack)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def stop(proc: subprocess.Popen) -> None:
    """End a child that may still be running, with everything it started, and reap it (its pipes closed)."""
    if proc.poll() is None:
        kill_group(proc)
    proc.communicate()


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    env: Mapping[str, str],
    timeout: float,
    what: str,
    kind: str,
    input: str | bytes | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """``subprocess.run`` with a time limit and the calling job's cancellation; the child gets its own
    process group so that both kill all it started. ``what`` names the call in the error."""
    proc = subprocess.Popen(
        list(argv),
        cwd=str(cwd),
        env=dict(env),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        start_new_session=True,
    )
    cancel = _cancel_event()
    step = 0.25 if cancel is not None else timeout
    waited = 0.0
    try:
        while True:
            try:
                out, err = proc.communicate(input, timeout=min(step, max(timeout - waited, 0.001)))
                break
            except subprocess.TimeoutExpired:
                waited += step
                input = None  # already written
                if cancel is not None and cancel.is_set():
                    stop(proc)
                    raise Cancelled(f"Cancelled while {what} was running; run the command again to finish.") from None
                if waited >= timeout:
                    stop(proc)
                    raise TimedOut(
                        f"{what} did not answer within {timeout:g} s and was stopped. Check that it is "
                        f"reachable (the URL, the network, a prompt waiting for input), then run the command "
                        f"again; {hint(kind)}."
                    ) from None
    except BaseException:
        stop(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
