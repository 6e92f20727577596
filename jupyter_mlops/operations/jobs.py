"""Long operations as jobs: run in a bounded thread pool, observed by polling, cancelled cooperatively.

The REST API answers 202 with a job and the lab panel polls it; the wizard runs one job on its own
thread. A job keeps the credentials it was given (tokens, secret values) only inside the closure it
runs and in a redaction list used to scrub its events, result and error; both are dropped when the
job ends. Nothing here imports tornado or ipywidgets.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, TypeVar
from urllib.parse import quote, quote_plus

from .. import payloads, timeouts
from .._types import JobKind, JobState
from ..errors import Cancelled, Conflict, MlopsError, NotFound
from ..progress import Event, Progress

FINISHED = ("succeeded", "failed", "cancelled")
REDACTED = "********"
INTERNAL_ERROR = "The operation failed unexpectedly; the server log has the details. Run it again to resume."

log = logging.getLogger("jupyter_mlops.operations.jobs")


class TooManyJobs(MlopsError):
    reason = "too_many_jobs"
    http_status = 429


# Exact values shorter than this are left alone: masking them would garble ordinary words.
MIN_SECRET = 4
# Any piece of a secret (or of one of its encodings) at least this long is masked too: a message cut
# short, a token split across lines, a password inside a longer base64 blob.
MIN_PIECE = 10


def _base64_pieces(value: bytes) -> list[str]:
    """What ``value`` looks like inside any base64 text: at each of the three byte alignments, the
    characters that depend on ``value`` alone (standard and URL-safe alphabets)."""

    pieces = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + value).decode()
        start, end = -(-4 * offset // 3), 4 * (offset + len(value)) // 3
        middle = encoded[start:end]
        pieces += [middle, middle.replace("+", "-").replace("/", "_")]
    return pieces


def secret_forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: itself, URL-encoded, JSON-escaped, base64 (any alignment)."""

    forms = {secret, quote(secret), quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    if len(secret) >= 6:
        forms.update(_base64_pieces(secret.encode("utf-8", "surrogatepass")))
    return {f for f in forms if len(f) >= MIN_SECRET}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Defence in depth (operations never put credentials in messages): mask any that got there anyway —
    exact values, their common encodings, and any piece of MIN_PIECE characters or more of either."""
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            forms |= secret_forms(secret)
    if not forms or not text:
        return text
    masked = bytearray(len(text))
    for form in forms:
        start = text.find(form)
        while start >= 0:
            masked[start : start + len(form)] = b"\1" * len(form)
            start = text.find(form, start + 1)
    grams = {f[i : i + MIN_PIECE] for f in forms if len(f) >= MIN_PIECE for i in range(len(f) - MIN_PIECE + 1)}
    if grams:
        for i in range(len(text) - MIN_PIECE + 1):
            if text[i : i + MIN_PIECE] in grams:
                masked[i : i + MIN_PIECE] = b"\1" * MIN_PIECE
    if not any(masked):
        return text
    out, i = [], 0
    while i < len(text):
        if masked[i]:
            while i < len(text) and masked[i]:
                i += 1
            out.append(REDACTED)
        else:
            j = masked.find(1, i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
    return "".join(out)


Tree = TypeVar("Tree")


def _redact_tree(value: Tree, secrets: tuple[str, ...]) -> Tree:
    """The value with each secret replaced in every string it holds: the same shape, so the same type."""
    return _redacted(value, secrets) if secrets else value


def _redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redacted(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v, secrets) for v in value]
    return value


def error_payload(exc: BaseException) -> payloads.Error:
    """The one error shape: ``{message, reason}`` (+ ``details``); unknown exceptions get a generic message."""
    if isinstance(exc, MlopsError):
        out: payloads.Error = {"message": exc.message, "reason": exc.reason}
        if exc.details:
            out["details"] = list(exc.details)
        return out
    return {"message": INTERNAL_ERROR, "reason": "internal_error"}


@dataclass
class Job:
    """One run of an operation. ``fn(progress)`` returns a result with ``to_dict()`` (or a dict, or None)."""

    kind: JobKind
    fn: Callable[[Progress], Any] | None
    path: str = ""
    secrets: tuple[str, ...] = ()
    result_view: Callable[[Any], Mapping[str, Any]] | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: JobState = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None  # the operation's payloads.InitPlan, PushResult, SyncResult, EntryResult
    error: payloads.Error | None = None
    events: list[payloads.Event] = field(default_factory=list)
    listeners: list[Callable[[payloads.Event], None]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.done = threading.Event()
        self.progress = Progress(self._record)
        self.secrets = tuple(s for s in self.secrets if s)

    def __repr__(self) -> str:  # never show the closure or the secrets
        return f"Job(id={self.id!r}, kind={self.kind!r}, state={self.state!r})"

    @property
    def cancel_event(self) -> threading.Event:
        return self.progress.cancel_event

    def _record(self, event: Event) -> None:
        fields = _redact_tree(event.to_dict(), self.secrets)
        with self._lock:
            data: payloads.Event = {**fields, "index": len(self.events)}
            self.events.append(data)
            listeners = list(self.listeners)
        for listener in listeners:
            listener(data)

    def run(self) -> None:
        """Run the operation on the calling thread; never raises (the outcome is in state/result/error)."""
        with self._lock:
            if self.state != "queued":
                return
            if self.cancel_event.is_set():
                self._finish("cancelled", error=error_payload(Cancelled("Cancelled before it started.")))
                return
            self.state, self.started = "running", time.time()
        fn, self.fn = self.fn, None
        try:
            with timeouts.cancellable(self.cancel_event):  # a child process waiting on a remote is killed too
                value = fn(self.progress) if fn else None
            payload: Any
            if self.result_view is not None:
                payload = self.result_view(value)
            elif value is not None and hasattr(value, "to_dict"):
                payload = value.to_dict()
            else:
                payload = value
            with self._lock:
                self._finish("succeeded", result=_redact_tree(payload, self.secrets))
        except Cancelled as exc:
            with self._lock:
                self._finish("cancelled", error=error_payload(exc))
        except MlopsError as exc:
            with self._lock:
                self._finish("failed", error=_redact_tree(error_payload(exc), self.secrets))
        except BaseException as exc:  # noqa: BLE001 - a job must always end in a state
            log.error(
                "job %s (%s) failed: %s: %s", self.id, self.kind, type(exc).__name__, redact(str(exc), self.secrets)
            )
            with self._lock:
                self._finish("failed", error=error_payload(exc))
        finally:
            del fn

    def _finish(
        self, state: JobState, *, result: dict[str, Any] | None = None, error: payloads.Error | None = None
    ) -> None:
        self.state, self.finished = state, time.time()
        self.result, self.error = result, error
        self.secrets = ()  # the credentials leave with the job's closure
        self.result_view = None
        self.done.set()

    def cancel(self) -> None:
        """Ask the job to stop at its next step boundary (a queued job never starts)."""
        self.cancel_event.set()
        with self._lock:
            if self.state == "queued":
                self._finish("cancelled", error=error_payload(Cancelled("Cancelled before it started.")))
                self.fn = None

    def snapshot(self, since: int = 0) -> payloads.Job:
        """The job as REST serves it (schema Job)."""
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "path": self.path,
                "state": self.state,
                "created": self.created,
                "started": self.started,
                "finished": self.finished,
                "events": [e.copy() for e in self.events[since:]],
                "next_event": len(self.events),
                "result": self.result,
                "error": self.error,
            }


class JobManager:
    """A bounded pool: ``max_workers`` jobs run, ``max_pending`` wait; old finished jobs are forgotten."""

    def __init__(self, max_workers: int = 2, max_pending: int = 16, keep_finished: int = 200) -> None:
        self.max_workers, self.max_pending, self.keep_finished = max_workers, max_pending, keep_finished
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: dict[str, Job] = {}
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def ensure_idle(self, path: str) -> None:
        """Conflict when an unfinished job works on ``path``: two jobs must not change one folder at once."""
        busy = [j for j in list(self._jobs.values()) if j.path == path and j.state not in FINISHED]
        if busy:
            raise Conflict(
                f"The {busy[0].kind} job {busy[0].id} is still {busy[0].state} on "
                f"{path or 'the root folder'}; wait for it to end (or cancel it), then try again."
            )

    def submit(self, job: Job) -> Job:
        with self._lock:
            self.ensure_idle(job.path)
            waiting = sum(1 for j in self._jobs.values() if j.state == "queued")
            if waiting >= self.max_pending:
                raise TooManyJobs(f"{waiting} jobs are already waiting; wait for one to finish, then try again.")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="jupyter-mlops-job")
            self._forget_old()
            self._jobs[job.id] = job
            self._futures[job.id] = self._executor.submit(job.run)
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for old in sorted(finished, key=lambda j: j.created)[: max(0, len(finished) - self.keep_finished)]:
            self._jobs.pop(old.id, None)
            self._futures.pop(old.id, None)

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(
                f"There is no job {job_id!r} (jobs are forgotten when the server restarts); start the operation again."
            )
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.state in FINISHED:
            raise Conflict(f"Job {job_id} already {job.state}; there is nothing to cancel.")
        job.cancel()
        return job

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel what is queued or running and wait for the worker threads to end."""
        with self._lock:
            jobs = list(self._jobs.values())
            executor, self._executor = self._executor, None
        for job in jobs:
            if job.state not in FINISHED:
                job.cancel()
        for job in jobs:
            job.done.wait(timeout)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
