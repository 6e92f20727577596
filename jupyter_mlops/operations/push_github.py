"""push, the GitHub part: plan (preflight, what exists) and apply (repository, environments, secrets,
protection), with the secrets-mode decision made before the branches are pushed.

See ``operations/push.py`` for the rules; this module holds what only GitHub targets need.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .._types import EnvironmentState, PolicyState, ProtectionState, SecretsMode
from ..errors import Conflict
from ..github import preflight
from ..github import repo as gh_repo
from ..github.client import GitHubClient
from ..github.secrets import SecretStore, validate
from ..github.secrets_mode import mode_change_edits
from ..progress import Progress
from ..settings.spec import ProjectSpec
from ..vcs import gitcli, remote
from ..vcs.branchedit import commit_on_branches
from .push_model import (
    GIT_KEY_API,
    GIT_KEY_REPO,
    MODE_COMMIT,
    BranchSecrets,
    GitHubPlan,
    PushPlan,
    PushResult,
    origin_action,
    push_branches,
)

# read_protection's answer -> what the plan does about it
_PROTECTION: dict[str, ProtectionState] = {"present": "present", "absent": "create", "unavailable": "unavailable"}


def _record_github(root: Path, api_url: str, full_name: str) -> None:
    gitcli.git(["config", GIT_KEY_API, api_url], root)  # one after the other: git locks .git/config
    gitcli.git(["config", GIT_KEY_REPO, full_name], root)


def plan_github(
    root: Path,
    spec: ProjectSpec,
    *,
    token: str | None,
    owner: str,
    name: str,
    private: bool | None,
    github_url: str | None,
    secrets: dict[str, dict[str, str]],
    client: GitHubClient | None,
    progress: Progress,
) -> PushPlan:
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
    protection: dict[str, ProtectionState] = {}
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
        # one batch of reads of different kinds: the results are taken apart by position below
        tasks: list[Callable[[], Any]] = [lambda: remote.ls_remote(root, clone_url, env)]
        if mode == "environments":
            tasks += [partial(gh_repo.read_environment, client, owner, name, b) for b in spec.branch_names]
            tasks += [partial(SecretStore(owner, name, b).list, client, missing_ok=True) for b in spec.branch_names]
        else:
            tasks.append(lambda: SecretStore(owner, name).list(client))
        tasks += [partial(gh_repo.read_protection, client, owner, name, b) for b in protect]
        results = client.parallel(tasks)
        heads = results.pop(0)
        updates = remote.compare_branches(root, spec.branch_names, heads, f"{owner}/{name}")
        if mode == "environments":
            count = len(spec.branch_names)
            envs, stores = results[:count], results[count : 2 * count]
            results = results[2 * count :]
            for b, st, names in zip(spec.branch_names, envs, stores, strict=True):
                policy: PolicyState = (
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
            protection[b] = _PROTECTION[state]
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
    origin = origin_action(root, clone_url or f"{client.web_url}/{owner}/{name}.git", spec)
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
    names = spec.branches[branch].secret_names()
    return names + [n for n in given if n not in names]


def _branch_secrets(
    spec: ProjectSpec,
    branch: str,
    environment: EnvironmentState,
    policy: PolicyState,
    present_names: set[str],
    given: dict[str, str],
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


def apply_github(plan: PushPlan, progress: Progress) -> PushResult:
    """Apply a GitHub plan: the repository, then the secrets mode, then the push with everything that
    can run alongside it (protection, default branch, environments and their secrets)."""
    steps = _GitHubApply(plan, progress)
    created = steps.ensure_repository()
    progress.check_cancelled()
    deferred = steps.settle_secrets_mode()
    progress.check_cancelled()
    pushed = steps.push_and_configure(deferred)
    return steps.result(created, pushed)


class _GitHubApply:
    """The named steps of ``apply_github`` and what they share: the plan, its client, the warnings so far,
    and what was done (environments made, secrets set, branches protected) for the result."""

    def __init__(self, plan: PushPlan, progress: Progress) -> None:
        self.plan, self.progress = plan, progress
        self.gh, self.spec, self.client, self.root = plan.github_plan, plan.spec, plan.client, plan.root
        self.warnings = list(plan.warnings)
        self.mode_changed = False
        self.environments: list[str] = []
        self.result_secrets: dict[str, list[str]] = {}
        self.protected: list[str] = []
        self.git_env: dict[str, str] = {}

    # ------------------------------------------------------------ 1. the repository

    def ensure_repository(self) -> bool:
        """Create the repository when the plan says so; True when this run created it."""
        gh, progress = self.gh, self.progress
        if not gh.create:
            progress.emit("repository", "skip", f"Using {gh.full_name}", link=gh.html_url)
            return False
        progress.emit("repository", "start", f"Creating {gh.full_name}")
        data, created = gh_repo.create_repo(
            self.client,
            gh.owner,
            gh.name,
            user_owned=gh.owner_type == "User",
            private=gh.private,
            description=self.spec.description,
        )
        if not created:  # our earlier, retried request made it: it must still be empty
            if remote.ls_remote(self.root, data["clone_url"], self.client.git_auth_env(data["clone_url"])):
                raise Conflict(
                    f"{gh.full_name} appeared while push was creating it, and it has branches; "
                    "nothing was pushed. Run push again to check whether it is this project's."
                )
        gh.html_url, gh.clone_url, gh.default_branch = data["html_url"], data["clone_url"], data.get("default_branch")
        self.plan.remote_url = gh.clone_url
        self.plan.origin = origin_action(self.root, gh.clone_url, self.spec)
        progress.emit(
            "repository",
            "done",
            f"Created {'private' if gh.private else 'public'} repository {gh.full_name}",
            link=gh.html_url,
        )
        gh.create = False
        return created

    # ------------------------------------------------------------ 2. the secrets mode

    def settle_secrets_mode(self) -> list[str]:
        """Decide the secrets mode before anything is pushed, so the remote gets one history (and CI never
        runs with names that do not exist). Where GitHub's plan rules settle it, the environments are made
        alongside the push (returned: the branches whose environment is still to make); where the plan is
        not shown, making them first is the probe."""
        gh = self.gh
        todo = [b for b, st in gh.branches.items() if st.environment != "exists"]
        if not todo or gh.secrets_mode != "environments":
            return []
        if gh.environments_expected is False:
            self.mode_changed = self.fall_back(
                f"private, and the owner's plan is {gh.plan_name}: environments in private "
                "repositories need GitHub Pro, Team or Enterprise"
            )
            return []
        if gh.environments_expected is None:
            reason = self.create_environments(todo)
            if reason:
                self.mode_changed = self.fall_back(reason)
            return []
        return todo

    def fall_back(self, reason: str) -> bool:
        self.progress.emit(
            "environments",
            "warn",
            f"GitHub has no environments for {self.gh.full_name} ({reason}); "
            "using branch-prefixed repository secrets instead",
        )
        return _switch_mode(self.plan, "repository", self.progress, self.warnings)

    def create_environments(self, names: list[str]) -> str | None:
        """None when made; else why GitHub has none for this repository."""
        gh, client = self.gh, self.client
        self.progress.emit("environments", "start", f"Creating environments {', '.join(names)}")
        answers = client.parallel([partial(gh_repo.put_environment, client, gh.owner, gh.name, b) for b in names])
        refused = [(b, r) for b, r in zip(names, answers, strict=True) if r.status != 200]
        unavailable = [b for b, r in refused if gh_repo.environment_unavailable(r)]
        if refused and len(unavailable) < len(refused):
            b, r = next((b, r) for b, r in refused if b not in unavailable)
            raise client.error("PUT", "", r.status, r.headers, r.data, f"creating environment {b}")
        if unavailable:
            return f"answered {refused[0][1].status}; private repositories need GitHub Pro, Team or Enterprise"
        for b in names:
            gh.branches[b].environment = "exists"
            self.environments.append(b)
        self.progress.emit("environments", "done", f"Created environments {', '.join(names)}")
        return None

    # ------------------------------------------------------------ 3. the push, and what runs beside it

    def push_and_configure(self, deferred: list[str]) -> list[str]:
        """Push the branches (then protect them, record the repository, set the default branch) while the
        environments' branch rules and the secrets are written; returns the branches pushed."""
        gh, plan = self.gh, self.plan
        self.git_env = self.client.git_auth_env(gh.clone_url)
        for b, p in gh.protection.items():
            if p == "unavailable":
                self.unprotected(b)
        flows: list[Callable[[], Any]] = [self.git_flow]
        if deferred:
            flows.append(lambda: self.deferred_flow(deferred))
        elif self.spec.secrets_mode == "environments":
            flows += self.environment_tasks()
        else:
            flows.append(self.repo_secrets_flow)
        results = self.client.parallel(flows)
        pushed = results[0]
        if deferred and results[1]:
            # GitHub contradicted its plan's rules: record the mode now, on top of what was pushed
            self.mode_changed = self.fall_back(results[1])
            pushed = sorted(set(pushed) | set(push_branches(plan, self.progress, gh.clone_url, self.git_env)))
            self.repo_secrets_flow()
        return pushed

    def git_flow(self) -> list[str]:
        gh = self.gh
        pushed = push_branches(self.plan, self.progress, gh.clone_url, self.git_env)
        # the default branch and the protections need the pushed branches, not each other
        todo = [b for b, p in gh.protection.items() if p == "create"]
        tasks: list[Callable[[], None]] = [partial(self.protect, b) for b in todo]
        if self.plan.origin != "keep":  # later commands (status, secrets, push) find the repository from here
            tasks.append(lambda: _record_github(self.root, gh.api_url, gh.full_name))
        if gh.default_branch != self.spec.default_branch:
            tasks.append(self.set_default_branch)
        self.client.parallel(tasks)
        return pushed

    def set_default_branch(self) -> None:
        gh, default = self.gh, self.spec.default_branch
        gh_repo.set_default_branch(self.client, gh.owner, gh.name, default)
        gh.default_branch = default
        self.progress.emit("default-branch", "done", f"Default branch: {default}")

    def protect(self, branch: str) -> None:
        gh = self.gh
        if gh_repo.protect(self.client, gh.owner, gh.name, branch) == "done":
            gh.protection[branch] = "present"
            self.protected.append(branch)
            self.progress.emit(f"protection:{branch}", "done", f"Protected {branch}: pull request required")
            return
        gh.protection[branch] = "unavailable"
        self.unprotected(branch)

    def unprotected(self, branch: str) -> None:
        msg = (
            f"{branch} is not protected: GitHub's plan for {self.gh.full_name} has no branch protection "
            "(upgrade, or make the repository public)"
        )
        self.warnings.append(msg)
        self.progress.emit(f"protection:{branch}", "warn", msg)

    def environment_tasks(self) -> list[Callable[[], None]]:
        # an environment's branch rule and its secrets are independent of each other
        branches = self.gh.branches
        tasks: list[Callable[[], None]] = [
            partial(self.branch_policy, b) for b, st in branches.items() if st.policy == "create"
        ]
        return tasks + [partial(self.environment_secrets, b) for b, st in branches.items() if st.to_set]

    def branch_policy(self, branch: str) -> None:
        gh = self.gh
        s = gh.branches[branch]
        if s.environment == "exists" and branch not in self.environments:
            gh_repo.put_environment(self.client, gh.owner, gh.name, branch)  # it had no branch rule: add ours
        gh_repo.add_branch_policy(self.client, gh.owner, gh.name, branch, branch)
        s.policy = "present"
        self.progress.emit(f"environment:{branch}", "done", f"Environment {branch}: deployments from {branch} only")

    def environment_secrets(self, branch: str) -> None:
        gh = self.gh
        values = {n: self.plan._values[branch][n] for n in gh.branches[branch].to_set}
        done = SecretStore(gh.owner, gh.name, branch).put_all(self.client, values)
        _secrets_done(self.plan, branch, list(done), self.result_secrets, self.progress)

    def repo_secrets_flow(self) -> None:
        gh, spec, values = self.gh, self.spec, {}
        for b, s in gh.branches.items():
            values.update({spec.secret_name(b, n): self.plan._values[b][n] for n in s.to_set})
        SecretStore(gh.owner, gh.name).put_all(self.client, values)
        for b, s in gh.branches.items():
            _secrets_done(self.plan, b, list(s.to_set), self.result_secrets, self.progress)

    def deferred_flow(self, deferred: list[str]) -> str | None:
        reason = self.create_environments(deferred)
        if reason is None:
            self.client.parallel(self.environment_tasks())
        return reason

    # ------------------------------------------------------------ 4. the result

    def result(self, created: bool, pushed: list[str]) -> PushResult:
        gh, spec = self.gh, self.spec
        missing = {b: list(s.missing) for b, s in gh.branches.items() if s.missing}
        for b, names in missing.items():
            self.warnings.append(
                f"{b}: secret{'s' if len(names) > 1 else ''} {', '.join(names)} not set; CI on {b} needs "
                f"{'them' if len(names) > 1 else 'it'}: jupyter mlops secrets set {names[0]} --env {b}"
            )
        self.progress.emit(
            "push", "done", f"{gh.full_name} is ready (secrets mode: {spec.secrets_mode})", link=gh.html_url
        )
        return PushResult(
            "github",
            gh.clone_url,
            gh.html_url,
            pushed,
            spec.secrets_mode,
            self.mode_changed,
            created,
            self.environments,
            self.result_secrets,
            missing,
            self.protected,
            self.warnings,
            self.client.calls,
        )


def _secrets_done(plan: PushPlan, branch: str, names: list[str], out: dict[str, list[str]], progress: Progress) -> None:
    s = plan.github_plan.branches[branch]
    for n in names:
        s.present.append(n)
    s.to_set = []
    if names:
        out[branch] = names
        shown = ", ".join(plan.spec.secret_name(branch, n) for n in names)
        progress.emit(f"secrets:{branch}", "done", f"Set {shown} for {branch} (sealed for GitHub)")


def _switch_mode(plan: PushPlan, mode: SecretsMode, progress: Progress, warnings: list[str]) -> bool:
    """Record the new mode on every branch (one commit each, before the push) and replan the secrets."""

    gh, spec, root = plan.github_plan, plan.spec, plan.root
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
    present = set(SecretStore(gh.owner, gh.name).list(plan.client) or {})
    gh.repo_secrets = sorted(present)
    for b in gh.branches:
        given = plan._values.get(b, {})
        have = {n for n in _all_names(spec, b, given) if spec.secret_name(b, n) in present}
        gh.branches[b] = _branch_secrets(spec, b, "exists", "present", have, given)
    return bool(edits)
