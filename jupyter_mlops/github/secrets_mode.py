"""Where the project's CI secrets live, and the commit that records a change of that decision.

"environments": one GitHub Environment per branch, secrets with the plain names (``KFP_TOKEN``).
"repository": where environments are unavailable (private repositories on GitHub Free), repository
secrets prefixed by the branch (``STAGING_KFP_TOKEN``). ``mlops.toml`` records the mode, and the
org-owned generated files (the workflows) are re-rendered so they read the names that exist. Files
you edited are left alone and named in a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from .._types import SecretsMode
from ..scaffold import template
from ..settings.spec import dumps, loads
from ..vcs.branchedit import read_file

SPEC_FILE = "mlops.toml"
_MODE_LINE = re.compile(r'^(?P<lead>[ \t]*secrets_mode[ \t]*=[ \t]*)"[^"\n]*"', re.M)
_MLOPS_TABLE = re.compile(r"^\[mlops\][ \t]*$", re.M)


def set_mode_text(text: str, mode: SecretsMode) -> str:
    """``mlops.toml`` with the mode changed, keeping everything else (comments, order) as it is."""
    table = _MLOPS_TABLE.search(text)
    if table:
        end = re.compile(r"^\[", re.M).search(text, table.end())
        stop = end.start() if end else len(text)
        section = text[table.end() : stop]
        if _MODE_LINE.search(section):
            section = _MODE_LINE.sub(lambda m: f'{m.group("lead")}"{mode}"', section, count=1)
        else:
            section = f'\nsecrets_mode = "{mode}"' + section
        return text[: table.end()] + section + text[stop:]

    spec = loads(text)
    spec.secrets_mode = mode
    return dumps(spec)


def mode_change_edits(
    root: Path, branches: list[str], mode: SecretsMode
) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """The file changes that switch every branch to ``mode``, and warnings for files left alone."""

    edits: dict[str, dict[str, bytes]] = {}
    warnings: list[str] = []
    renders: dict[bytes, tuple[dict, dict]] = {}
    for branch in branches:
        raw = read_file(root, branch, SPEC_FILE)
        if raw is None:
            warnings.append(f"{branch} has no {SPEC_FILE}; its secrets mode was not recorded")
            continue
        spec = loads(raw.decode("utf-8"), source=f"{SPEC_FILE} on {branch}")
        if spec.secrets_mode == mode:
            continue
        files = {SPEC_FILE: set_mode_text(raw.decode("utf-8"), mode).encode("utf-8")}
        if raw not in renders:
            new_spec = spec.copy()
            new_spec.secrets_mode = mode
            renders[raw] = (
                {f.path: f.content for f in template.render(spec) if f.owner == "org"},
                {f.path: f.content for f in template.render(new_spec) if f.owner == "org"},
            )
        old, new = renders[raw]
        for path, content in new.items():
            if old.get(path) == content:
                continue
            current = read_file(root, branch, path)
            if current == old.get(path):  # as generated (or absent in both): follow the new mode
                files[path] = content
            else:
                warnings.append(
                    f"{path} on {branch} was changed or removed by you, so it was not re-rendered: make it read "
                    f"the {mode} secret names by hand (see `jupyter mlops status`)"
                )
        edits[branch] = files
    return edits, warnings
