"""status: what the project is and where it stands, from local git and mlops.toml only (no network).

Branches with their last commit and how they compare with the remote's last known state (the
remote-tracking refs push updates), the remote (GitHub, the embedded default or another git URL),
the secrets mode and which secret names each branch's CI reads. Cheap enough for a launcher tile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import payloads
from .._types import RemoteKind, SecretsMode, SpecKind
from ..github.client import web_url
from ..vcs import gitcli, remote
from .push import recorded_github, require_project


@dataclass
class BranchStatus:
    name: str
    exists: bool
    commit: str | None = None
    subject: str = ""
    author: str = ""
    date: str = ""  # ISO 8601 committer date
    remote: str = "unknown"  # in sync | ahead N | behind N | diverged | not pushed | no remote
    current: bool = False
    environment: str | None = None  # the GitHub Environment its CI uses (environments mode)
    secrets: list[str] = field(default_factory=list)  # names its CI needs
    # Names its CI passes on when set (an MLflow server with login); whether they are set is GitHub's to say
    # (`jupyter mlops secrets list`), and status stays offline.
    optional_secrets: list[str] = field(default_factory=list)

    def to_dict(self) -> payloads.StatusBranch:
        return {
            "name": self.name,
            "exists": self.exists,
            "commit": self.commit,
            "subject": self.subject,
            "author": self.author,
            "date": self.date,
            "remote": self.remote,
            "current": self.current,
            "environment": self.environment,
            "secrets": self.secrets,
            "optional_secrets": self.optional_secrets,
        }


@dataclass
class RemoteStatus:
    kind: RemoteKind
    url: str | None
    repository: str | None = None  # owner/name on GitHub
    web_url: str | None = None
    api_url: str | None = None

    def to_dict(self) -> payloads.StatusRemote:
        return {
            "kind": self.kind,
            "url": self.url,
            "repository": self.repository,
            "web_url": self.web_url,
            "api_url": self.api_url,
        }


@dataclass
class StatusResult:
    root: str
    name: str
    kind: SpecKind
    template_version: str
    default_branch: str
    current_branch: str | None
    secrets_mode: SecretsMode
    branches: list[BranchStatus]
    remote: RemoteStatus
    uncommitted: list[str]

    def to_dict(self) -> payloads.StatusLocal:
        return {"root": self.root, **self.fields()}

    def fields(self) -> payloads.StatusFields:
        """The status without its folder: the CLI adds the absolute path, REST the one relative to its root."""
        return {
            "name": self.name,
            "kind": self.kind,
            "template_version": self.template_version,
            "default_branch": self.default_branch,
            "current_branch": self.current_branch,
            "secrets_mode": self.secrets_mode,
            "branches": [b.to_dict() for b in self.branches],
            "remote": self.remote.to_dict(),
            "uncommitted": self.uncommitted,
        }

    def describe(self) -> list[str]:
        r = self.remote
        where = {
            "github": f"GitHub {r.repository} ({r.web_url})",
            "embedded": f"embedded default {r.url}",
            "git": f"git remote {r.url}",
            "none": "no remote yet (jupyter mlops push)",
        }[r.kind]
        lines = [
            f"{self.name} ({self.kind}) in {self.root}",
            f"  remote: {where}",
            f"  secrets mode: {self.secrets_mode}",
        ]
        for b in self.branches:
            mark = "*" if b.current else " "
            if not b.exists:
                lines.append(f" {mark}{b.name:<12} missing (jupyter mlops init recreates it)")
                continue
            commit, date, subject = b.commit or "", b.date or "", b.subject or ""
            lines.append(f" {mark}{b.name:<12} {commit[:8]} {date[:10]} {subject[:50]}  [{b.remote}]")
            scope = f"environment {b.environment}" if b.environment else "repository secrets"
            if b.secrets:
                lines.append(f"  {'':<12} CI secrets ({scope}): {', '.join(b.secrets)}")
            if b.optional_secrets:
                lines.append(f"  {'':<12} optional CI secrets ({scope}): {', '.join(b.optional_secrets)}")
        if any(b.optional_secrets for b in self.branches):
            lines.append(
                "  optional secrets are passed on only when set (an MLflow server with login needs them); "
                "which are set on GitHub: jupyter mlops secrets list"
            )
        if self.uncommitted:
            lines.append(
                f"  {len(self.uncommitted)} uncommitted change(s): {', '.join(self.uncommitted[:5])}"
                + (" …" if len(self.uncommitted) > 5 else "")
            )
        return lines


def project_status(root: Path | str) -> StatusResult:
    root = Path(root).absolute()
    spec = require_project(root)
    origin = remote.get_url(root)
    recorded = recorded_github(root)
    if recorded:
        api, owner, name = recorded
        rs = RemoteStatus("github", origin, f"{owner}/{name}", f"{web_url(api)}/{owner}/{name}", api)
    elif origin and origin == str(remote.embedded_remote_path(spec.name)):
        rs = RemoteStatus("embedded", origin)
    elif origin:
        rs = RemoteStatus("git", remote.redact(origin))
    else:
        rs = RemoteStatus("none", None)
    fmt = "%(refname:short)%00%(objectname)%00%(subject)%00%(authorname)%00%(committerdate:iso-strict)"
    out = gitcli.git(["for-each-ref", f"--format={fmt}", "refs/heads/", "refs/remotes/origin/"], root).stdout
    local, tracking = {}, {}
    for line in out.splitlines():
        ref, sha, subject, author, date = line.split("\0")
        if ref.startswith("origin/"):
            tracking[ref[len("origin/") :]] = sha
        else:
            local[ref] = (sha, subject, author, date)
    current = gitcli.head_branch(root)
    branches = []
    for b in spec.branch_names:
        st = BranchStatus(b, b in local, current=b == current)
        st.environment = b if spec.secrets_mode == "environments" else None
        st.secrets = [spec.secret_name(b, n) for n in spec.branches[b].required_secrets()]
        st.optional_secrets = [spec.secret_name(b, n) for n in spec.branches[b].optional_secrets()]
        if st.exists:
            st.commit, st.subject, st.author, st.date = local[b]
            st.remote = _compare(root, st.commit, tracking.get(b), rs.kind)
        branches.append(st)
    porcelain = gitcli.git(["status", "--porcelain"], root).stdout
    uncommitted = [line[3:] for line in porcelain.splitlines() if line.strip()]
    return StatusResult(
        str(root),
        spec.name,
        spec.kind,
        spec.template_version,
        spec.default_branch,
        current,
        spec.secrets_mode,
        branches,
        rs,
        uncommitted,
    )


def _compare(root: Path, local: str, tracked: str | None, kind: str) -> str:
    if kind == "none":
        return "no remote"
    if tracked is None:
        return "not pushed"
    if tracked == local:
        return "in sync"
    counts = gitcli.git(["rev-list", "--left-right", "--count", f"{local}...{tracked}"], root).stdout.split()
    ahead, behind = int(counts[0]), int(counts[1])
    if ahead and behind:
        return f"diverged ({ahead} ahead, {behind} behind)"
    return f"ahead {ahead}" if ahead else f"behind {behind}"
