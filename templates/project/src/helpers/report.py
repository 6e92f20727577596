"""One line per check or step, the same in CI logs, terminals, notebooks and `jupyter mlops check/run`.

Each line starts with a symbol: ✓ passed, ✗ failed (followed by what to do), ! warning, · skipped.
"""

from __future__ import annotations

import html
import sys


class StepFailed(Exception):
    """A check or step failed; ``fix`` says what to do. Exit code 1."""

    exit_code = 1
    reported = False  # set once its ✗ line has been printed

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}. Fix: {self.fix}" if self.fix else self.message


class AuthFailed(StepFailed):
    """A credential is missing or was rejected. Exit code 3."""

    exit_code = 3


def ok(name: str, message: str) -> None:
    _line("✓", name, message)


def fail(name: str, message: str, fix: str = "") -> None:
    _line("✗", name, f"{message}. Fix: {fix}" if fix else message)


def warn(name: str, message: str) -> None:
    _line("!", name, message)


def skip(name: str, message: str) -> None:
    _line("·", name, message)


def info(name: str, message: str) -> None:
    _line(" ", name, message)


def _line(symbol: str, name: str, message: str) -> None:
    print(f"{symbol} {name}: {message}", flush=True)
    sys.stdout.flush()


def md_text(text: object) -> str:
    """Text for a Markdown line or table cell (a job summary, a pull request's body): markup stays text
    (CommonMark's backslash escapes, a cell's pipe included), and HTML too (entities)."""
    escaped = str(text).replace("\\", "\\\\")
    for char in "|`*_[]#!":
        escaped = escaped.replace(char, "\\" + char)
    return html.escape(escaped, quote=False)
