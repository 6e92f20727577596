"""Request paths are relative to the Jupyter server's root directory and may not leave it."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import InvalidInput


class InvalidPath(InvalidInput):
    reason = "invalid_path"
    http_status = 400


def resolve(root_dir: str | Path, rel: str) -> Path:
    """The absolute folder for ``rel``; InvalidPath for absolute paths, ``..`` and anything escaping the root.

    Symbolic links are followed before the check, so a link pointing out of the root is refused too.
    """
    if not isinstance(rel, str) or "\x00" in rel:
        raise InvalidPath("path: give a folder relative to the Jupyter root, e.g. projects/wine-quality")
    text = rel.replace("\\", "/").strip()
    if text.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", text):
        raise InvalidPath(f"path {rel!r} is absolute; give it relative to the Jupyter root, "
                          "e.g. projects/wine-quality")
    if ".." in PurePosixPath(text).parts:
        raise InvalidPath(f"path {rel!r} contains '..'; give a folder inside the Jupyter root")
    root = Path(root_dir).resolve()
    target = (root / text).resolve()
    if target != root and root not in target.parents:
        raise InvalidPath(f"path {rel!r} leads outside the Jupyter root (through a link); "
                          "give a folder inside it")
    return target


def relative(root_dir: str | Path, target: Path) -> str:
    """How the client names ``target``: relative to the root, '' for the root itself."""
    rel = Path(target).resolve().relative_to(Path(root_dir).resolve()).as_posix()
    return "" if rel == "." else rel
