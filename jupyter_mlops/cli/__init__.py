"""`jupyter mlops …`: argparse in front of the operations.

Each verb is a module of this package with ``register(subparsers)`` and ``run(args, ui) -> int``.
Verb modules import nothing heavy at module level, so ``--help`` stays instant; the magics build
the same parsers (with an error() that raises UsageError), so both faces accept the same words.

``--json`` (every verb) is the machine interface scripts and the VS Code extension use: see ``ui.JsonUI``.
A usage error, an unexpected failure, Ctrl-C and SIGTERM all end in one ``{"error": ...}`` line there.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from .._version import __version__
from ..errors import Cancelled, InvalidInput, MlopsError, error_object
from .ui import JsonUI, TerminalUI

VERBS = ("init", "push", "secrets", "status", "check", "run", "new", "sync", "promote", "schema", "validate")
PROG = "jupyter mlops"
DESCRIPTION = (
    "Scaffold an ML project repository (branches development/staging/production), push it to GitHub "
    "with encrypted secrets, and wire per-branch CI/CD that submits Kubeflow pipelines."
)


def available_verbs(only: Sequence[str] = VERBS) -> list:
    mods = []
    for verb in only:
        try:
            mods.append(importlib.import_module(f"{__name__}.{verb}_cmd"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{verb}_cmd":
                raise
    return mods


def build_parser(
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
    prog: str = PROG,
    extra_verbs: Sequence = (),
    verbs: Sequence[str] = VERBS,
) -> argparse.ArgumentParser:
    """The CLI's parser; the magics pass their parser class, prog and their own verbs (``register(sub)``).
    ``verbs``: the built-in verbs to register (all of them unless the caller knows which one runs)."""
    parser = parser_class(prog=prog, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"jupyter-mlops {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=parser_class)
    sub.required = True
    for mod in [*available_verbs(verbs), *extra_verbs]:
        mod.register(sub)
    return parser


class JsonArgumentParser(argparse.ArgumentParser):
    """Under ``--json`` a usage error is an error line (exit 2) and help goes to stderr: stdout stays JSON."""

    def error(self, message: str) -> NoReturn:

        raise InvalidInput(f"{self.prog}: {message}", fix=f"see `{self.prog} --help`")

    def _print_message(self, message: str, file: object = None) -> None:
        super()._print_message(message, sys.stderr)


def _verbs_for(argv: Sequence[str]) -> Sequence[str]:
    """A command line that starts with a verb needs only that verb's parser: the others are neither
    imported nor built (a few milliseconds of every command). Anything else gets them all, so the main
    help and the error for an unknown verb list every verb."""
    return argv[:1] if argv and argv[0] in VERBS else VERBS


INTERRUPTED = "Interrupted; nothing is left half-done: run the command again to finish."


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (the VS Code extension's Cancel, a service manager) unwinds like Ctrl-C: the operations' rollback
    runs, child processes are ended by subprocess, and the command can be run again."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`jupyter mlops schema | head`): stop quietly, as other Unix tools do, and keep
        # Python from reporting the pipe again when it flushes stdout at exit.

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv[: argv.index("--") if "--" in argv else len(argv)]
    if not json_mode:
        args = build_parser(verbs=_verbs_for(argv)).parse_args(argv)
        ui = TerminalUI(assume_yes=getattr(args, "yes", False))
        try:
            return int(args.handler(args, ui) or 0)
        except MlopsError as exc:
            ui.error(str(exc))
            return exc.exit_code
        except KeyboardInterrupt:
            ui.error(INTERRUPTED)
            return 130
    jui = JsonUI()
    try:
        args = build_parser(JsonArgumentParser, verbs=_verbs_for(argv)).parse_args(argv)
        code = int(args.handler(args, jui) or 0)
    except MlopsError as exc:
        jui.error(str(exc))
        jui.emit({"error": error_object(exc)})
        return exc.exit_code
    except KeyboardInterrupt:
        jui.emit({"error": error_object(Cancelled(INTERRUPTED))})
        return 130
    except SystemExit as exc:  # --help / --version under --json: their text went to stderr
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - the machine interface always ends in a line a reader can parse
        sys.excepthook(type(exc), exc, exc.__traceback__)  # Python's own report, without importing traceback
        jui.emit(
            {
                "error": {
                    "reason": "internal_error",
                    "message": f"Unexpected error: {type(exc).__name__}: {exc}",
                    "details": [],
                    "fix": "the traceback is on stderr; please report it",
                    "exit_code": 1,
                }
            }
        )
        return 1
    jui.emit(jui.payload if jui.payload is not None else {"exit_code": code})
    return code


def run() -> NoReturn:
    """The process entry (``jupyter-mlops``, ``jupyter mlops``, ``python -m jupyter_mlops``): main, then an exit
    that skips the interpreter's teardown.

    Tearing down every module and collecting every object the command left took 20-25 ms of each command here,
    a tenth of ``init`` (benchmarks/bench_init.py). The exit is an atexit function registered before any
    other, so it runs after all of them (atexit runs last-registered first) and after Python has joined the
    command's threads: cleanups that libraries register (logging, temporary folders, multiprocessing) still
    run; only ``__del__`` methods of objects alive at exit do not, which Python never promises to call.
    The technique Instagram described for its servers ("Dismissing Python Garbage Collection at Instagram",
    2017). An uncaught exception keeps Python's own exit: its traceback and code 1.
    """
    outcome: list[int] = []
    atexit.register(_exit_now, outcome)
    try:
        code = main()
    except SystemExit as exc:  # --help, --version, argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    outcome.append(code)
    sys.exit(code)


def _exit_now(outcome: list[int]) -> None:
    if not outcome:  # an uncaught exception: Python's own exit
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # the reader went away, or a stream was closed
        pass
    os._exit(outcome[0])


if __name__ == "__main__":  # pragma: no cover
    run()
