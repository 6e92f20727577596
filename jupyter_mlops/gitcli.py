"""Local git through the git command itself: few calls, no heavy import (init must stay fast).

GitPython is used where its object model pays for itself (push, sync); plain commands here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from .errors import Conflict, InvalidInput, MlopsError


class GitError(MlopsError):
    reason = "git_failed"
    http_status = 409
    exit_code = 1


def git(
    args: Sequence[str],
    cwd: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    # Never let git stop on a prompt: a face without a terminal would hang.
    full_env.setdefault("GIT_TERMINAL_PROMPT", "0")
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            ["git", *args], cwd=str(cwd), env=full_env, input=input, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise InvalidInput("git is not installed or not on PATH; install git and try again") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed in {cwd}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def is_repo(path: Path) -> bool:
    return (path / ".git").exists()


def identity(cwd: Path) -> tuple[str, str]:
    """The committer identity git will use; a clear error naming the fix when there is none."""
    name = os.environ.get("GIT_COMMITTER_NAME") or os.environ.get("GIT_AUTHOR_NAME")
    email = os.environ.get("GIT_COMMITTER_EMAIL") or os.environ.get("GIT_AUTHOR_EMAIL")
    if not (name and email):
        proc = git(["config", "--get-regexp", r"^user\.(name|email)$"], cwd, check=False)
        for line in proc.stdout.splitlines():
            key, _, value = line.partition(" ")
            if key == "user.name" and not name:
                name = value
            elif key == "user.email" and not email:
                email = value
    if not (name and email):
        missing = " and ".join(k for k, v in (("user.name", name), ("user.email", email)) if not v)
        raise InvalidInput(
            f"git has no {missing} to sign the first commit with. Set it once, then run the command again:\n"
            '  git config --global user.name "Your Name"\n'
            '  git config --global user.email "you@example.org"'
        )
    return name, email


def head_branch(repo: Path) -> str | None:
    proc = git(["symbolic-ref", "--quiet", "--short", "HEAD"], repo, check=False)
    return proc.stdout.strip() or None


def branches(repo: Path) -> dict[str, str]:
    """Local branch → commit id."""
    proc = git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/"], repo, check=False)
    out = {}
    for line in proc.stdout.splitlines():
        name, _, sha = line.partition(" ")
        out[name] = sha
    return out


def has_commits(repo: Path) -> bool:
    return git(["rev-parse", "--verify", "--quiet", "HEAD"], repo, check=False).returncode == 0


def create_branches(repo: Path, names: Sequence[str], start: str = "HEAD") -> None:
    """Create several branches at one commit with a single git call."""
    if names:
        git(["update-ref", "--stdin"], repo, input="".join(f"create refs/heads/{n} {start}\n" for n in names))


def ensure_clean_paths(repo: Path, paths: Sequence[str]) -> None:
    """Refuse when the index already holds staged changes to the paths we are about to commit."""
    proc = git(["diff", "--cached", "--name-only", "--", *paths], repo, check=False)
    staged = proc.stdout.split()
    if staged:
        raise Conflict("Some files init would commit are already staged with your changes:", details=staged)
