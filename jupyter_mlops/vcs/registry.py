"""The main repo's list of projects made from it, kept as git refs in the main repo itself.

``jupyter mlops new`` records each project as ``refs/mlops/projects/<owner>/<name>``: a commit whose
message holds the entry as TOML (name, clone URL, GitHub full name, how it was made). Refs outside
``refs/heads`` are not branches: they never reach a project through a fork or a sync, they survive
clones of the main repo, and each project has its own ref, so two `new` runs never race on one file.
``sync --all`` reads them back (plus GitHub's fork network, for forks made by other means).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from .._toml import tomllib
from . import gitcli
from .remote import redact

NAMESPACE = "refs/mlops/projects"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


@dataclass(frozen=True)
class ProjectEntry:
    name: str
    url: str
    github: str = ""  # owner/name when the project is on GitHub
    method: str = "mirror"  # fork | mirror
    created: str = ""

    @property
    def key(self) -> str:
        owner = self.github.split("/")[0] if self.github else "git"
        return f"{_ref_safe(owner)}/{_ref_safe(self.name)}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "url": self.url,
            "github": self.github,
            "method": self.method,
            "created": self.created,
        }


def _ref_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", text).strip(".") or "project"


def entry_commit(repo: Path, entry: ProjectEntry) -> str:
    """A parentless commit (in ``repo``'s objects) whose message holds ``entry`` as TOML."""
    import tomli_w

    data = entry.to_dict()
    if not data["created"]:
        data["created"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"Project {entry.name} (made by jupyter mlops new)\n\n" + tomli_w.dumps(data)
    return gitcli.git(["commit-tree", EMPTY_TREE, "-m", message], repo).stdout.strip()


def record(repo: Path, main_url: str, entry: ProjectEntry, env: dict | None = None) -> None:
    """Push the entry's ref to the main repo (replacing an older entry for the same project)."""
    commit = entry_commit(repo, entry)
    proc = gitcli.git(
        ["push", "--quiet", "--force", "--end-of-options", gitcli.check_argument(main_url, "the main repo's URL")]
        + [f"{commit}:{NAMESPACE}/{entry.key}"],
        repo,
        env=env,
        check=False,
        remote=main_url,
    )
    if proc.returncode != 0:
        raise gitcli.GitError(f"could not record the project in {redact(main_url)}: {proc.stderr.strip()}")


def read(repo: Path, main_url: str | None, env: dict | None = None) -> list[ProjectEntry]:
    """Every recorded project: fetched from ``main_url`` when given (pruned), else the refs already in ``repo``."""

    if main_url:
        gitcli.check_argument(main_url, "the main repo's URL")
        gitcli.git(
            ["fetch", "--quiet", "--no-tags", "--prune", "--end-of-options", main_url, f"+{NAMESPACE}/*:{NAMESPACE}/*"],
            repo,
            env=env,
            remote=main_url,
        )
    out = gitcli.git(["for-each-ref", "--format=%(contents:body)%00", NAMESPACE], repo).stdout
    entries = []
    for text in out.split("\0"):
        if not text.strip():
            continue
        try:
            data = tomllib.loads(text)
            entries.append(
                ProjectEntry(
                    str(data["name"]),
                    str(data["url"]),
                    str(data.get("github", "")),
                    str(data.get("method", "mirror")),
                    str(data.get("created", "")),
                )
            )
        except (tomllib.TOMLDecodeError, KeyError):
            continue  # not ours: someone else's ref in the namespace
    return entries
