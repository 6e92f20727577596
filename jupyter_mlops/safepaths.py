"""Writes stay inside the project folder.

A repository or a folder can hold symbolic links: ``src`` pointing at another project, ``README.md`` at a
file of the user's, a main repo committing a link to ``~/.ssh``. Every write this tool makes into a work
tree (init's files, the files push/new/sync commit on the checked-out branch) first checks that each
target, with every link along its path followed, stays inside the folder; otherwise nothing is written.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
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


# ---------------------------------------------------------------- scratch space that nothing leaves behind


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale(parent: Path, prefix: str) -> None:
    """Remove ``parent/<prefix><pid>-…`` entries whose process is gone: what a killed run left behind
    (a SIGKILL runs no cleanup). Entries of running processes, and anything not named so, stay."""

    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def scratch_dir(parent: Path, prefix: str, *, private: bool = True) -> Path:
    """A new folder ``parent/<prefix><pid>-XXXX`` for work that is moved into place or thrown away;
    leftovers of killed runs with the same prefix are removed first. ``private``: readable by its owner only
    (mkdtemp's 0700); otherwise the mode the user's umask gives any new folder, for a folder that becomes the
    user's project (as ``mkdir`` or ``git clone`` would make it)."""

    remove_stale(parent, prefix)
    if private:
        return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    for _ in range(100):
        folder = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir()  # fails if it exists: nothing of anyone else's is reused
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free name for a folder {prefix}… in {parent}")


def scratch_file(parent: Path, prefix: str) -> Path:
    """A path ``parent/<prefix><pid>-XXXX`` not yet created (git wants to create index files itself)."""

    remove_stale(parent, prefix)
    fd, name = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", dir=parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)
