"""secrets: set, import and list the project's CI secrets on GitHub.

Names are the project's (``KFP_TOKEN``); where they live follows ``mlops.toml``'s secrets mode: in
environments mode the environment named after the branch holds ``KFP_TOKEN``; in repository mode the
repository holds ``STAGING_KFP_TOKEN``. Values are sealed on this machine for GitHub and never
returned: listing shows names and update times only. Without ``env``, a value goes to every branch.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import payloads
from .._types import SecretOutcome, SecretsMode
from ..errors import InvalidInput
from ..github.client import GitHubClient, normalize_api_url
from ..github.secrets import SecretStore, validate
from ..progress import Progress, null_progress
from ..settings.spec import ProjectSpec, branch_prefix
from .push import recorded_github, require_project


@dataclass(frozen=True)
class RepoRef:
    api_url: str
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def resolve_repo(root: Path, spec: ProjectSpec, *, github_url: str | None = None) -> RepoRef:
    """The project's GitHub repository: recorded by push in .git/config, or mlops.toml's owner."""

    recorded = recorded_github(root)
    if recorded:
        return RepoRef(normalize_api_url(github_url or recorded[0]), recorded[1], recorded[2])
    if spec.owner:
        return RepoRef(normalize_api_url(github_url), spec.owner, spec.name)
    raise InvalidInput(
        f"{spec.name} is not on GitHub yet, and secrets are GitHub Actions secrets. Push it first "
        "(jupyter mlops push --owner YOUR_USER_OR_ORG), then set its secrets."
    )


def check_branch(spec: ProjectSpec, env: str | None) -> list[str]:
    if env is None:
        return spec.branch_names
    if env not in spec.branches:
        raise InvalidInput(f"--env {env!r}: the project has no such branch; use one of {', '.join(spec.branch_names)}")
    return [env]


def read_env_file(path: Path | str) -> dict[str, str]:
    """A .env file (NAME=value lines, # comments, optional quotes and `export`), via python-dotenv."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"{path}: no such file; give a .env file with NAME=value lines")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text; give a .env file with NAME=value lines") from None
    return parse_env_text(text, str(path))


def parse_env_text(text: str, source: str) -> dict[str, str]:
    """.env lines from a file or standard input (``--secrets-file -``); ``source`` names them in errors."""

    from dotenv import dotenv_values

    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    empty = [k for k, v in values.items() if v is None]
    if empty:
        raise InvalidInput(
            f"{source}: these lines have no '=value' (nothing was sent); write each as NAME=value:", details=empty
        )
    if not values:
        raise InvalidInput(f"{source} has no NAME=value lines; nothing to set")
    return {k: v for k, v in values.items() if v is not None}


def assign_to_branches(values: dict[str, str], spec: ProjectSpec, env: str | None = None) -> dict[str, dict[str, str]]:
    """With ``env``: every value for that branch. Without: a name with a branch prefix (``STAGING_KFP_TOKEN``)
    goes to that branch only; any other name to the branches whose settings read it (``KFP_PASSWORD`` to the
    branches with Dex login, ``MLFLOW_TRACKING_PASSWORD`` to those tracking to MLflow), or to every branch when
    none reads it (a secret the project adds)."""
    if env is not None:
        check_branch(spec, env)
        return {env: dict(values)}
    out: dict[str, dict[str, str]] = {b: {} for b in spec.branch_names}
    prefixes = sorted(((branch_prefix(b) + "_", b) for b in spec.branch_names), key=lambda p: -len(p[0]))
    shared = {}
    for name, value in values.items():
        for prefix, branch in prefixes:
            if name.upper().startswith(prefix) and len(name) > len(prefix):
                out[branch][name[len(prefix) :]] = value
                break
        else:
            shared[name] = value
    for name, value in shared.items():
        needing = [b for b in spec.branch_names if name.upper() in spec.branches[b].secret_names()]
        for branch in needing or spec.branch_names:
            out[branch].setdefault(name, value)
    return {b: v for b, v in out.items() if v}


# ---------------------------------------------------------------- set / import


@dataclass
class SecretsPlan:
    root: Path
    spec: ProjectSpec
    repo: RepoRef
    names: dict[str, list[str]]  # branch -> project names to set
    _values: dict[str, dict[str, str]] = field(repr=False, compare=False)
    _client: GitHubClient = field(repr=False, compare=False)

    def github_name(self, branch: str, name: str) -> str:
        return self.spec.secret_name(branch, name)

    def to_dict(self) -> dict:
        return {
            "repository": self.repo.full_name,
            "secrets_mode": self.spec.secrets_mode,
            "secrets": [
                {"branch": b, "name": n, "github_name": self.github_name(b, n), "store": self._store_label(b)}
                for b, names in self.names.items()
                for n in names
            ],
        }

    def _store_label(self, branch: str) -> str:
        return f"environment {branch}" if self.spec.secrets_mode == "environments" else "repository"

    def describe(self) -> list[str]:
        lines = [f"Plan: set secrets on {self.repo.full_name} (secrets mode: {self.spec.secrets_mode})"]
        for b, names in self.names.items():
            for n in names:
                lines.append(f"  set {self.github_name(b, n)} in {self._store_label(b)} (sealed for GitHub)")
        return lines


@dataclass
class SecretsSetResult:
    repository: str
    secrets: dict[str, dict[str, SecretOutcome]]  # branch -> {github name: what happened}

    def to_dict(self) -> payloads.SecretsSetResult:
        return {"repository": self.repository, "secrets": self.secrets}


def plan_secrets_set(
    root: Path | str,
    values: dict[str, str],
    *,
    token: str | None = None,
    env: str | None = None,
    github_url: str | None = None,
    client: GitHubClient | None = None,
) -> SecretsPlan:
    """Validate names and values before any call; ``values`` are NAME → value (see ``assign_to_branches``)."""

    root = Path(root).absolute()
    spec = require_project(root)
    if not values:
        raise InvalidInput("No secret to set; give NAME and a value")
    by_branch = assign_to_branches(values, spec, env)
    for branch_values in by_branch.values():
        validate(branch_values)
    for b, branch_values in by_branch.items():
        long = [n for n in branch_values if len(spec.secret_name(b, n)) > 200]
        if long:
            raise InvalidInput(f"Secret names too long: {', '.join(long)}")
    repo = resolve_repo(root, spec, github_url=github_url)
    client = client or GitHubClient(token or "", repo.api_url)
    return SecretsPlan(root, spec, repo, {b: list(v) for b, v in by_branch.items()}, by_branch, client)


def apply_secrets_set(plan: SecretsPlan, progress: Progress | None = None) -> SecretsSetResult:
    progress = progress or null_progress()
    client, repo, spec = plan._client, plan.repo, plan.spec
    done: dict[str, dict[str, SecretOutcome]] = {}
    if spec.secrets_mode == "environments":

        def one(branch: str) -> tuple[str, dict[str, SecretOutcome]]:
            values = dict(plan._values[branch])
            return branch, SecretStore(repo.owner, repo.name, branch).put_all(client, values)

        for branch, outcome in client.parallel([partial(one, b) for b in plan.names]):
            done[branch] = outcome
    else:
        values = {spec.secret_name(b, n): v for b, vs in plan._values.items() for n, v in vs.items()}
        outcome = SecretStore(repo.owner, repo.name).put_all(client, values)
        for b, names in plan.names.items():
            done[b] = {spec.secret_name(b, n): outcome[spec.secret_name(b, n)] for n in names}
    for b, outcome in done.items():
        shown = ", ".join(f"{n} ({how})" for n, how in outcome.items())
        progress.emit(f"secrets:{b}", "done", f"{b}: {shown}")
    return SecretsSetResult(repo.full_name, done)


# ---------------------------------------------------------------- list


@dataclass
class SecretEntry:
    branch: str
    name: str
    github_name: str
    updated_at: str | None
    required: bool

    def to_dict(self) -> payloads.SecretsListingEntry:
        return {
            "branch": self.branch,
            "name": self.name,
            "github_name": self.github_name,
            "updated_at": self.updated_at,
            "required": self.required,
        }


@dataclass
class SecretsListing:
    repository: str
    secrets_mode: SecretsMode
    entries: list[SecretEntry]
    missing: dict[str, list[str]]  # branch -> required names not set
    optional: dict[str, list[str]] = field(default_factory=dict)  # branch -> optional names not set

    def to_dict(self) -> payloads.SecretsListing:
        return {
            "repository": self.repository,
            "secrets_mode": self.secrets_mode,
            "secrets": [e.to_dict() for e in self.entries],
            "missing": self.missing,
            "optional": self.optional,
        }


def list_secrets(
    root: Path | str,
    *,
    token: str | None = None,
    env: str | None = None,
    github_url: str | None = None,
    client: GitHubClient | None = None,
) -> SecretsListing:
    """Names and update times (GitHub never returns values), and the required names still missing."""

    root = Path(root).absolute()
    spec = require_project(root)
    branches = check_branch(spec, env)
    repo = resolve_repo(root, spec, github_url=github_url)
    client = client or GitHubClient(token or "", repo.api_url)
    found: dict[str, dict[str, str]] = {}
    if spec.secrets_mode == "environments":
        stores = client.parallel(
            [partial(SecretStore(repo.owner, repo.name, b).list, client, missing_ok=True) for b in branches]
        )
        for b, names in zip(branches, stores, strict=True):
            found[b] = {n: t for n, t in (names or {}).items()}
    else:
        names = SecretStore(repo.owner, repo.name).list(client) or {}
        for b in branches:
            prefix = branch_prefix(b) + "_"
            found[b] = {n[len(prefix) :]: t for n, t in names.items() if n.startswith(prefix)}
    entries, missing, optional = [], {}, {}
    for b in branches:
        required = spec.branches[b].required_secrets()
        for n, t in sorted(found[b].items()):
            entries.append(SecretEntry(b, n, spec.secret_name(b, n), t, n in required))
        absent = [n for n in required if n not in found[b]]
        if absent:
            missing[b] = absent
        unset = [n for n in spec.branches[b].optional_secrets() if n not in found[b]]
        if unset:
            optional[b] = unset
    return SecretsListing(repo.full_name, spec.secrets_mode, entries, missing, optional)
