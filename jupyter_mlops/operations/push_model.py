"""What push plans and returns, and the git steps its targets share (GitHub and plain git remotes).

``push.py`` (any git remote) and ``push_github.py`` (GitHub's API) both build on this module, so neither
imports the other's private helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import payloads
from .._types import EnvironmentState, OriginAction, PolicyState, ProtectionState, PushTarget, SecretsMode
from ..github.client import GitHubClient
from ..github.secrets import validate
from ..progress import Progress
from ..settings.spec import ProjectSpec
from ..vcs import remote
from ..vcs.remote import BranchUpdate

MODE_COMMIT = "Record secrets mode {mode!r}: {reason}"
GIT_KEY_API = "mlops.githubApi"
GIT_KEY_REPO = "mlops.githubRepo"


@dataclass
class BranchSecrets:
    """One branch's CI credentials on GitHub (names as the project knows them, e.g. KFP_TOKEN)."""

    branch: str
    environment: EnvironmentState
    policy: PolicyState
    required: list[str]
    present: list[str]
    to_set: list[str]
    missing: list[str]
    already_set: list[str] = field(default_factory=list)  # given, but present: push does not overwrite

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class GitHubPlan:
    api_url: str
    web_url: str
    owner: str
    name: str
    login: str
    token_kind: str
    scopes: list[str] | None
    owner_type: str
    create: bool
    private: bool
    html_url: str
    clone_url: str
    default_branch: str | None
    secrets_mode: SecretsMode
    branches: dict[str, BranchSecrets]
    protection: dict[str, ProtectionState]  # branch -> its state
    repo_secrets: list[str] | None = None  # names present as repository secrets (repository mode)
    notes: list[str] = field(default_factory=list)
    # Whether GitHub's documented plan rules settle the environments question: True (public repository,
    # or a paid plan), False (private on GitHub Free), None (plan not shown: creating them is the probe).
    environments_expected: bool | None = None
    plan_name: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "branches"}
        out["branches"] = {b: s.to_dict() for b, s in self.branches.items()}
        return out


@dataclass
class PushPlan:
    root: Path
    spec: ProjectSpec
    target: PushTarget
    remote_url: str
    updates: list[BranchUpdate]
    origin: OriginAction  # what happens to `origin`
    create_bare: bool = False
    github: GitHubPlan | None = None
    warnings: list[str] = field(default_factory=list)
    _client: GitHubClient | None = field(default=None, repr=False, compare=False)
    _values: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------ what it will do

    @property
    def github_plan(self) -> GitHubPlan:
        """The GitHub part, for steps that run only when the target is GitHub."""
        if self.github is None:
            raise TypeError(f"a push to {self.target} has no GitHub plan")
        return self.github

    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            raise TypeError(f"a push to {self.target} has no GitHub client")
        return self._client

    @property
    def branches_to_push(self) -> list[BranchUpdate]:
        return [u for u in self.updates if u.action != "up-to-date"]

    @property
    def nothing_to_do(self) -> bool:
        if self.branches_to_push or self.create_bare or self.origin in ("add", "update"):
            return False
        gh = self.github
        if gh is None:
            return True
        return not (
            gh.create
            or gh.default_branch != self.spec.default_branch
            or any(s.environment != "exists" or s.policy == "create" or s.to_set for s in gh.branches.values())
            or any(p == "create" for p in gh.protection.values())
        )

    def provide_secrets(self, branch: str, values: dict[str, str]) -> None:
        """Add values (e.g. typed at a prompt) for names the plan found missing."""

        validate(values)
        s = self.github_plan.branches[branch]
        for name, value in values.items():
            self._values.setdefault(branch, {})[name] = value
            if name in s.present:
                s.already_set.append(name)
                continue
            if name not in s.to_set:
                s.to_set.append(name)
            if name in s.missing:
                s.missing.remove(name)

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "name": self.spec.name,
            "target": self.target,
            "remote_url": self.remote_url,
            "create_bare": self.create_bare,
            "origin": self.origin,
            "branches": [u.to_dict() for u in self.updates],
            "github": self.github.to_dict() if self.github else None,
            "warnings": self.warnings,
            "nothing_to_do": self.nothing_to_do,
        }

    def describe(self) -> list[str]:
        where = {"github": "GitHub", "embedded": "the embedded default remote", "git": "git remote"}[self.target]
        lines = [f"Plan: push {self.spec.name} to {where} {self.remote_url}"]
        if self.nothing_to_do:
            lines.append("  nothing to do: the remote is up to date")
        if self.create_bare:
            lines.append(f"  create bare repository {self.remote_url}")
        gh = self.github
        if gh:
            lines.append(
                f"  token: {gh.login} ({gh.token_kind}{', scopes ' + ', '.join(gh.scopes) if gh.scopes else ''})"
            )
            if gh.create:
                lines.append(f"  create {'private' if gh.private else 'public'} repository {gh.full_name}")
            else:
                lines.append(f"  reuse repository {gh.full_name}")
        for u in self.updates:
            lines.append(
                f"  branch  {u.branch}: {u.action}" + (f" ({u.local[:8]})" if u.action != "up-to-date" else "")
            )
        if gh:
            if gh.default_branch != self.spec.default_branch:
                lines.append(f"  default branch -> {self.spec.default_branch}")
            creating = [b for b, s in gh.branches.items() if s.environment != "exists"]
            if gh.secrets_mode == "environments" and creating and gh.environments_expected is False:
                lines.append(
                    f"  secrets mode -> repository: {gh.full_name} is private and the {gh.plan_name} plan has no "
                    "environments; secrets become STAGING_NAME repository secrets, recorded in mlops.toml "
                    "(one commit on every branch, before pushing)"
                )
            elif gh.secrets_mode == "environments":
                for b, s in gh.branches.items():
                    if s.environment != "exists":
                        note = (
                            " (if GitHub has no environments here, repository secrets instead)"
                            if gh.environments_expected is None
                            else ""
                        )
                        lines.append(f"  environment {b}: create, deployments from branch {b} only{note}")
                    elif s.policy == "create":
                        lines.append(f"  environment {b}: limit deployments to branch {b}")
            for b, s in gh.branches.items():
                for n in s.to_set:
                    lines.append(f"  secret  {n} for {b}: set (sealed for GitHub)")
                for n in s.missing:
                    lines.append(
                        f"  secret  {n} for {b}: not given (set it later: jupyter mlops secrets set {n} --env {b})"
                    )
                for n in s.already_set:
                    lines.append(f"  secret  {n} for {b}: already set; kept (secrets set replaces it)")
            for b, p in gh.protection.items():
                if p == "create":
                    lines.append(f"  protect {b}: pull request required")
            lines += [f"  note: {n}" for n in gh.notes]
        if self.origin in ("add", "update"):
            lines.append(f"  git remote origin -> {self.remote_url}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines


@dataclass
class PushResult:
    target: PushTarget
    remote_url: str
    repo_url: str | None
    pushed: list[str]
    secrets_mode: SecretsMode
    mode_changed: bool
    created_repository: bool
    environments: list[str]
    secrets_set: dict[str, list[str]]
    secrets_missing: dict[str, list[str]]
    protected: list[str]
    warnings: list[str]
    api_calls: int

    def to_dict(self) -> payloads.PushResult:
        return {
            "target": self.target,
            "remote_url": self.remote_url,
            "repo_url": self.repo_url,
            "pushed": self.pushed,
            "secrets_mode": self.secrets_mode,
            "mode_changed": self.mode_changed,
            "created_repository": self.created_repository,
            "environments": self.environments,
            "secrets_set": self.secrets_set,
            "secrets_missing": self.secrets_missing,
            "protected": self.protected,
            "warnings": self.warnings,
            "api_calls": self.api_calls,
        }


def origin_action(root: Path, url: str, spec: ProjectSpec) -> OriginAction:
    """add | unchanged | update (origin was the embedded default: the project moves on) | keep (yours)."""
    current = remote.get_url(root)
    if current is None:
        return "add"
    if current == url:
        return "unchanged"
    return "update" if current == str(remote.embedded_remote_path(spec.name)) else "keep"


def push_branches(plan: PushPlan, progress: Progress, url: str, env: dict | None) -> list[str]:
    """Point origin at the remote when it is ours to set, then one atomic push; tracking refs follow."""
    root = plan.root
    if plan.origin in ("add", "update"):
        remote.set_origin(root, url)
    via_origin = plan.origin != "keep"
    todo = plan.branches_to_push
    if not todo:
        progress.emit(
            "git-push", "skip", f"Branches already on {remote.redact(url)}: {', '.join(u.branch for u in plan.updates)}"
        )
        return []
    names = ", ".join(u.branch for u in todo)
    progress.emit("git-push", "start", f"Pushing {names} to {remote.redact(url)}")
    remote.push(root, remote.ORIGIN if via_origin else url, todo, env, set_upstream=via_origin)
    for u in todo:
        u.remote, u.action = u.local, "up-to-date"
    progress.emit("git-push", "done", f"Pushed {names} to {remote.redact(url)}")
    return [u.branch for u in todo]
