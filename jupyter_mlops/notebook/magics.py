"""``%load_ext jupyter_mlops`` registers ``%mlops``: the CLI's words, in a notebook.

The line is split with shlex and parsed by the CLI's own argparse parsers (``cli.build_parser``) with a
parser class whose errors raise IPython's ``UsageError``, so a typo shows a short message, never a
traceback, and the same words work in both faces. Loading only registers the magic: nothing is
imported until the first ``%mlops`` line runs (no kfp, github, git, tornado, ipywidgets).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from .._types import Subparsers

WIZARD_HELP = "open the project wizard (ipywidgets) for a folder"


class _HelpShown(Exception):
    """argparse finished with status 0 (``--help``, ``--version``): nothing more to do."""


def _parser_class() -> type[argparse.ArgumentParser]:
    from IPython.core.error import UsageError

    class MagicArgumentParser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}\n(see {self.prog} --help)")

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if status:
                raise UsageError((message or f"{self.prog}: failed").strip())
            if message:
                print(message, end="")
            raise _HelpShown()

    return MagicArgumentParser


class _WizardVerb:
    """``%mlops wizard [PATH]``: a verb only the notebook faces have."""

    @staticmethod
    def register(sub: Subparsers) -> None:
        from ..cli.common import add_path

        p = sub.add_parser("wizard", help=WIZARD_HELP, description=WIZARD_HELP[0].upper() + WIZARD_HELP[1:] + ".")
        add_path(p, "folder the project's folder is created in (default: the current folder)")
        p.set_defaults(handler=None)


_parser = None


def parser():
    global _parser
    if _parser is None:
        from ..cli import build_parser

        _parser = build_parser(parser_class=_parser_class(), prog="%mlops", extra_verbs=[_WizardVerb])
    return _parser


def mlops(line: str) -> Any:
    """Run a jupyter-mlops command: ``%mlops init``, ``%mlops push``, ``%mlops secrets set NAME --env B``,
    ``%mlops status``, ``%mlops check``, ``%mlops run``, ``%mlops sync``, ``%mlops wizard``; ``%mlops --help``.

    Tokens and secret values are asked with a hidden prompt, never read from the line.
    """

    from IPython.core.error import UsageError

    from ..errors import MlopsError

    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%mlops: {exc} (check the quotes in the line)") from None
    try:
        args = parser().parse_args(argv)
    except _HelpShown:
        return None
    if args.verb == "wizard":
        from .wizard import Wizard

        return Wizard(root=args.path).widget

    from .ui import NotebookUI

    ui = NotebookUI(f"%mlops {args.verb}")
    try:
        code = int(args.handler(args, ui) or 0)
    except MlopsError as exc:
        ui.finish(False)
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        ui.finish(False)
        raise UsageError("Interrupted; nothing is left half-done: run the command again to finish.") from None
    report = ui.finish(code == 0)
    return ui.payload if getattr(args, "json", False) and ui.payload is not None else report


def register(ipython: Any) -> None:
    """``ipython``: the InteractiveShell (Any: the decorator on its ``register_magic_function`` has no usable types)."""
    ipython.register_magic_function(mlops, magic_kind="line", magic_name="mlops")
