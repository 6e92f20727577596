"""jupyter mlops schema: the settings' JSON schema, the document every form renders (as GET schema serves it)."""

from __future__ import annotations

import argparse
import json

from .common import add_json

HELP = "print the project settings' JSON schema (pages, order, dependencies, help; what forms render)"


def register(sub) -> None:
    p = sub.add_parser("schema", help=HELP, description=HELP[0].upper() + HELP[1:] + ".")
    p.add_argument(
        "--branches",
        metavar="A,B,C",
        help="the project's branches, for the per-branch keys (default: development,staging,production)",
    )
    add_json(p)
    p.add_argument("--yes", "-y", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui) -> int:
    from ..settings.forms import default_spec
    from ..settings.spec import json_schema

    document = json_schema(default_spec("ml-project", args.branches).branch_names)
    ui.result(document)
    if not args.json:
        ui.line(json.dumps(document, indent=2))
    return 0
