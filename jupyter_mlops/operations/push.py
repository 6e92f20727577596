"""push: the project's branches to their remote, and on GitHub the repository's CI wiring.

Targets, in this order:
- ``remote``: any git URL or path (GitLab, a bare repository…); git's own credentials apply;
- GitHub, when an owner is known (``owner``, ``mlops.toml``'s owner, or a previous push recorded in
  .git/config): create or reuse the repository, push the branches in one atomic push, make the first
  branch the default, create one environment per branch limited to that branch, set the secrets
  given (sealed client-side), protect the other branches (pull request required);
- ``origin`` when the repository already has one;
- the embedded default: a bare repository under the user's data folder, created on first use.

Plan, then apply. The plan only reads (and refuses before any write: missing token scopes, an owner
you cannot create in, a repository with unrelated history). Applying is idempotent and resumable:
every step first looks at what is there, so a second run with nothing changed writes nothing, and a
run after a failure finishes the job.

Secrets mode: where a fresh repository cannot have environments (private repositories on GitHub
Free), push falls back to branch-prefixed repository secrets, records ``secrets_mode = "repository"``
in mlops.toml and re-renders the org-owned files that depend on it — committed on every branch
*before* the branches are pushed, so the remote gets one history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import gitcli, remote
from ..errors import Conflict, InvalidInput
from ..progress import Progress, null_progress
from ..remote import BranchUpdate
from ..spec import ProjectSpec, check_owner, check_repo_name

MODE_COMMIT = "Record secrets mode {mode!r}: {reason}"
GIT_KEY_API = "mlops.githubApi"
GIT_KEY_REPO = "mlops.githubRepo"


@dataclass
class BranchSecrets:
    """One branch's CI credentials on GitHub (names as the project knows them, e.g. KFP_TOKEN)."""

    branch: str
    environment: str  # "exists" | "create" | "unknown" (the repository is created by this push)
    policy: str  # "present" | "create" | "kept" (the environment has a rule the user chose)
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
    secrets_mode: str
    branches: dict[str, BranchSecrets]
    protection: dict[str, str]  # branch -> present | create | unavailable
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
    target: str  # github | embedded | git
    remote_url: str
    updates: list[BranchUpdate]
    origin: str  # what happens to `origin`: add | update | unchanged | keep (points elsewhere; push by URL)
    create_bare: bool = False
    github: GitHubPlan | None = None
    warnings: list[str] = field(default_factory=list)
    _client: object = field(default=None, repr=False, compare=False)
    _values: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------ what it will do

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
        from ..github.secrets import validate

        validate(values)
        s = self.github.branches[branch]
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
    target: str
    remote_url: str
    repo_url: str | None
    pushed: list[str]
    secrets_mode: str
    mode_changed: bool
    created_repository: bool
    environments: list[str]
    secrets_set: dict[str, list[str]]
    secrets_missing: dict[str, list[str]]
    protected: list[str]
    warnings: list[str]
    api_calls: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# ---------------------------------------------------------------- plan


def require_project(root: Path) -> ProjectSpec:
    """The project in ``root`` (its mlops.toml and git history, with each branch's platform settings as its
    files in the work tree say), or an error saying what to run first."""
    from .init import apply_branch_files, load_project_spec

    if not root.is_dir():
        raise InvalidInput(f"{root} is not a folder; give the project folder (created by jupyter mlops init)")
    spec = load_project_spec(root)
    if spec is None:
        raise InvalidInput(
            f"{root} is not a jupyter-mlops project (no mlops.toml). Run `jupyter mlops init` there "
            "first, or give the project's folder."
        )
    if not gitcli.is_repo(root) or not gitcli.has_commits(root):
        raise Conflict(f"{root} has no git history yet; run `jupyter mlops init` there to commit the project.")
    return apply_branch_files(root, spec)


def recorded_github(root: Path) -> tuple[str, str, str] | None:
    """(api_url, owner, name) recorded in .git/config by an earlier push to GitHub."""
    api = gitcli.git(["config", "--get", GIT_KEY_API], root, check=False).stdout.strip()
    full = gitcli.git(["config", "--get", GIT_KEY_REPO], root, check=False).stdout.strip()
    if api and "/" in full:
        owner, name = full.split("/", 1)
        return api, owner, name
    return None


def plan_push(
    root: Path | str,
    *,
    token: str | None = None,
    owner: str | None = None,
    private: bool | None = None,
    github_url: str | None = None,
    remote_url: str | None = None,
    secrets: dict[str, dict[str, str]] | None = None,
    client=None,
    progress: Progress | None = None,
) -> PushPlan:
    """Read-only: what push would do. ``secrets``: branch → {NAME: value} to set where not set yet."""
    progress = progress or null_progress()
    root = Path(root).absolute()
    spec = require_project(root)
    if owner and (msg := check_owner(owner)):
        raise InvalidInput(f"--owner: {msg}")
    if msg := check_repo_name(spec.name):
        raise InvalidInput(f"mlops.toml name: {msg}")
    if remote_url and owner:
        raise InvalidInput("Give either --owner (GitHub) or --remote (any git URL), not both")
    secrets = {b: dict(v) for b, v in (secrets or {}).items() if v}
    unknown = [b for b in secrets if b not in spec.branches]
    if unknown:
        raise InvalidInput(
            f"Secrets given for branches the project does not have: {', '.join(unknown)}; "
            f"the branches are {', '.join(spec.branch_names)}"
        )
    if remote_url:
        url = remote.check_remote_url(remote_url)
        return _plan_git(root, spec, "git", url, create_bare=False, progress=progress, secrets=secrets)
    recorded = recorded_github(root)
    gh_owner = owner or spec.owner
    name = spec.name
    api = github_url
    if not gh_owner and recorded:
        api = github_url or recorded[0]
        gh_owner, name = recorded[1], recorded[2]
    if gh_owner:
        from .push_github import plan_github

        return plan_github(
            root,
            spec,
            token=token,
            owner=gh_owner,
            name=name,
            private=private,
            github_url=api,
            secrets=secrets,
            client=client,
            progress=progress,
        )
    origin = remote.get_url(root)
    if origin:
        return _plan_git(root, spec, "git", origin, create_bare=False, progress=progress, secrets=secrets)
    bare = remote.embedded_remote_path(spec.name)
    return _plan_git(
        root, spec, "embedded", str(bare), create_bare=not (bare / "HEAD").is_file(), progress=progress, secrets=secrets
    )


def _origin_action(root: Path, url: str, spec: ProjectSpec) -> str:
    """add | unchanged | update (origin was the embedded default: the project moves on) | keep (yours)."""
    current = remote.get_url(root)
    if current is None:
        return "add"
    if current == url:
        return "unchanged"
    return "update" if current == str(remote.embedded_remote_path(spec.name)) else "keep"


def _plan_git(
    root: Path, spec: ProjectSpec, target: str, url: str, *, create_bare: bool, progress: Progress, secrets: dict
) -> PushPlan:
    heads = {}
    if not create_bare:
        progress.emit("remote", "start", f"Reading the branches of {remote.redact(url)}")
        heads = remote.ls_remote(root, url)
        progress.emit("remote", "done", f"Read {remote.redact(url)} ({len(heads)} branches there)")
    updates = remote.compare_branches(root, spec.branch_names, heads, remote.redact(url))
    warnings = []
    if secrets:
        warnings.append(
            "secrets were given, but this remote is not GitHub: they were not sent anywhere "
            "(push to GitHub with --owner to set them)"
        )
    origin = _origin_action(root, url, spec)
    if origin == "keep":
        warnings.append(
            f"origin points to {remote.redact(remote.get_url(root) or '')}; pushing to {remote.redact(url)} "
            "by URL and leaving origin as it is"
        )
    return PushPlan(root, spec, target, url, updates, origin, create_bare=create_bare, warnings=warnings)


def apply_push(plan: PushPlan, progress: Progress | None = None) -> PushResult:
    progress = progress or null_progress()
    if plan.target == "github":
        from .push_github import apply_github

        return apply_github(plan, progress)
    return _apply_git(plan, progress)


def _apply_git(plan: PushPlan, progress: Progress) -> PushResult:
    url = plan.remote_url
    if plan.create_bare:
        remote.ensure_bare(Path(url), plan.spec.default_branch)
        progress.emit("remote", "done", f"Created the bare repository {url}", link=url)
    progress.check_cancelled()
    pushed = _push_branches(plan, progress, url, env=None)
    if plan.target == "embedded":
        remote.set_bare_head(Path(url), plan.spec.default_branch)
    return PushResult(
        plan.target, url, None, pushed, plan.spec.secrets_mode, False, False, [], {}, {}, [], list(plan.warnings), 0
    )


def _push_branches(plan: PushPlan, progress: Progress, url: str, env: dict | None) -> list[str]:
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
