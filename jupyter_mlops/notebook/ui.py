"""The CLI's ``ui`` for notebooks: collects lines and progress events into a report that renders as HTML
(with a plain-text fallback), shows progress live while an operation runs, and asks secrets with a
hidden prompt (``getpass``, which Jupyter kernels turn into a password field).
"""

from __future__ import annotations

import getpass
import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..cli.ui import SYMBOLS, TerminalUI
from ..progress import Event

if TYPE_CHECKING:  # IPython is there whenever a notebook face runs; imported when it shows something
    from IPython.lib.pretty import PrettyPrinter

_COLOURS = {
    "done": "#1a7f37",
    "skip": "#57606a",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "error": "#cf222e",
    "start": "#0969da",
}


@dataclass
class Entry:
    kind: str  # an event state (start/done/skip/warn/fail/info), "line" or "error"
    text: str
    link: str | None = None


@dataclass
class Report:
    """What a ``%mlops`` command did: shown as HTML in notebooks, as text elsewhere."""

    title: str
    entries: list[Entry] = field(default_factory=list)
    ok: bool = True

    def add(self, kind: str, text: str, link: str | None = None) -> None:
        self.entries.append(Entry(kind, text, link))

    @property
    def text(self) -> str:
        return "\n".join(line for line in self._text_lines())

    def _text_lines(self):
        for e in self.entries:
            symbol = "✗" if e.kind == "error" else SYMBOLS.get(e.kind, "")
            prefix = f"{symbol} " if symbol else ""
            yield f"{prefix}{e.text}" + (f"  {e.link}" if e.link else "")

    def __repr__(self) -> str:
        return self.text or f"{self.title}: done"

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        rows = []
        for e in self.entries:
            colour = _COLOURS.get(e.kind)
            style = f' style="color:{colour}"' if colour else ""
            symbol = "✗" if e.kind == "error" else SYMBOLS.get(e.kind, "")
            text = html.escape(e.text)
            if e.link:
                link = html.escape(e.link, quote=True)
                text += f' <a href="{link}" target="_blank" rel="noopener">{html.escape(e.link)}</a>'
            rows.append(f"<li{style}><code>{html.escape(symbol) or '&nbsp;'}</code> {text}</li>")
        state = "" if self.ok else ' <span style="color:#cf222e">(failed)</span>'
        return (
            f'<div class="jupyter-mlops-report"><strong>{html.escape(self.title)}</strong>{state}'
            f'<ul style="list-style:none;padding-left:0.5em;margin:0.3em 0">{"".join(rows)}</ul></div>'
        )


class _Html:
    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return ""


class _PromptOnly(io.StringIO):
    """The commands' standard input in a notebook: nothing to read, so every value goes through ``secret``
    (the kernel's stdin is a pipe, never the user: reading it would hang or read nothing)."""

    def isatty(self) -> bool:
        return True


class NotebookUI(TerminalUI):
    """Never prompts for settings (defaults and ``--set`` apply, as with ``--yes``); secrets by hidden prompt."""

    def __init__(self, title: str, live: bool = True) -> None:
        super().__init__(assume_yes=True, out=io.StringIO(), err=io.StringIO(), stdin=_PromptOnly())
        self.report = Report(title)
        self._live = live
        self._handle = None

    @property
    def interactive(self) -> bool:
        return False

    def line(self, text: str = "") -> None:
        self.report.add("line", text)

    def error(self, text: str) -> None:
        self.report.add("error", text)

    def event(self, event: Event) -> None:
        self.report.add(event.state, event.message, event.link)
        if self._live:
            self._show(_Html(self.report._repr_html_()))

    def _show(self, obj: object) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(obj, display_id=True)
        else:
            self._handle.update(obj)

    def secret(self, label: str) -> str:
        return getpass.getpass(f"{label}: ")

    def ask(self, label: str, default: str, check: Callable[[str], str | None] | None = None) -> str:
        return default

    def confirm(self, question: str) -> bool:
        return True

    def finish(self, ok: bool) -> Report:
        """The final report; the live progress area is emptied so the report shows once."""
        self.report.ok = ok
        if self._handle is not None:
            self._handle.update(_Html(""))
        return self.report
