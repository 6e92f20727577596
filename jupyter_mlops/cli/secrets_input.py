"""Secret values a verb reads from ``--secrets-file`` (a .env file, or standard input): never argv, never disk.

Apart from common.py, which every verb's parser imports: this loads the secrets operation, so only the
verbs that read secrets load it, when they run.
"""

from __future__ import annotations

import json

from .._types import UI
from ..errors import InvalidInput
from ..operations.secrets import assign_to_branches, parse_env_text, read_env_file
from ..settings.spec import ProjectSpec


def read_secrets_file(path: str, ui: UI) -> dict[str, str]:
    """``--secrets-file FILE.env``, or ``-``: the same lines from standard input (no value on argv or disk)."""
    if path == "-":
        return parse_env_text(ui.stdin.read(), "standard input")
    return read_env_file(path)


def read_branch_secrets(path: str, ui: UI, spec: ProjectSpec) -> dict[str, dict[str, str]]:
    """Secret values by branch for push: a .env file (see ``assign_to_branches``), or on standard input either
    .env lines or a JSON object ``{"BRANCH": {"NAME": "value"}}`` (what a form sends; the REST body's shape)."""
    if path != "-":
        return assign_to_branches(read_env_file(path), spec)
    text = ui.stdin.read()
    if not text.lstrip().startswith("{"):
        return assign_to_branches(parse_env_text(text, "standard input"), spec)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"standard input is not JSON ({exc.msg}); give {{BRANCH: {{NAME: value}}}}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in data.values()
    ):
        raise InvalidInput('standard input: give a JSON object {"BRANCH": {"NAME": "value"}} of text values')
    out: dict[str, dict[str, str]] = {}
    for branch, values in data.items():
        out.update(assign_to_branches(values, spec, env=branch))
    return out
