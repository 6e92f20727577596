"""jupyter mlops schema: the settings as every form shows them (pages, fields, defaults, dependencies).

``--json`` prints the JSON schema GET schema serves, the document the VS Code extension renders.
"""

from __future__ import annotations

import argparse

from .. import payloads
from .._types import UI, Subparsers
from .common import add_json

HELP = "show the settings every form offers: pages, keys, defaults and when each applies (--json: the schema)"


def register(sub: Subparsers) -> None:
    p = sub.add_parser("schema", help=HELP, description=HELP[0].upper() + HELP[1:] + ".")
    p.add_argument(
        "--branches",
        metavar="A,B,C",
        help="the project's branches, for the per-branch keys (default: development,staging,production)",
    )
    add_json(p)
    p.add_argument("--yes", "-y", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..settings.forms import json_schema

    document = json_schema(args.branches)
    ui.result(document)
    if not args.json:
        for line in describe(document):
            ui.line(line)
    return 0


def describe(document: payloads.SettingsSchema) -> list[str]:
    """The pages in order, each field with its default and the condition it is shown under."""
    fields = document["properties"]
    out = []
    for group in document["x-groups"]:
        keys = [k for k, f in fields.items() if f["x-group"] == group["id"]]
        out.append(f"{group['title']}: {group['description']}")
        for key in sorted(keys, key=lambda k: (fields[k].get("x-branch", ""), fields[k]["x-order"])):
            field = fields[key]
            when = ", ".join(f"{k}={_shown(v)}" for k, v in field.get("x-when", {}).items())
            out.append(f"  {key} = {_shown(field['default'])}  ({field['title']}{f'; when {when}' if when else ''})")
    return out


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
