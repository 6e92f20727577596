"""The progress stream every face renders: CLI lines, REST job events, the widget bar, the lab panel."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Callable, NamedTuple

from ._types import EVENT_STATES as STATES
from ._types import EventState as State
from .errors import Cancelled

if TYPE_CHECKING:  # annotations only: the TypedDicts cost 3 ms to build
    from . import payloads


class Event(NamedTuple):
    """One step's news (a NamedTuple: no dataclasses on init's path, as settings/table.py explains)."""

    step: str
    state: State
    message: str
    link: str | None
    time: float

    @classmethod
    def now(cls, step: str, state: State, message: str, link: str | None = None) -> Event:
        return cls(step, state, message, link, time.time())

    def to_dict(self) -> payloads.EventFields:
        return {"step": self.step, "state": self.state, "message": self.message, "link": self.link, "time": self.time}


Sink = Callable[[Event], None]


class Progress:
    """Passed to every operation: ``emit`` events, ``check_cancelled`` between steps.

    Thread-safe, because push runs independent API calls concurrently.
    """

    def __init__(self, sink: Sink | None = None, cancel: threading.Event | None = None) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self.cancel_event = cancel or threading.Event()
        self.events: list[Event] = []

    def emit(self, step: str, state: State, message: str, link: str | None = None) -> Event:
        _crash_hook(step, state)
        event = Event.now(step, state, message, link)
        with self._lock:
            self.events.append(event)
            if self._sink is not None:
                self._sink(event)
        return event

    def info(self, step: str, message: str, link: str | None = None) -> Event:
        return self.emit(step, "info", message, link)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("Cancelled by the user; run the command again to finish the job.")


# Test hook, inert unless set: ``JUPYTER_MLOPS_TEST_CRASH_AT=STEP`` (or ``STEP:STATE``) makes the process
# kill itself with SIGKILL when the first event of that step (and state) is about to be emitted — no
# cleanup, no finally, no atexit: what a power cut or an OOM kill leaves. The crash-matrix tests
# (tests/test_security_crash.py) use it to stop init, push and sync at each of their steps.
CRASH_VARIABLE = "JUPYTER_MLOPS_TEST_CRASH_AT"


def _crash_hook(step: str, state: str) -> None:
    target = os.environ.get(CRASH_VARIABLE)
    if not target:
        return
    want_step, _, want_state = target.rpartition(":")  # step names may hold ':' (environment:staging)
    if want_state not in STATES or not want_step:
        want_step, want_state = target, ""
    if step == want_step and want_state in ("", state):
        os.kill(os.getpid(), signal.SIGKILL)


def null_progress() -> Progress:
    return Progress(None)
