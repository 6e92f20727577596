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

from pathlib import Path

from .._types import PushTarget
from ..errors import Conflict, InvalidInput
from ..github.client import GitHubClient
from ..progress import Progress, null_progress
from ..settings.spec import ProjectSpec, check_owner, check_repo_name
from ..vcs import gitcli, remote
from .init import apply_branch_files, load_project_spec
from .push_github import apply_github, plan_github
from .push_model import GIT_KEY_API, GIT_KEY_REPO, PushPlan, PushResult, origin_action, push_branches

# ---------------------------------------------------------------- plan


def require_project(root: Path) -> ProjectSpec:
    """The project in ``root`` (its mlops.toml and git history, with each branch's platform settings as its
    files in the work tree say), or an error saying what to run first."""

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


def check_request(
    root: Path, *, owner: str | None, remote_url: str | None, secrets: dict[str, dict[str, str]] | None
) -> ProjectSpec:
    """The refusals that need no network (the project, the values given): the REST face answers them with
    a 4xx before it starts a job. Returns the project's spec."""
    spec = require_project(root)
    if owner and (msg := check_owner(owner)):
        raise InvalidInput(f"--owner: {msg}")
    if msg := check_repo_name(spec.name):
        raise InvalidInput(f"mlops.toml name: {msg}")
    if remote_url is not None:
        remote.check_remote_url(remote_url)  # empty is a mistake, not "origin"
    if remote_url is not None and owner:
        raise InvalidInput("Give either --owner (GitHub) or --remote (any git URL), not both")
    unknown = [b for b, v in (secrets or {}).items() if v and b not in spec.branches]
    if unknown:
        raise InvalidInput(
            f"Secrets given for branches the project does not have: {', '.join(unknown)}; "
            f"the branches are {', '.join(spec.branch_names)}"
        )
    return spec


def plan_push(
    root: Path | str,
    *,
    token: str | None = None,
    owner: str | None = None,
    private: bool | None = None,
    github_url: str | None = None,
    remote_url: str | None = None,
    secrets: dict[str, dict[str, str]] | None = None,
    client: GitHubClient | None = None,
    progress: Progress | None = None,
) -> PushPlan:
    """Read-only: what push would do. ``secrets``: branch → {NAME: value} to set where not set yet."""
    progress = progress or null_progress()
    root = Path(root).absolute()
    spec = check_request(root, owner=owner, remote_url=remote_url, secrets=secrets)
    if remote_url is not None:
        remote_url = remote.check_remote_url(remote_url)
    secrets = {b: dict(v) for b, v in (secrets or {}).items() if v}
    if remote_url:
        return _plan_git(root, spec, "git", remote_url, create_bare=False, progress=progress, secrets=secrets)
    recorded = recorded_github(root)
    gh_owner = owner or spec.owner
    name = spec.name
    api = github_url
    if not gh_owner and recorded:
        api = github_url or recorded[0]
        gh_owner, name = recorded[1], recorded[2]
    if gh_owner:
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


def _plan_git(
    root: Path,
    spec: ProjectSpec,
    target: PushTarget,
    url: str,
    *,
    create_bare: bool,
    progress: Progress,
    secrets: dict[str, dict[str, str]],
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
    origin = origin_action(root, url, spec)
    if origin == "keep":
        warnings.append(
            f"origin points to {remote.redact(remote.get_url(root) or '')}; pushing to {remote.redact(url)} "
            "by URL and leaving origin as it is"
        )
    return PushPlan(root, spec, target, url, updates, origin, create_bare=create_bare, warnings=warnings)


def apply_push(plan: PushPlan, progress: Progress | None = None) -> PushResult:
    progress = progress or null_progress()
    if plan.target == "github":
        return apply_github(plan, progress)
    return _apply_git(plan, progress)


def _apply_git(plan: PushPlan, progress: Progress) -> PushResult:
    url = plan.remote_url
    if plan.create_bare:
        remote.ensure_bare(Path(url), plan.spec.default_branch)
        progress.emit("remote", "done", f"Created the bare repository {url}", link=url)
    progress.check_cancelled()
    pushed = push_branches(plan, progress, url, env=None)
    if plan.target == "embedded":
        remote.set_bare_head(Path(url), plan.spec.default_branch)
    return PushResult(
        plan.target, url, None, pushed, plan.spec.secrets_mode, False, False, [], {}, {}, [], list(plan.warnings), 0
    )
