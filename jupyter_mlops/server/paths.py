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
    if not isinstance(rel, str) or any(ord(c) < 32 or ord(c) == 127 for c in rel):
        raise InvalidPath(
            "path: give a folder relative to the Jupyter root (one line of text), e.g. projects/wine-quality"
        )
    text = rel.replace("\\", "/").strip()
    if len(text) > 4096 or any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in text.split("/")):
        raise InvalidPath("path: too long (at most 255 bytes per folder name); give a shorter folder name")
    if text.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", text):
        raise InvalidPath(f"path {rel!r} is absolute; give it relative to the Jupyter root, e.g. projects/wine-quality")
    if ".." in PurePosixPath(text).parts:
        raise InvalidPath(f"path {rel!r} contains '..'; give a folder inside the Jupyter root")
    root = Path(root_dir).resolve()
    try:
        target = (root / text).resolve()
    except (OSError, RuntimeError, UnicodeError):  # a link loop, an encoding the file system refuses
        raise InvalidPath(f"path {rel!r} cannot be used on this file system; give another folder name") from None
    if target != root and root not in target.parents:
        raise InvalidPath(f"path {rel!r} leads outside the Jupyter root (through a link); give a folder inside it")
    if any(part.lower() == ".git" for part in target.relative_to(root).parts):
        raise InvalidPath(f"path {rel!r} leads into a .git folder (git's own data); give the project's folder")
    return target


def relative(root_dir: str | Path, target: Path) -> str:
    """How the client names ``target``: relative to the root, '' for the root itself."""
    rel = Path(target).resolve().relative_to(Path(root_dir).resolve()).as_posix()
    return "" if rel == "." else rel
