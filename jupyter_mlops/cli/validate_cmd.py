"""jupyter mlops validate: check a settings object (JSON on standard input) without creating anything."""

from __future__ import annotations

import argparse
import json

from .._types import UI, Subparsers
from .common import add_json

HELP = "check project settings given as a JSON object on standard input; per-field errors, nothing written"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "validate",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + '. E.g. echo \'{"name": "wine-quality", '
        '"staging.kfp.auth": "dex"}\' | jupyter mlops validate --json. The keys are those of --set and of '
        "`jupyter mlops schema`; the answer is the REST validate route's: valid, errors per key, and the CI "
        "secrets each branch needs. Exit status 2 when a setting is not valid.",
    )
    add_json(p)
    p.add_argument("--yes", "-y", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..errors import InvalidInput
    from ..settings.forms import validation

    text = ui.stdin.read()
    try:
        values = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f'standard input is not JSON ({exc.msg}); give one object, e.g. {{"name": "x"}}') from None
    if not isinstance(values, dict):
        raise InvalidInput('standard input holds no settings object; give one JSON object, e.g. {"name": "x"}')
    answer = validation(values)
    ui.result(answer)
    if answer["valid"]:
        ui.line("valid")
    for key, message in answer["errors"].items():
        ui.line(f"{key}: {message}")
    return 0 if answer["valid"] else 2
