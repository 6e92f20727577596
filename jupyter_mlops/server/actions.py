"""What each route does, in terms of the operations: request data in, a payload or a Job out.

No tornado here: the handlers parse the HTTP request and render the answer; these functions resolve
paths, call the operations and shape their results as the OpenAPI document says.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import payloads
from ..errors import InvalidInput, NotFound
from ..github.client import DEFAULT_HOSTS, GitHubClient, ServerToken, check_token_host, normalize_api_url
from ..operations.branch_entry import credential_names
from ..operations.check import apply_check, plan_check
from ..operations.init import InitPlan, apply_init, default_name, load_project_spec, plan_init
from ..operations.jobs import Job
from ..operations.push import apply_push, check_request, plan_push
from ..operations.run import apply_run, plan_run
from ..operations.secrets import apply_secrets_set, list_secrets, plan_secrets_set
from ..operations.status import project_status
from ..operations.sync import apply_sync, check_local, plan_sync
from ..settings.forms import defaults as form_defaults
from ..settings.forms import field_errors, json_schema, validation
from ..settings.spec import ProjectSpec
from ..vcs.remote import check_remote_url, get_url
from .bodies import (
    CheckRequest,
    InitRequest,
    PushRequest,
    RunRequest,
    SecretsRequest,
    SyncRequest,
    ValidateRequest,
)
from .paths import relative, resolve


def server_token(given: str | None, github_hosts: Iterable[str] | None = None) -> str | None:
    """The token from the request, else the one the server was started with (GITHUB_TOKEN / GH_TOKEN) —
    marked as the server's, so it goes only to the API hosts the admin allows (``github_hosts``)."""

    if given:
        return given
    own = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    return ServerToken(own, DEFAULT_HOSTS if github_hosts is None else github_hosts) if own else None


def _github_url(given: str | None, token: str | None) -> str | None:
    """A request's ``github_url``: well formed, and a host the server's own token may go to (400 otherwise)."""

    if given is None:
        return None
    url = normalize_api_url(given)
    check_token_host(token, url)
    return url


# ---------------------------------------------------------------- forms


def defaults(root_dir: str, path: str | None, name: str | None, branches: str | None) -> payloads.Defaults:
    if not name:
        name = default_name(resolve(root_dir, path)) if path else "ml-project"
    return form_defaults(name, branches)


def schema(branches: str | None) -> payloads.SettingsSchema:
    return json_schema(branches)


def validate(body: ValidateRequest) -> payloads.Validation:
    return validation(body.get("settings") or {})


# ---------------------------------------------------------------- init


def _init_spec(root: Path, body: InitRequest) -> ProjectSpec:
    values = dict(body.get("settings") or {})
    if body.get("name"):
        values["name"] = body["name"]
    if "name" not in values:
        existing = load_project_spec(root) if root.is_dir() else None
        values["name"] = existing.name if existing else default_name(root)
    errors, spec = field_errors(values)
    if errors or spec is None:
        raise InvalidInput(
            "The project settings are not valid; fix them and send the request again:",
            details=[f"{k}: {v}" for k, v in errors.items()],
        )
    spec.kind = "main" if body.get("main") else "project"
    return spec


def plan_payload(root_dir: str, plan: InitPlan) -> payloads.InitPlan:
    return {**plan.fields(), "path": relative(root_dir, plan.root), "describe": plan.describe()}


def init_plan(root_dir: str, body: InitRequest) -> InitPlan:
    root = resolve(root_dir, body["path"])
    return plan_init(root, _init_spec(root, body))


def init_job(root_dir: str, body: InitRequest) -> Job:
    """Plan now (so bad input is a 4xx, not a failed job), plan again and apply in the job."""

    plan = init_plan(root_dir, body)
    root, spec = plan.root, plan.spec

    def run(progress):
        return apply_init(plan_init(root, spec, start_git=True), progress)

    return Job("init", run, path=relative(root_dir, root), result_view=lambda p: plan_payload(root_dir, p))


# ---------------------------------------------------------------- status


def project_root(root_dir: str, path: str) -> Path:
    root = resolve(root_dir, path)
    if not (root / "mlops.toml").is_file():
        raise NotFound(
            f"{path or 'the Jupyter root'} is not a jupyter-mlops project (no mlops.toml); create one with init first."
        )
    return root


# ---------------------------------------------------------------- push, secrets, status, sync


def _values(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [v for value in tree.values() for v in _values(value)]
    return [tree] if isinstance(tree, str) else []


def push_job(root_dir: str, body: PushRequest, github_hosts: Iterable[str] | None = None) -> Job:
    """Check the request's values now (a 400 names the field), then plan and apply in the job: planning
    talks to remotes, so it belongs to the job — cancellable, and the folder counts as busy meanwhile."""

    root = project_root(root_dir, body["path"])
    token = server_token(body.get("token"), github_hosts)
    github_url = _github_url(body.get("github_url"), token)
    owner = body.get("owner") or None
    remote_url = check_remote_url(body["remote"], "remote") if "remote" in body else None
    secrets = body.get("secrets") or {}
    check_request(root, owner=owner, remote_url=remote_url, secrets=secrets)

    def run(progress):
        plan = plan_push(
            root,
            token=token,
            owner=owner,
            private=body.get("private"),
            github_url=github_url,
            remote_url=remote_url,
            secrets=secrets,
            progress=progress,
        )
        return apply_push(plan, progress)

    return Job("push", run, path=relative(root_dir, root), secrets=(token or "", *_values(secrets)))


def secrets_set(
    root_dir: str, body: SecretsRequest, github_hosts: Iterable[str] | None = None
) -> payloads.SecretsSetResult:
    root = project_root(root_dir, body["path"])
    token = server_token(body.get("token"), github_hosts)
    plan = plan_secrets_set(
        root, body["secrets"], token=token, env=body.get("env"), github_url=_github_url(body.get("github_url"), token)
    )
    return apply_secrets_set(plan).to_dict()


def secrets_list(
    root_dir: str,
    path: str,
    env: str | None,
    github_url: str | None,
    token: str | None,
    github_hosts: Iterable[str] | None = None,
) -> payloads.SecretsListing:
    root = project_root(root_dir, path)
    token = server_token(token, github_hosts)
    url = _github_url(github_url or None, token)
    return list_secrets(root, token=token, env=env or None, github_url=url).to_dict()


def status(root_dir: str, path: str) -> payloads.Status:
    result = project_status(project_root(root_dir, path))
    return {**result.fields(), "path": relative(root_dir, Path(result.root))}


def _sync_client(root: Path, body: SyncRequest, token: str | None, github_url: str | None) -> GitHubClient | None:
    """A GitHub client when GitHub is involved (pull requests, an API URL, a remote on github.com, --all with a
    token), as the CLI decides; the token from the request, else the server's environment."""

    urls = [u for u in (get_url(root, "origin"), get_url(root, "upstream")) if u]
    on_github = any("://github.com/" in u or u.startswith("git@github.com:") for u in urls)
    if not (body.get("pr") or github_url or on_github or (body.get("all") and token)):
        return None

    return GitHubClient(token or "", github_url)


def sync_job(root_dir: str, body: SyncRequest, github_hosts: Iterable[str] | None = None) -> Job:
    """Values checked now; planning (it fetches the main repo's project list) and applying in the job."""

    root = project_root(root_dir, body["path"])
    token = server_token(body.get("token"), github_hosts)
    github_url = _github_url(body.get("github_url"), token)
    check_local(root, all_projects=bool(body.get("all")))

    def run(progress):
        progress.emit("plan", "start", f"Planning the sync of {relative(root_dir, root) or 'the root folder'}")
        client = _sync_client(root, body, token, github_url)
        plan = plan_sync(root, all_projects=bool(body.get("all")), pr=bool(body.get("pr")), github=client)
        return apply_sync(plan, progress)

    return Job("sync", run, path=relative(root_dir, root), secrets=(token or "",))


# ---------------------------------------------------------------- check, run


def _entry_env(root: Path, body: CheckRequest | RunRequest) -> tuple[dict[str, str], tuple[str, ...]]:
    """The server's environment plus the request's credentials (held by the job only).

    Credentials are taken by allow-list — the names CI passes to the entry point — never by denylist: any
    other variable (BASH_ENV, PYTHONSTARTUP, LD_PRELOAD…) could change which code runs.
    """

    credentials = body.get("credentials") or {}
    allowed = credential_names(root)
    refused = sorted(n for n in credentials if n not in allowed)
    if refused:
        raise InvalidInput(
            f"credentials: {', '.join(refused)} {'is' if len(refused) == 1 else 'are'} not among the credentials "
            f"the entry point reads; send only these: {', '.join(sorted(allowed))}"
        )
    return dict(os.environ, **credentials), tuple(credentials.values())


def check_job(root_dir: str, body: CheckRequest) -> Job:
    root = resolve(root_dir, body["path"])
    env, secrets = _entry_env(root, body)
    plan = plan_check(root, body.get("branch") or None, inference=bool(body.get("inference")))
    return Job(
        "check",
        lambda progress: apply_check(plan, progress, env=env),
        path=relative(root_dir, plan.root),
        secrets=secrets,
    )


def run_job(root_dir: str, body: RunRequest) -> Job:
    root = resolve(root_dir, body["path"])
    env, secrets = _entry_env(root, body)
    plan = plan_run(
        root,
        body.get("branch") or None,
        local=bool(body.get("local")),
        wait=bool(body.get("wait")),
        timeout=body.get("timeout"),
    )
    return Job(
        "run", lambda progress: apply_run(plan, progress, env=env), path=relative(root_dir, plan.root), secrets=secrets
    )
