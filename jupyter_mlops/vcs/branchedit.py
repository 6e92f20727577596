"""Commit file changes onto several branches without switching branches.

push uses it to record a decision (secrets mode) on every branch before the branches are pushed;
each branch gets one commit, and branches that sit on the same commit with the same change share it.
The checked-out branch's work tree and index follow its new commit, so ``git status`` stays clean.
Nothing is written when a file to change has uncommitted edits in the work tree.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Conflict
from ..safepaths import check_inside, scratch_file
from . import gitcli


def read_file(repo: Path, branch: str, path: str) -> bytes | None:
    """``path`` as committed on ``branch``, or None when the branch has no such file."""
    obj = f"refs/heads/{branch}:{path}"
    return gitcli.cat_files(repo, [obj]).get(obj)


def commit_on_branches(repo: Path, edits: dict[str, dict[str, bytes]], message: str) -> dict[str, str]:
    """``edits``: branch → {path: new content}. Returns branch → new commit for the branches changed."""
    edits = {b: files for b, files in edits.items() if files}
    if not edits:
        return {}
    head = gitcli.head_branch(repo)
    if head in edits:
        check_inside(repo, edits[head])  # the checked-out branch's files are written in the work tree
        dirty = gitcli.git(["status", "--porcelain", "--", *edits[head]], repo).stdout.strip()
        if dirty:
            raise Conflict(
                f"These files have uncommitted changes on {head}; commit or stash them, then run the "
                "command again (nothing was changed):",
                details=[ln[3:] for ln in dirty.splitlines()],
            )
    gitcli.identity(repo)
    tips = gitcli.branches(repo)
    made: dict[tuple[str, tuple], str] = {}
    result: dict[str, str] = {}
    for branch, files in edits.items():
        parent = tips[branch]
        key = (parent, tuple(sorted(files.items())))
        if key not in made:
            made[key] = _commit(repo, parent, files, message)
        result[branch] = made[key]
    for branch, commit in result.items():
        gitcli.git(["update-ref", f"refs/heads/{branch}", commit, tips[branch]], repo)
    if head in result:
        for path, content in edits[head].items():
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        gitcli.git(["add", "--", *edits[head]], repo)
    return result


def _commit(repo: Path, parent: str, files: dict[str, bytes], message: str) -> str:
    git_dir = Path(gitcli.git(["rev-parse", "--absolute-git-dir"], repo).stdout.strip())
    index = scratch_file(git_dir, "mlops-index-")
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        gitcli.git(["read-tree", parent], repo, env=env)
        modes = _modes(repo, parent, list(files))
        lines = []
        for path, content in files.items():
            blob = gitcli.git(["hash-object", "-w", "--stdin"], repo, input=content.decode("utf-8")).stdout.strip()
            lines.append(f"{modes.get(path, '100644')} {blob}\t{path}\n")
        gitcli.git(["update-index", "--index-info"], repo, env=env, input="".join(lines))
        tree = gitcli.git(["write-tree"], repo, env=env).stdout.strip()
        return gitcli.git(["commit-tree", tree, "-p", parent, "-m", message], repo).stdout.strip()
    finally:
        index.unlink(missing_ok=True)


def _modes(repo: Path, commit: str, paths: list[str]) -> dict[str, str]:
    out = gitcli.git(["ls-tree", commit, "--", *paths], repo).stdout
    modes = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        modes[path] = meta.split()[0]
    return modes
