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


def _load(root: Path) -> ProjectSpec:
    from .init import load_project_spec

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
    return spec


def recorded_github(root: Path) -> tuple[str, str, str] | None:
    """(api_url, owner, name) recorded in .git/config by an earlier push to GitHub."""
    api = gitcli.git(["config", "--get", GIT_KEY_API], root, check=False).stdout.strip()
    full = gitcli.git(["config", "--get", GIT_KEY_REPO], root, check=False).stdout.strip()
    if api and "/" in full:
        owner, name = full.split("/", 1)
        return api, owner, name
    return None


def _record_github(root: Path, api_url: str, full_name: str) -> None:
    gitcli.git(["config", GIT_KEY_API, api_url], root)  # one after the other: git locks .git/config
    gitcli.git(["config", GIT_KEY_REPO, full_name], root)


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
    spec = _load(root)
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
        return _plan_github(
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


def _plan_github(
    root: Path, spec: ProjectSpec, *, token, owner, name, private, github_url, secrets, client, progress: Progress
) -> PushPlan:
    from ..github import preflight
    from ..github.client import GitHubClient
    from ..github.repo import read_environment, read_protection
    from ..github.secrets import SecretStore, validate

    for values in secrets.values():
        validate(values)
    if client is None:
        client = GitHubClient(token or "", github_url)
    progress.emit("preflight", "start", f"Checking the token and {owner}/{name} on {client.web_url}")
    user, repo_resp = client.parallel(
        [
            lambda: client.request("GET", "/user", what="reading the token's user"),
            lambda: client.request("GET", f"/repos/{owner}/{name}", accept=(200, 404), what=f"reading {owner}/{name}"),
        ]
    )
    ident = preflight.identity_from(user, owner, client.api_url)
    repo = repo_resp.data if repo_resp.status == 200 else None
    want_private = True if private is None else private
    preflight.check_owner(client, ident, repo_exists=repo is not None, private=want_private)
    if repo is not None:
        preflight.check_repo_rights(repo, ident.login)
        owner, name = repo["owner"]["login"], repo["name"]
    else:
        owner = ident.owner
    progress.emit(
        "preflight",
        "done",
        f"Token of {ident.login} ({ident.token_kind}"
        f"{': ' + ', '.join(ident.scopes) if ident.scopes else ''}); "
        f"{owner}/{name} {'exists' if repo else 'will be created'}",
    )
    notes = list(ident.notes)
    for n in notes:
        progress.info("preflight", n)
    mode = spec.secrets_mode
    protect = spec.branch_names[1:]
    branches: dict[str, BranchSecrets] = {}
    protection: dict[str, str] = {}
    repo_secret_names: list[str] | None = None
    if repo is None:
        updates = remote.compare_branches(root, spec.branch_names, {}, f"{owner}/{name}")
        for b in spec.branch_names:
            branches[b] = _branch_secrets(
                spec,
                b,
                "unknown" if mode == "environments" else "exists",
                "create" if mode == "environments" else "present",
                set(),
                secrets.get(b, {}),
            )
        # GitHub Free protects branches of public repositories only (docs: GitHub's plans)
        free_private = environments_expected(want_private, ident.plan) is False
        protection = dict.fromkeys(protect, "unavailable" if free_private else "create")
        if free_private:
            notes.append(
                f"GitHub Free protects branches of public repositories only: {', '.join(protect)} will "
                "not be protected (upgrade, or make the repository public)"
            )
        html_url = f"{client.web_url}/{owner}/{name}"
        clone_url = ""
        default_branch = None
    else:
        html_url, clone_url, default_branch = repo["html_url"], repo["clone_url"], repo.get("default_branch")
        if private is not None and bool(repo.get("private")) != private:
            notes.append(
                f"{owner}/{name} is {'private' if repo.get('private') else 'public'}; push does not change "
                "the visibility of an existing repository"
            )
        want_private = bool(repo.get("private"))
        progress.emit("github", "start", f"Reading {owner}/{name}: branches, environments, secrets, protection")
        env = client.git_auth_env(clone_url)
        tasks = [lambda: remote.ls_remote(root, clone_url, env)]
        if mode == "environments":
            tasks += [lambda b=b: read_environment(client, owner, name, b) for b in spec.branch_names]
            tasks += [lambda b=b: SecretStore(owner, name, b).list(client, missing_ok=True) for b in spec.branch_names]
        else:
            tasks.append(lambda: SecretStore(owner, name).list(client))
        tasks += [lambda b=b: read_protection(client, owner, name, b) for b in protect]
        results = client.parallel(tasks)
        heads = results.pop(0)
        updates = remote.compare_branches(root, spec.branch_names, heads, f"{owner}/{name}")
        if mode == "environments":
            n = len(spec.branch_names)
            envs, stores = results[:n], results[n : 2 * n]
            results = results[2 * n :]
            for b, st, names in zip(spec.branch_names, envs, stores, strict=True):
                policy = (
                    "present" if (st.custom_policies and b in st.patterns) else "kept" if st.user_policy else "create"
                )
                branches[b] = _branch_secrets(
                    spec, b, "exists" if st.exists else "create", policy, set(names or {}), secrets.get(b, {})
                )
        else:
            present = set(results.pop(0))
            repo_secret_names = sorted(present)
            for b in spec.branch_names:
                have = {n for n in _all_names(spec, b, secrets.get(b, {})) if spec.secret_name(b, n) in present}
                branches[b] = _branch_secrets(spec, b, "exists", "present", have, secrets.get(b, {}))
        for b, state in zip(protect, results, strict=True):
            protection[b] = {"present": "present", "absent": "create", "unavailable": "unavailable"}[state]
            if state == "unavailable":
                notes.append(
                    f"branch protection is not available for {owner}/{name} on its GitHub plan; {b} is "
                    "not protected (GitHub: upgrade, or make the repository public)"
                )
        progress.emit("github", "done", f"Read {owner}/{name}")
    gh = GitHubPlan(
        client.api_url,
        client.web_url,
        owner,
        name,
        ident.login,
        ident.token_kind,
        ident.scopes,
        ident.owner_type,
        repo is None,
        want_private,
        html_url,
        clone_url,
        default_branch,
        mode,
        branches,
        protection,
        repo_secret_names,
        notes,
        environments_expected(want_private, ident.plan),
        ident.plan,
    )
    origin = _origin_action(root, clone_url or f"{client.web_url}/{owner}/{name}.git", spec)
    plan = PushPlan(
        root,
        spec,
        "github",
        clone_url or f"{client.web_url}/{owner}/{name}.git",
        updates,
        origin,
        github=gh,
        _client=client,
        _values={b: dict(v) for b, v in secrets.items()},
    )
    if origin == "keep":
        plan.warnings.append(
            f"origin points to {remote.redact(remote.get_url(root) or '')}; pushing to GitHub by URL "
            "and leaving origin as it is"
        )
    return plan


def environments_expected(private: bool, plan_name: str | None) -> bool | None:
    """docs.github.com/actions/deployment/targeting-different-environments/using-environments-for-deployment:
    environments exist in public repositories on every plan, in private ones on Pro, Team and Enterprise."""
    if not private:
        return True
    if not plan_name:
        return None
    return plan_name.lower() != "free"


def _all_names(spec: ProjectSpec, branch: str, given: dict[str, str]) -> list[str]:
    names = list(spec.branches[branch].required_secrets())
    return names + [n for n in given if n not in names]


def _branch_secrets(
    spec: ProjectSpec, branch: str, environment: str, policy: str, present_names: set[str], given: dict[str, str]
) -> BranchSecrets:
    """``present_names``: the project's names found set on GitHub (GitHub compares them case-insensitively)."""
    required = spec.branches[branch].required_secrets()
    upper = {n.upper() for n in present_names}
    present = [n for n in _all_names(spec, branch, given) if n.upper() in upper]
    to_set = [n for n in given if n not in present]
    already = [n for n in given if n in present]
    missing = [n for n in required if n not in present and n not in given]
    return BranchSecrets(branch, environment, policy, required, present, to_set, missing, already)


# ---------------------------------------------------------------- apply


def apply_push(plan: PushPlan, progress: Progress | None = None) -> PushResult:
    progress = progress or null_progress()
    if plan.target == "github":
        return _apply_github(plan, progress)
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


def _apply_github(plan: PushPlan, progress: Progress) -> PushResult:
    from ..github import repo as gh_repo
    from ..github.secrets import SecretStore

    gh, spec, client, root = plan.github, plan.spec, plan._client, plan.root
    warnings = list(plan.warnings)
    created = False
    if gh.create:
        progress.emit("repository", "start", f"Creating {gh.full_name}")
        data, created = gh_repo.create_repo(
            client,
            gh.owner,
            gh.name,
            user_owned=gh.owner_type == "User",
            private=gh.private,
            description=spec.description,
        )
        if not created:  # our earlier, retried request made it: it must still be empty
            if remote.ls_remote(root, data["clone_url"], client.git_auth_env(data["clone_url"])):
                raise Conflict(
                    f"{gh.full_name} appeared while push was creating it, and it has branches; "
                    "nothing was pushed. Run push again to check whether it is this project's."
                )
        gh.html_url, gh.clone_url, gh.default_branch = data["html_url"], data["clone_url"], data.get("default_branch")
        plan.remote_url = gh.clone_url
        plan.origin = _origin_action(root, gh.clone_url, spec)
        progress.emit(
            "repository",
            "done",
            f"Created {'private' if gh.private else 'public'} repository {gh.full_name}",
            link=gh.html_url,
        )
        gh.create = False
    else:
        progress.emit("repository", "skip", f"Using {gh.full_name}", link=gh.html_url)
    progress.check_cancelled()

    # Decide the secrets mode before anything is pushed, so the remote gets one history (and CI never
    # runs with names that do not exist). Where GitHub's plan rules settle it, the environments are made
    # alongside the push; where the plan is not shown, making them first is the probe.
    mode_changed = False
    environments: list[str] = []
    todo = [b for b, st in gh.branches.items() if st.environment != "exists"]
    todo = todo if gh.secrets_mode == "environments" else []
    deferred: list[str] = []

    def fall_back(reason: str) -> bool:
        progress.emit(
            "environments",
            "warn",
            f"GitHub has no environments for {gh.full_name} ({reason}); "
            "using branch-prefixed repository secrets instead",
        )
        return _switch_mode(plan, "repository", progress, warnings)

    def create_environments(names: list[str]) -> str | None:
        """None when made; else why GitHub has none for this repository."""
        progress.emit("environments", "start", f"Creating environments {', '.join(names)}")
        answers = client.parallel([lambda b=b: gh_repo.put_environment(client, gh.owner, gh.name, b) for b in names])
        refused = [(b, r) for b, r in zip(names, answers, strict=True) if r.status != 200]
        unavailable = [b for b, r in refused if gh_repo.environment_unavailable(r)]
        if refused and len(unavailable) < len(refused):
            b, r = next((b, r) for b, r in refused if b not in unavailable)
            raise client.error("PUT", "", r.status, r.headers, r.data, f"creating environment {b}")
        if unavailable:
            return f"answered {refused[0][1].status}; private repositories need GitHub Pro, Team or Enterprise"
        for b in names:
            gh.branches[b].environment = "exists"
            environments.append(b)
        progress.emit("environments", "done", f"Created environments {', '.join(names)}")
        return None

    if todo and gh.environments_expected is False:
        mode_changed = fall_back(
            f"private, and the owner's plan is {gh.plan_name}: environments in private "
            "repositories need GitHub Pro, Team or Enterprise"
        )
    elif todo and gh.environments_expected is None:
        reason = create_environments(todo)
        if reason:
            mode_changed = fall_back(reason)
    else:
        deferred = todo
    progress.check_cancelled()

    env = client.git_auth_env(gh.clone_url)
    result_secrets: dict[str, list[str]] = {}
    protected: list[str] = []

    def git_flow() -> list[str]:
        pushed = _push_branches(plan, progress, gh.clone_url, env)
        # the default branch and the protections need the pushed branches, not each other
        todo = [b for b, p in gh.protection.items() if p == "create"]
        tasks = [lambda b=b: protect(b) for b in todo]
        if plan.origin != "keep":  # later commands (status, secrets, push) find the repository from here
            tasks.append(lambda: _record_github(root, gh.api_url, gh.full_name))
        if gh.default_branch != spec.default_branch:
            tasks.append(default_branch)
        client.parallel(tasks)
        return pushed

    def default_branch() -> None:
        gh_repo.set_default_branch(client, gh.owner, gh.name, spec.default_branch)
        gh.default_branch = spec.default_branch
        progress.emit("default-branch", "done", f"Default branch: {spec.default_branch}")

    def protect(branch: str) -> None:
        if gh_repo.protect(client, gh.owner, gh.name, branch) == "done":
            gh.protection[branch] = "present"
            protected.append(branch)
            progress.emit(f"protection:{branch}", "done", f"Protected {branch}: pull request required")
            return
        gh.protection[branch] = "unavailable"
        unprotected(branch)

    def unprotected(branch: str) -> None:
        msg = (
            f"{branch} is not protected: GitHub's plan for {gh.full_name} has no branch protection "
            "(upgrade, or make the repository public)"
        )
        warnings.append(msg)
        progress.emit(f"protection:{branch}", "warn", msg)

    def policy(branch: str) -> None:
        s = gh.branches[branch]
        if s.environment == "exists" and branch not in environments:
            gh_repo.put_environment(client, gh.owner, gh.name, branch)  # it had no branch rule: add ours
        gh_repo.add_branch_policy(client, gh.owner, gh.name, branch, branch)
        s.policy = "present"
        progress.emit(f"environment:{branch}", "done", f"Environment {branch}: deployments from {branch} only")

    def secrets(branch: str) -> None:
        values = {n: plan._values[branch][n] for n in gh.branches[branch].to_set}
        done = SecretStore(gh.owner, gh.name, branch).put_all(client, values)
        _secrets_done(plan, branch, list(done), result_secrets, progress)

    def repo_secrets_flow() -> None:
        values = {}
        for b, s in gh.branches.items():
            values.update({spec.secret_name(b, n): plan._values[b][n] for n in s.to_set})
        SecretStore(gh.owner, gh.name).put_all(client, values)
        for b, s in gh.branches.items():
            _secrets_done(plan, b, list(s.to_set), result_secrets, progress)

    def environment_tasks() -> list:
        # an environment's branch rule and its secrets are independent of each other
        return [lambda b=b: policy(b) for b, st in gh.branches.items() if st.policy == "create"] + [
            lambda b=b: secrets(b) for b, st in gh.branches.items() if st.to_set
        ]

    def deferred_flow() -> str | None:
        reason = create_environments(deferred)
        if reason is None:
            client.parallel(environment_tasks())
        return reason

    for b, p in gh.protection.items():
        if p == "unavailable":
            unprotected(b)
    flows = [git_flow]
    if deferred:
        flows.append(deferred_flow)
    elif spec.secrets_mode == "environments":
        flows += environment_tasks()
    else:
        flows.append(repo_secrets_flow)
    results = client.parallel(flows)
    pushed = results[0]
    if deferred and results[1]:
        # GitHub contradicted its plan's rules: record the mode now, on top of what was pushed
        mode_changed = fall_back(results[1])
        pushed = sorted(set(pushed) | set(_push_branches(plan, progress, gh.clone_url, env)))
        repo_secrets_flow()
    missing = {b: list(s.missing) for b, s in gh.branches.items() if s.missing}
    for b, names in missing.items():
        warnings.append(
            f"{b}: secret{'s' if len(names) > 1 else ''} {', '.join(names)} not set; CI on {b} needs "
            f"{'them' if len(names) > 1 else 'it'}: jupyter mlops secrets set {names[0]} --env {b}"
        )
    progress.emit("push", "done", f"{gh.full_name} is ready (secrets mode: {spec.secrets_mode})", link=gh.html_url)
    return PushResult(
        "github",
        gh.clone_url,
        gh.html_url,
        pushed,
        spec.secrets_mode,
        mode_changed,
        created,
        environments,
        result_secrets,
        missing,
        protected,
        warnings,
        client.calls,
    )


def _secrets_done(plan: PushPlan, branch: str, names: list[str], out: dict[str, list[str]], progress: Progress) -> None:
    s = plan.github.branches[branch]
    for n in names:
        s.present.append(n)
    s.to_set = []
    if names:
        out[branch] = names
        shown = ", ".join(plan.spec.secret_name(branch, n) for n in names)
        progress.emit(f"secrets:{branch}", "done", f"Set {shown} for {branch} (sealed for GitHub)")


def _switch_mode(plan: PushPlan, mode: str, progress: Progress, warnings: list[str]) -> bool:
    """Record the new mode on every branch (one commit each, before the push) and replan the secrets."""
    from ..branchedit import commit_on_branches
    from ..github.secrets import SecretStore
    from ..secrets_mode import mode_change_edits

    gh, spec, root = plan.github, plan.spec, plan.root
    edits, notes = mode_change_edits(root, spec.branch_names, mode)
    warnings += notes
    if edits:
        reason = "GitHub has no environments for this repository; CI reads branch-prefixed repository secrets"
        commit_on_branches(root, edits, MODE_COMMIT.format(mode=mode, reason=reason))
        heads = {u.branch: u.remote for u in plan.updates}
        plan.updates = remote.compare_branches(
            root, spec.branch_names, {b: r for b, r in heads.items() if r}, gh.full_name
        )
        progress.emit(
            "secrets-mode",
            "done",
            f"Recorded secrets_mode = {mode!r} in mlops.toml on {', '.join(edits)} (one commit each, before pushing)",
        )
    spec.secrets_mode = gh.secrets_mode = mode
    present = set(SecretStore(gh.owner, gh.name).list(plan._client) or {})
    gh.repo_secrets = sorted(present)
    for b in gh.branches:
        given = plan._values.get(b, {})
        have = {n for n in _all_names(spec, b, given) if spec.secret_name(b, n) in present}
        gh.branches[b] = _branch_secrets(spec, b, "exists", "present", have, given)
    return bool(edits)
