"""Terminal rendering of the progress stream and the prompts (hidden for secrets)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ..progress import Event

SYMBOLS = {"start": "…", "done": "✓", "skip": "·", "warn": "!", "fail": "✗", "info": " "}


class TerminalUI:
    def __init__(self, assume_yes: bool = False, out=None, err=None, stdin=None) -> None:
        self.assume_yes = assume_yes
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stdin = stdin or sys.stdin

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

    def dry_run(self, plan, nothing: str = "changed") -> int:
        """Print a plan for ``--dry-run`` (every verb that changes something has one) and say nothing happened."""
        for text in plan.describe():
            self.line(text)
        self.line(f"(dry run: nothing was {nothing})")
        return 0

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
            import getpass

            return getpass.getpass(f"{label}: ")
        return self.stdin.readline().rstrip("\r\n")

    def confirm(self, question: str) -> bool:
        if not self.interactive:
            return True
        return input(f"{question} [Y/n]: ").strip().lower() in ("", "y", "yes")
