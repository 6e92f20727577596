"""`jupyter mlops …`: argparse in front of the operations.

Each verb is a module of this package with ``register(subparsers)`` and ``run(args, ui) -> int``.
Verb modules import nothing heavy at module level, so ``--help`` stays instant; the magics build
the same parsers (with an error() that raises UsageError), so both faces accept the same words.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__

VERBS = ("init", "push", "secrets", "status", "check", "run", "new", "sync", "promote")
PROG = "jupyter mlops"
DESCRIPTION = (
    "Scaffold an ML project repository (branches development/staging/production), push it to GitHub "
    "with encrypted secrets, and wire per-branch CI/CD that submits Kubeflow pipelines."
)


def available_verbs() -> list:
    mods = []
    for verb in VERBS:
        try:
            mods.append(importlib.import_module(f"{__name__}.{verb}_cmd"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{verb}_cmd":
                raise
    return mods


def build_parser(
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser, prog: str = PROG, extra_verbs: Sequence = ()
) -> argparse.ArgumentParser:
    """The CLI's parser; the magics pass their parser class, prog and their own verbs (``register(sub)``)."""
    parser = parser_class(prog=prog, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"jupyter-mlops {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=parser_class)
    sub.required = True
    for mod in [*available_verbs(), *extra_verbs]:
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import MlopsError
    from .ui import TerminalUI

    parser = build_parser()
    args = parser.parse_args(argv)
    ui = TerminalUI(assume_yes=getattr(args, "yes", False))
    try:
        return int(args.handler(args, ui) or 0)
    except MlopsError as exc:
        ui.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        ui.error("Interrupted; nothing is left half-done: run the command again to finish.")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
