"""Writes stay inside the project folder.

A repository or a folder can hold symbolic links: ``src`` pointing at another project, ``README.md`` at a
file of the user's, a main repo committing a link to ``~/.ssh``. Every write this tool makes into a work
tree (init's files, the files push/new/sync commit on the checked-out branch) first checks that each
target, with every link along its path followed, stays inside the folder; otherwise nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import Conflict


def outside(root: Path, paths: Iterable[str]) -> dict[str, Path]:
    """Relative ``paths`` that would land outside ``root`` → where they would land."""
    base = Path(root).resolve()
    found = {}
    for rel in paths:
        landing = (Path(root) / rel).resolve()  # follows every link that exists along the way
        if landing != base and base not in landing.parents:
            found[rel] = landing
    return found


def check_inside(root: Path, paths: Iterable[str]) -> None:
    """Conflict naming each path that a link would carry out of ``root``, and the link to remove."""
    found = outside(root, paths)
    if found:
        raise Conflict(
            f"Some files would be written outside {root} through a symbolic link. Nothing was written; remove "
            "or replace the link (or choose another folder), then run the command again:",
            details=[f"{rel} → {landing}" for rel, landing in sorted(found.items())],
        )
