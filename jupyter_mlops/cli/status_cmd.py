"""jupyter mlops status: branches, remote, secrets mode, last commit per branch (local, no network)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._types import UI, Subparsers
from .common import add_json, add_path

HELP = "show the project's branches, remote, secrets mode and last commit per branch"


def register(sub: Subparsers) -> None:
    p = sub.add_parser("status", help=HELP, description=HELP[0].upper() + HELP[1:] + " (no network needed).")
    add_path(p)
    add_json(p)
    p.add_argument("--yes", "-y", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.status import project_status

    result = project_status(Path(args.path))
    ui.result(result.to_dict())  # the same fields as the REST API
    for line in result.describe():
        ui.line(line)
    return 0
