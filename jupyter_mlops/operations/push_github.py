"""push, the GitHub part: plan (preflight, what exists) and apply (repository, environments, secrets,
protection), with the secrets-mode decision made before the branches are pushed.

See ``operations/push.py`` for the rules; this module holds what only GitHub targets need.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Conflict
from ..progress import Progress
from ..settings.spec import ProjectSpec
from ..vcs import gitcli, remote
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


def _record_github(root: Path, api_url: str, full_name: str) -> None:
    gitcli.git(["config", GIT_KEY_API, api_url], root)  # one after the other: git locks .git/config
    gitcli.git(["config", GIT_KEY_REPO, full_name], root)


def plan_github(
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


def apply_github(plan: PushPlan, progress: Progress) -> PushResult:
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
        plan.origin = origin_action(root, gh.clone_url, spec)
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
        pushed = push_branches(plan, progress, gh.clone_url, env)
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
        pushed = sorted(set(pushed) | set(push_branches(plan, progress, gh.clone_url, env)))
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
    from ..github.secrets import SecretStore
    from ..github.secrets_mode import mode_change_edits
    from ..vcs.branchedit import commit_on_branches

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
