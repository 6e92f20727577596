"""Who owns each file of a generated repository: the organisation's main repo ("org") or the project.

The map is committed into every generated repository as ``.mlops/ownership.toml`` (org-owned), so
``sync`` and the scheduled upstream-check workflow follow the map the organisation last published,
not whichever jupyter-mlops version happens to be installed. Entries are paths or fnmatch patterns
(``*`` also crosses ``/``); ``mlops.toml`` is always the project's.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import NamedTuple

from .._toml import tomllib
from .._types import Owner
from ..errors import InvalidInput

OWNERSHIP_FILE = ".mlops/ownership.toml"
ALWAYS_PROJECT = ("mlops.toml",)


class Ownership(NamedTuple):
    """Project-owned patterns; everything else is merged from upstream as the organisation's."""

    project: tuple[str, ...]
    org: tuple[str, ...] = ()
    source: str = OWNERSHIP_FILE

    def is_project(self, path: str) -> bool:
        return path in ALWAYS_PROJECT or any(fnmatch.fnmatchcase(path, p) for p in self.project)

    def owner(self, path: str) -> Owner:
        return "project" if self.is_project(path) else "org"


def render_text(owners: dict[str, Owner]) -> str:
    """The committed file, from ``template.ownership(spec)`` (path → owner)."""
    import tomli_w

    header = (
        "# Who owns each file (written by jupyter-mlops; org-owned: the main config repo publishes it).\n"
        "# project: the project's own; `jupyter mlops sync` and the upstream-check workflow never change it.\n"
        "# org: the organisation's; updates from the main repo are merged in. Files listed nowhere are merged\n"
        '# like org files. Entries may be fnmatch patterns, e.g. "src/steps/*".\n\n'
    )
    data = {
        "project": sorted(p for p, o in owners.items() if o == "project"),
        "org": sorted(p for p, o in owners.items() if o == "org"),
    }
    return header + tomli_w.dumps(data)


def parse(text: str, source: str = OWNERSHIP_FILE) -> Ownership:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source} is not valid TOML ({exc}); restore it from the main repo") from None
    project, org = data.get("project", []), data.get("org", [])
    if not _strings(project) or not _strings(org):
        raise InvalidInput(f"{source}: 'project' and 'org' must be lists of paths; restore it from the main repo")
    return Ownership(tuple(project), tuple(org), source)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def project_paths(ownership: Ownership, paths: Iterable[str]) -> list[str]:
    return [p for p in paths if ownership.is_project(p)]
