"""Terminal rendering of the progress stream and the prompts (hidden for secrets), and ``--json``'s lines."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

from .._types import Plan
from ..progress import Event

SYMBOLS = {"start": "…", "done": "✓", "skip": "·", "warn": "!", "fail": "✗", "info": " "}


class TerminalUI:
    def __init__(
        self,
        assume_yes: bool = False,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        stdin: IO[str] | None = None,
    ) -> None:
        self.assume_yes = assume_yes
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stdin = stdin or sys.stdin
        self.payload: Mapping[str, Any] | None = None

    @property
    def interactive(self) -> bool:
        return not self.assume_yes and self.stdin.isatty()

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def error(self, text: str) -> None:
        print(f"error: {text}", file=self.err, flush=True)

    def event(self, event: Event) -> None:
        if event.state == "start":
            return  # a finished step prints one line; the start is for progress bars
        symbol = SYMBOLS.get(event.state, " ")
        link = f"  {event.link}" if event.link and event.link not in event.message else ""
        stream = self.err if event.state in ("warn", "fail") else self.out
        print(f"{symbol} {event.message}{link}", file=stream, flush=True)

    def dry_run(self, plan: Plan, nothing: str = "changed") -> int:
        """Print a plan for ``--dry-run`` (every verb that changes something has one) and say nothing happened."""
        for text in plan.describe():
            self.line(text)
        self.line(f"(dry run: nothing was {nothing})")
        return 0

    def result(self, payload: Mapping[str, Any]) -> None:
        """The verb's outcome as data: ``--json`` prints it last (the magics return it); lines said it here."""
        self.payload = payload

    def event_warn(self, text: str) -> None:
        print(f"{SYMBOLS['warn']} {text}", file=self.err, flush=True)

    def ask(self, label: str, default: str, check: Callable[[str], str | None] | None = None) -> str:
        """Ask on the terminal with the default shown; Enter keeps it; invalid answers are asked again."""
        while True:
            answer = input(f"{label} [{default}]: ").strip()
            value = answer or default
            problem = check(value) if check else None
            if not problem:
                return value
            print(f"  {problem}", file=self.err)

    def secret(self, label: str) -> str:
        """A hidden prompt, or one line of standard input when it is not a terminal."""
        if self.stdin.isatty():
            return getpass.getpass(f"{label}: ")
        return self.stdin.readline().rstrip("\r\n")

    def confirm(self, question: str) -> bool:
        if not self.interactive:
            return True
        return input(f"{question} [Y/n]: ").strip().lower() in ("", "y", "yes")


class JsonUI(TerminalUI):
    """``--json``: stdout carries only JSON objects, one per line; every other line goes to stderr.

    ``{"event": {...}}`` for each progress event, then the last line: ``{"error": {...}}`` (see
    ``errors.error_object``) or the verb's result object, which never has a top-level "event" or "error" key.
    It never prompts: a token or a secret value comes from the environment or standard input.
    """

    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None, stdin: IO[str] | None = None) -> None:
        super().__init__(assume_yes=True, out=out, err=err, stdin=stdin)

    def emit(self, obj: Mapping[str, Any]) -> None:
        print(json.dumps(obj, default=str, ensure_ascii=False), file=self.out, flush=True)

    def line(self, text: str = "") -> None:
        print(text, file=self.err, flush=True)

    def event(self, event: Event) -> None:
        self.emit({"event": event.to_dict()})

    def event_warn(self, text: str) -> None:
        self.event(Event.now("warning", "warn", text))

    def dry_run(self, plan: Plan, nothing: str = "changed") -> int:
        self.result({"dry_run": True, "plan": plan.to_dict(), "describe": plan.describe()})
        return 0

    def confirm(self, question: str) -> bool:
        return True

    def secret(self, label: str) -> str:
        """One line of standard input; never a prompt, even on a terminal (EOFError: none was given)."""
        if self.stdin.isatty():
            raise EOFError(label)
        return super().secret(label)
