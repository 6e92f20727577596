"""kfp.local's log, shortened for a person watching a local run.

kfp.local (kfp 2.x, ``kfp/local/task_dispatcher.py`` and ``kfp/dsl/executor_main.py``) logs every task with
its whole executor input as indented JSON, the executor's own INFO lines and each output's repr: about 60
lines per task, 365 for the example pipeline, in which the lines the steps print themselves are lost. A
``run --local`` shows instead one line when a task starts, the step's own lines, and one line when it ends
(with its time); warnings, errors and anything not recognised pass through as they are. The whole log is
kept: the entry point's lines are all in the result, and the run writes them to
``local_outputs/<branch>/last-run.log`` (git-ignored, like everything under local_outputs/).
"""

from __future__ import annotations

import re
import time
from typing import Callable

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # kfp colours task names and states even into a pipe
# logging_utils.local_logger_context: "%(asctime)s - %(levelname)s - %(message)s", time as %H:%M:%S.mmm
_STAMPED = re.compile(r"^\s*\d\d:\d\d:\d\d\.\d{3} - (?P<level>[A-Z]+) - (?P<message>.*)$")
# the executor in the task's own process: "[KFP Executor 2026-11-30 08:10:37,258 INFO]: ..."
_EXECUTOR = re.compile(r"^\s*\[KFP Executor [^\]]*? (?P<level>[A-Z]+)\]: ?(?P<message>.*)$")
_TASK = re.compile(r"^Executing task '(?P<task>[^']+)'")
_FINISHED = re.compile(r"^(?P<what>Task|Pipeline) '(?P<name>[^']+)' finished with status (?P<status>[A-Z]+)")


def plain(line: str) -> str:
    """The line without kfp's colour codes (a log file is read in an editor, not a terminal)."""
    return _ANSI.sub("", line)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class LocalLog:
    """Fed the entry point's lines in order; ``show(line)`` answers the line to show, or None to leave out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._mode: str | None = None  # "input" (after "Got executor_input:"), "json", "outputs"
        self._json_indent = 0
        self._started: dict[str, float] = {}
        self.left_out = 0  # lines not shown: when any, the whole log is worth pointing at

    def show(self, raw: str) -> str | None:
        shown = self._show(plain(raw))
        self.left_out += shown is None
        return shown

    def _show(self, line: str) -> str | None:
        if self._mode == "json":
            if line.strip() == "}" and _indent(line) == self._json_indent:
                self._mode = None
            return None
        if self._mode == "input":
            self._mode = None
            if line.strip() == "{":
                self._mode, self._json_indent = "json", _indent(line)
                return None
        stamped = _STAMPED.match(line)
        if stamped:
            self._mode = None
            return self._stamped(stamped["level"], stamped["message"])
        if self._mode == "outputs" or not line.strip() or set(line.strip()) == {"-"}:
            if set(line.strip()) == {"-"}:
                self._mode = None
            return None
        executor = _EXECUTOR.match(line)
        if executor:
            if executor["message"].startswith("Got executor_input"):
                self._mode = "input"
            if executor["level"] in ("DEBUG", "INFO"):
                return None
            return f"  {executor['level'].lower()}: {executor['message']}"
        # the step's own lines (kfp indents a task's output by 4), and whatever this does not know
        return line[4:] if line.startswith("      ") else line

    def _stamped(self, level: str, message: str) -> str | None:
        task = _TASK.match(message)
        if task:
            self._started[task["task"]] = self._clock()
            return f"▸ {task['task']}"
        finished = _FINISHED.match(message)
        if finished:
            name, ok = finished["name"], finished["status"] == "SUCCESS"
            mark = "✓" if ok else "✗"
            if finished["what"] == "Pipeline":
                rest = message[finished.end() :].strip(" .")
                return f"{mark} pipeline {name}: {finished['status'].lower()}" + (f" ({rest})" if rest else "")
            took = self._clock() - self._started.pop(name, self._clock())
            return f"{mark} {name}  {took:.1f} s" + ("" if ok else f" ({finished['status'].lower()})")
        if message.startswith("Task ") and message.endswith(" outputs:"):
            self._mode = "outputs"
            return None
        if message.startswith(("Streamed logs", "Running pipeline")) or message.endswith(" has no outputs"):
            return None
        return message if level in ("DEBUG", "INFO") else f"{level.lower()}: {message}"
