"""Merging the main repo's branch into a project's branch, in git objects only.

The merge is computed with ``git merge-tree --write-tree`` (no work tree, no index, no checkout), then
project-owned paths are set back to the project's version, then one merge commit is written with
``commit-tree``. Nothing moves a branch here: the caller moves it with a compare-and-swap (or
pushes it), so a conflict, an error or an interruption leaves every branch and the work tree
exactly as they were, and no commit can be lost.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import payloads
from ..safepaths import scratch_file
from ..scaffold.ownership import OWNERSHIP_FILE, Ownership, parse
from ..scaffold.template import ownership_from_manifest
from . import gitcli

ZERO = "0" * 40

# Branch outcomes, as the summary table shows them.
UP_TO_DATE = "up to date"
UPDATED = "updated"
CONFLICT = "conflict"
PR_OPENED = "PR opened"
SKIPPED = "skipped"


@dataclass
class FileConflict:
    path: str
    kind: str  # content | modify/delete | add/add | rename/delete | …
    message: str

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "message": self.message}


@dataclass
class BranchMerge:
    """What merging upstream into one branch gives; ``commit`` is set when there is something to move to."""

    branch: str
    status: str
    ours: str | None = None
    theirs: str | None = None
    commit: str | None = None
    changed: list[str] = field(default_factory=list)  # org files the merge changes
    kept: list[str] = field(default_factory=list)  # project-owned files upstream changed; project's version kept
    conflicts: list[FileConflict] = field(default_factory=list)
    note: str = ""
    link: str | None = None

    def to_dict(self) -> payloads.SyncBranch:
        return {
            "branch": self.branch,
            "status": self.status,
            "before": self.ours,
            "upstream": self.theirs,
            "after": self.commit,
            "changed": self.changed,
            "kept": self.kept,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "note": self.note,
            "link": self.link,
        }


def rev(repo: Path, ref: str, env: dict | None = None) -> str | None:
    proc = gitcli.git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, env=env, check=False)
    return proc.stdout.strip() or None


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    return gitcli.git(["merge-base", "--is-ancestor", a, b], repo, check=False).returncode == 0


def read_ownership(repo: Path, *commits: str) -> Ownership:
    """The first commit's ``.mlops/ownership.toml`` that exists (upstream's first: the org's latest word)."""
    for commit in commits:
        proc = gitcli.git(["cat-file", "blob", f"{commit}:{OWNERSHIP_FILE}"], repo, check=False)
        if proc.returncode == 0:
            return parse(proc.stdout, f"{OWNERSHIP_FILE} at {commit[:12]}")
    return ownership_from_manifest()


def merge_upstream(repo: Path, branch: str, ours: str, theirs: str, message: str) -> BranchMerge:
    """Merge ``theirs`` (upstream's branch) into ``ours`` (the project's); returns the outcome, moves nothing."""
    result = BranchMerge(branch, UP_TO_DATE, ours, theirs)
    if ours == theirs or is_ancestor(repo, theirs, ours):
        return result
    ownership = read_ownership(repo, theirs, ours)
    proc = gitcli.git(
        ["merge-tree", "--write-tree", "-z", "--name-only", "--allow-unrelated-histories", ours, theirs],
        repo,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise gitcli.GitError(f"git merge-tree failed in {repo}: {proc.stderr.strip()}")
    tree, conflicted, messages = _parse_merge_tree(proc.stdout, proc.returncode == 1)
    org_conflicts = [p for p in conflicted if not ownership.is_project(p)]
    if org_conflicts:
        result.status = CONFLICT
        result.conflicts = [FileConflict(p, *_describe(p, messages)) for p in org_conflicts]
        return result

    # Project-owned paths go back to the project's version (absent stays absent).
    reverts: list[str] = []
    for old_mode, _new_mode, old_sha, _new_sha, status, path in _diff_tree(repo, ours, tree):
        if ownership.is_project(path):
            result.kept.append(path)
            reverts.append(f"0 {ZERO}\t{path}" if status == "A" else f"{old_mode} {old_sha}\t{path}")
        else:
            result.changed.append(path)
    if reverts:
        tree = _edit_tree(repo, tree, reverts)
    commit = gitcli.git(["commit-tree", tree, "-p", ours, "-p", theirs, "-m", message], repo)
    result.commit = commit.stdout.strip()
    result.status = UPDATED
    return result


def _parse_merge_tree(out: str, has_conflicts: bool) -> tuple[str, list[str], dict[str, tuple[str, str]]]:
    """``merge-tree --write-tree -z --name-only``: tree NUL [paths NUL… NUL] [messages]."""
    parts = out.split("\0")
    tree = parts[0].strip()
    if not has_conflicts:
        return tree, [], {}
    i, conflicted = 1, []
    while i < len(parts) and parts[i] != "":
        conflicted.append(parts[i])
        i += 1
    i += 1
    messages: dict[str, tuple[str, str]] = {}
    # Each message: <number of paths> NUL <paths…> NUL <type> NUL <message> NUL
    while i < len(parts) and parts[i].isdigit():
        count = int(parts[i])
        paths = parts[i + 1 : i + 1 + count]
        kind, text = parts[i + 1 + count], parts[i + 2 + count].strip()
        i += 3 + count
        if kind.startswith("CONFLICT"):
            for p in paths:
                messages[p] = (kind, text)
    return tree, sorted(set(conflicted)), messages


def _describe(path: str, messages: dict[str, tuple[str, str]]) -> tuple[str, str]:
    kind, text = messages.get(path, ("CONFLICT (contents)", f"Merge conflict in {path}"))
    # "CONFLICT (contents)" → "content"; "CONFLICT (modify/delete)" → "modify/delete"
    inner = kind[kind.find("(") + 1 : kind.rfind(")")] if "(" in kind else kind
    return ("content" if inner == "contents" else inner), text


def _diff_tree(repo: Path, a: str, b: str) -> list[tuple[str, str, str, str, str, str]]:
    out = gitcli.git(["diff-tree", "-r", "-z", "--no-renames", a, b], repo).stdout
    parts = out.split("\0")
    entries = []
    for i in range(0, len(parts) - 1, 2):
        meta = parts[i].lstrip(":").split(" ")
        if len(meta) < 5:
            continue
        entries.append((meta[0], meta[1], meta[2], meta[3], meta[4][:1], parts[i + 1]))
    return entries


def _edit_tree(repo: Path, tree: str, index_info: list[str]) -> str:
    """``tree`` with entries replaced or removed, through a throw-away index (the repo's own is not touched)."""
    index = str(scratch_file(Path(tempfile.gettempdir()), "mlops-sync-index-"))  # read-tree creates it
    env = {"GIT_INDEX_FILE": index}
    try:
        gitcli.git(["read-tree", tree], repo, env=env)
        gitcli.git(["update-index", "-z", "--index-info"], repo, env=env, input="\0".join(index_info) + "\0")
        return gitcli.git(["write-tree"], repo, env=env).stdout.strip()
    finally:
        for leftover in (index, index + ".lock"):
            if os.path.exists(leftover):
                os.unlink(leftover)
