"""new: a project repository made from the organisation's main config repo.

- On GitHub: GitHub's fork API (same organisation allowed, a new name, every branch), polled until
  the fork has all its branches. Where GitHub will not fork (the owner already has a fork of the same
  network; the organisation's fork policy forbids it) — and for any other git remote or a local
  path — a *mirror fork*: a new repository with the main repo's history pushed to it.
- Either way: a local clone in ``./NAME`` with ``upstream`` pointing at the main repo; the
  project-owned files personalised on every branch (name, description, the starter files rendered
  for the project, ``mlops.toml`` recording the upstream); then ``push`` does the rest as for any
  project (repository, branches, environments, secrets, protection); finally the project is recorded
  in the main repo (``refs/mlops/projects/…``) so ``sync --all`` finds it.

The clone is built in a sibling temporary folder and moved into place only when complete. A run
that stops after that point is finished by running the same command again (or ``jupyter mlops push``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .._toml import tomllib
from ..errors import Conflict, InvalidInput, MlopsError
from ..github.client import GitHubClient
from ..github.forks import ForkRefused, create_fork, wait_for_fork
from ..github.preflight import identity_from
from ..github.pulls import repo_of_url
from ..progress import Progress, null_progress
from ..safepaths import scratch_dir
from ..scaffold.template import render
from ..settings.spec import ProjectSpec, check_owner, check_repo_name, dumps, flatten_settings, loads
from ..vcs import gitcli, registry
from ..vcs.branchedit import commit_on_branches, read_file
from ..vcs.remote import _push_error, check_remote_url, embedded_remote_path, ensure_bare, get_url, redact
from ..vcs.upstream import read_ownership
from .init import load_project_spec, move_into_place, staging_prefix
from .push import apply_push, plan_push
from .push_model import PushResult
from .secrets import assign_to_branches

DEFAULTS_FILE = "mlops-defaults.toml"
PERSONALISE_MESSAGE = "Make {name} from the main config repo {main}"
# Settings a project owns (its files: README, LICENSE, config.yaml); the rest comes from the main repo.
PROJECT_KEYS = ("description", "license")
PROJECT_BRANCH_KEYS = ("data.uri", "kfp.experiment")


# ---------------------------------------------------------------- source and defaults


@dataclass
class Source:
    """The main repo: a GitHub repository (``github`` = OWNER/NAME) or any git URL / path."""

    text: str
    url: str
    github: str = ""


def names_github_repo(text: str) -> bool:
    """``--from OWNER/NAME`` (a GitHub repository) rather than a git URL or a path."""
    text = text.strip()
    looks_like_url = "://" in text or text.startswith(("git@", "/", ".", "~")) or text.endswith(".git")
    return not looks_like_url and text.count("/") == 1 and not Path(text).exists()


def resolve_source(text: str, client: GitHubClient | None = None) -> Source:
    text = text.strip()
    if not text:
        raise InvalidInput("--from is empty; give the main config repo as OWNER/NAME (GitHub) or a git URL or path")
    check_remote_url(text, "--from")
    if names_github_repo(text):
        owner, name = text.split("/")
        problems = [m for m in (check_owner(owner) if owner else "the owner is empty", check_repo_name(name)) if m]
        if problems:
            raise InvalidInput(f"--from {text!r}: " + "; ".join(problems))
        if client is None:
            raise InvalidInput(
                f"--from {text} names a GitHub repository: a GitHub token is needed "
                "(export GITHUB_TOKEN), or give the main repo's git URL or path"
            )
        return Source(text, f"{client.web_url}/{text}.git", text)
    path = Path(os.path.expanduser(text))
    if "://" not in text and not text.startswith("git@"):
        if not path.exists():
            raise InvalidInput(f"--from {text}: no such folder; give the main repo's path, git URL or OWNER/NAME")
        path = path.absolute()
        if (path / ".git").exists():  # a clone of the main repo: its own remote is the shared main repo
            return Source(text, get_url(path, "origin") or str(path))
        return Source(text, str(path))

    full = repo_of_url(text, client.web_url) if client is not None else None
    return Source(text, text, full or "")


def org_defaults(text: str, branches: list[str]) -> dict:
    """``mlops-defaults.toml`` → settings (``--set`` keys) a new project starts with; only project-owned keys."""

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{DEFAULTS_FILE} in the main repo is not valid TOML ({exc}); fix it there") from None
    values = flatten_settings({k: v for k, v in data.items() if k in ("project", "branches")})
    return {k: v for k, v in values.items() if _project_key(k, branches)}


def _project_key(key: str, branches: list[str]) -> bool:
    if key in PROJECT_KEYS:
        return True
    head, _, rest = key.partition(".")
    return head in branches and rest in PROJECT_BRANCH_KEYS


def check_settings(settings: dict, branches: list[str]) -> None:
    org = [k for k in settings if not _project_key(k, branches) and k != "name"]
    if org:
        raise InvalidInput(
            "These settings come from the main config repo (org-owned), so a new project cannot set them: "
            + ", ".join(sorted(org))
            + ". Change them in the main repo (then `jupyter mlops sync --all`); "
            f"a project may set {', '.join(PROJECT_KEYS)} and <branch>.{' / <branch>.'.join(PROJECT_BRANCH_KEYS)}"
        )


# ---------------------------------------------------------------- plan


@dataclass
class NewPlan:
    name: str
    source: Source
    directory: Path
    method: str  # fork | mirror
    github_owner: str  # "" when the project does not go to GitHub
    remote_url: str | None  # --remote, for a project outside GitHub
    project_url: str  # where the project's repository will be
    description: str | None
    settings: dict
    resume: bool  # the folder holds this project already: finish the job
    notes: list[str] = field(default_factory=list)
    login: str = ""
    _client: GitHubClient | None = field(default=None, repr=False)

    @property
    def client(self) -> GitHubClient:
        """The GitHub client, for the steps that run only when the project goes to GitHub."""
        if self._client is None:
            raise TypeError("this new project does not go to GitHub: it has no client")
        return self._client

    @property
    def full_name(self) -> str:
        return f"{self.github_owner}/{self.name}" if self.github_owner else ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "from": self.source.text,
            "upstream": redact(self.source.url),
            "directory": str(self.directory),
            "method": self.method,
            "github": self.full_name,
            "project_url": redact(self.project_url),
            "resume": self.resume,
            "notes": self.notes,
        }

    def describe(self) -> list[str]:
        lines = [f"New project {self.name} from {self.source.text}:"]
        if self.resume:
            lines.append(f"  {self.directory} already holds it: finish the remaining steps")
        else:
            lines.append(f"  clone the main repo's branches into {self.directory} (remote 'upstream')")
            lines.append("  personalise the project-owned files on every branch (name, description, mlops.toml)")
        if self.method == "fork":
            lines.append(f"  fork {self.source.github} on GitHub as {self.full_name} (all branches), then push")
        else:
            lines.append(f"  mirror fork: create {redact(self.project_url)} and push the main repo's history")
        lines.append("  push: branches" + (", environments, secrets, protection" if self.github_owner else ""))
        lines.append(f"  record the project in the main repo ({registry.NAMESPACE}/…) for `sync --all`")
        lines += [f"  note: {n}" for n in self.notes]
        return lines


def plan_new(
    name: str,
    source: str,
    *,
    owner: str | None = None,
    directory: Path | str | None = None,
    description: str | None = None,
    settings: dict | None = None,
    remote_url: str | None = None,
    client: GitHubClient | None = None,
    cwd: Path | str | None = None,
    progress: Progress | None = None,
) -> NewPlan:
    """Read-only. ``client``: a GitHubClient when GitHub is involved (OWNER/NAME source, or --owner)."""
    progress = progress or null_progress()
    if msg := check_repo_name(name):
        raise InvalidInput(f"NAME: {msg}")
    if owner and (msg := check_owner(owner)):
        raise InvalidInput(f"--owner: {msg}")
    if owner and remote_url is not None:
        raise InvalidInput("Give either --owner (GitHub) or --remote (any git URL), not both")
    settings = dict(settings or {})
    src = resolve_source(source, client)
    target = Path(directory) if directory else Path(cwd or ".") / name
    target = target.absolute()
    resume = _check_directory(target, name, src)
    notes: list[str] = []
    if src.github and client is not None and not remote_url:  # resolve_source needed the client for src.github
        gh_owner = owner or src.github.split("/")[0]
        plan = _plan_github(name, src, gh_owner, target, resume, client, progress, notes)
    else:
        if owner:
            raise InvalidInput(
                f"--owner {owner}: the main repo {src.text} is not on GitHub, so the project cannot "
                "be a GitHub fork of it; give --remote URL (or nothing for a local repository)"
            )

        url = check_remote_url(remote_url) if remote_url is not None else str(embedded_remote_path(name))
        plan = NewPlan(name, src, target, "mirror", "", remote_url and url, url, description, settings, resume, notes)
    return plan


def _check_directory(target: Path, name: str, src: Source) -> bool:
    """True when ``target`` already holds this project (a re-run finishes the job); refuses anything else."""
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target} is a file; give another folder for the project")
    if not target.exists() or not any(target.iterdir()):
        return False
    spec = load_project_spec(target) if (target / "mlops.toml").is_file() else None
    if spec is not None and spec.name == name and spec.kind == "project" and spec.upstream == src.url:
        return True
    raise Conflict(
        f"{target} exists and is not an unfinished `new` of {name} from {src.text}; nothing was "
        "changed. Choose another folder (--dir) or move it away"
    )


def _plan_github(
    name: str,
    src: Source,
    owner: str,
    target: Path,
    resume: bool,
    client: GitHubClient,
    progress: Progress,
    notes: list[str],
) -> NewPlan:
    progress.emit("preflight", "start", f"Reading {src.github} and {owner}/{name} on {client.web_url}")
    user, main, existing, forks = client.parallel(
        [
            lambda: client.request("GET", "/user", what="reading the token's user"),
            lambda: client.request("GET", f"/repos/{src.github}", accept=(200, 404), what=f"reading {src.github}"),
            lambda: client.request("GET", f"/repos/{owner}/{name}", accept=(200, 404), what=f"reading {owner}/{name}"),
            lambda: client.request(
                "GET",
                f"/repos/{src.github}/forks?per_page=100",
                accept=(200, 404),
                what=f"listing the forks of {src.github}",
            ),
        ]
    )
    login = identity_from(user, owner, client.api_url).login
    if main.status == 404:
        raise InvalidInput(f"--from {src.github}: GitHub has no such repository, or the token cannot see it")
    method = "fork"
    if existing.status == 200:
        parent = (existing.data.get("parent") or {}).get("full_name", "")
        if not resume and parent.lower() != src.github.lower():
            raise Conflict(
                f"{owner}/{name} already exists on GitHub and is not a fork of {src.github}; choose "
                "another NAME or --owner (nothing was changed)"
            )
        if parent.lower() != src.github.lower():
            method = "mirror"
    else:
        taken = [f["full_name"] for f in forks.data or [] if f["owner"]["login"].lower() == owner.lower()]
        if taken:
            method = "mirror"
            notes.append(
                f"{owner} already has a fork of {src.github} ({taken[0]}); GitHub allows one per owner, "
                "so this project is a mirror fork"
            )
    progress.emit(
        "preflight",
        "done",
        f"{src.github} found; {owner}/{name}: " + ("exists" if existing.status == 200 else f"will be made by {method}"),
    )
    url = f"{client.web_url}/{owner}/{name}.git"
    return NewPlan(name, src, target, method, owner, None, url, None, {}, resume, notes, login, client)


# ---------------------------------------------------------------- apply


@dataclass
class NewResult:
    name: str
    directory: Path
    method: str
    project_url: str
    personalised: dict[str, list[str]]
    kept: list[str]
    push: PushResult | None
    recorded: bool
    warnings: list[str]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "directory": str(self.directory),
            "method": self.method,
            "project_url": redact(self.project_url),
            "personalised": self.personalised,
            "kept": self.kept,
            "push": self.push.to_dict() if self.push is not None else None,
            "recorded": self.recorded,
            "warnings": self.warnings,
        }


def apply_new(
    plan: NewPlan,
    progress: Progress | None = None,
    *,
    description: str | None = None,
    settings: dict | None = None,
    secret_values: dict[str, str] | None = None,
    fork_timeout: float = 300.0,
) -> NewResult:
    """``secret_values``: NAME=value (or BRANCH_NAME=value) for CI, assigned to branches as ``push`` does."""
    progress = progress or null_progress()
    if description is not None:
        plan.description = description
    if settings:
        plan.settings.update(settings)
    client = plan._client
    source_env = _auth(client, plan.source.url)
    result = NewResult(plan.name, plan.directory, plan.method, plan.project_url, {}, [], None, False, list(plan.notes))
    if not plan.resume:
        _clone_and_personalise(plan, result, source_env, progress)
    progress.check_cancelled()
    if plan.method == "fork":
        _fork(plan, result, progress, fork_timeout)
    result.push = _push(plan, progress, secret_values)
    result.warnings += list(getattr(result.push, "warnings", []) or [])
    _record(plan, result, source_env, progress)
    progress.emit(
        "new",
        "done",
        f"Project {plan.name} ready in {plan.directory} ({result.method} of {plan.source.text})",
        link=plan.project_url,
    )
    return result


def _auth(client: GitHubClient | None, url: str) -> dict[str, str] | None:
    if client is None or not url.startswith(client.web_url.rstrip("/") + "/"):
        return None
    return client.git_auth_env(url)


def _clone_and_personalise(plan: NewPlan, result: NewResult, env: dict | None, progress: Progress) -> None:
    parent = plan.directory.parent
    created_parent = not parent.exists()
    parent.mkdir(parents=True, exist_ok=True)
    staging = scratch_dir(parent, staging_prefix(plan.name), private=False)
    try:
        progress.emit("clone", "start", f"Cloning {redact(plan.source.url)}")
        proc = gitcli.git(
            ["clone", "--quiet", "--origin", "upstream", "--no-tags", "--", plan.source.url, str(staging)],
            parent,
            env=env,
            check=False,
            remote=plan.source.url,
        )
        if proc.returncode != 0:
            raise _source_error(plan, proc.stderr)
        main_spec = _main_spec(plan, staging)
        branches = main_spec.branch_names
        check_settings(plan.settings, branches)
        local = gitcli.branches(staging)
        for b in branches:
            if b not in local:
                gitcli.git(["update-ref", f"refs/heads/{b}", f"refs/remotes/upstream/{b}"], staging)
                gitcli.git(["branch", "--quiet", f"--set-upstream-to=upstream/{b}", b], staging, check=False)
        if gitcli.head_branch(staging) != main_spec.default_branch or main_spec.default_branch not in local:
            gitcli.git(["checkout", "--quiet", main_spec.default_branch, "--"], staging)
        progress.emit("clone", "done", f"Cloned {len(branches)} branches of {plan.source.text}")
        defaults_text = _read(staging, main_spec.default_branch, DEFAULTS_FILE)
        defaults = org_defaults(defaults_text.decode("utf-8"), branches) if defaults_text else {}
        edits = {}
        for branch in branches:
            edits[branch], kept = _personalise(staging, branch, plan, defaults)
            result.kept += [f"{branch}:{p}" for p in kept]
        made = commit_on_branches(
            staging, edits, PERSONALISE_MESSAGE.format(name=plan.name, main=redact(plan.source.url))
        )
        result.personalised = {b: sorted(edits[b]) for b in made}
        progress.emit(
            "personalise",
            "done",
            f"Personalised {sum(len(v) for v in edits.values())} project-owned files on {', '.join(made)}",
        )
        gitcli.git(["remote", "set-url", "--end-of-options", "upstream", plan.source.url], staging)
        move_into_place(staging, plan.directory)
    except BaseException:
        shutil.rmtree(parent if created_parent else staging, ignore_errors=True)
        raise


def _main_spec(plan: NewPlan, repo: Path) -> ProjectSpec:
    """The main repo's mlops.toml (from the branch its HEAD names, else development), checked to be a main repo."""

    heads = gitcli.git(["for-each-ref", "--format=%(refname:lstrip=3)", "refs/remotes/upstream/"], repo).stdout.split()
    head = gitcli.git(["symbolic-ref", "--quiet", "--short", "refs/remotes/upstream/HEAD"], repo, check=False)
    default = head.stdout.strip().removeprefix("upstream/") or ("development" if "development" in heads else "")
    text = gitcli.git(["show", f"refs/remotes/upstream/{default}:mlops.toml"], repo, check=False) if default else None
    spec = loads(text.stdout, source=f"{plan.source.text}: mlops.toml") if text and text.returncode == 0 else None
    if spec is None or spec.kind != "main":
        what = "has no mlops.toml" if spec is None else f"is a project ({spec.name}), not a main config repo"
        raise InvalidInput(
            f"{plan.source.text} {what}. Make the organisation's main config repo with "
            "`jupyter mlops init --main` and push it, then run new again"
        )
    missing = [b for b in spec.branch_names if b not in heads]
    if missing:
        raise Conflict(
            f"The main repo {plan.source.text} has no branch {', '.join(missing)}; push all its branches "
            "first, then run new again"
        )
    return spec


def _source_error(plan: NewPlan, stderr: str) -> MlopsError:
    return _push_error(stderr, plan.source.url, "clone")


def _read(repo: Path, branch: str, path: str) -> bytes | None:
    return read_file(repo, branch, path)


def _personalise(repo: Path, branch: str, plan: NewPlan, defaults: dict) -> tuple[dict[str, bytes], list[str]]:
    """Project-owned files of ``branch`` rendered for the project where they are the main repo's starters.

    A starter the organisation customised (it differs from what the template renders for the main
    repo) is kept as the organisation wrote it, and listed.
    """

    main_text = _read(repo, branch, "mlops.toml")
    if main_text is None:
        raise InvalidInput(f"The main config repo has no mlops.toml on {branch}; is {plan.source.url} one?")
    main_spec = loads(main_text.decode("utf-8"), source=f"mlops.toml on {branch}")
    project = _project_spec(main_spec, plan, defaults)
    ownership = read_ownership(repo, f"refs/heads/{branch}")
    starters = {f.path: f.content for f in render(main_spec)}
    files: dict[str, bytes] = {"mlops.toml": dumps(project).encode("utf-8")}
    kept = []
    for f in render(project):
        if f.path == "mlops.toml" or not ownership.is_project(f.path):
            continue
        current = _read(repo, branch, f.path)
        if current is None:
            continue
        if current == starters.get(f.path):
            if current != f.content:
                files[f.path] = f.content
        elif current != f.content:
            kept.append(f.path)
    return files, kept


def _project_spec(main_spec: ProjectSpec, plan: NewPlan, defaults: dict) -> ProjectSpec:
    spec = main_spec.copy()
    spec.kind = "project"
    values = dict(defaults)
    values.update(plan.settings)
    if plan.description is not None:
        values["description"] = plan.description
    values["owner"] = plan.github_owner
    values["name"] = plan.name
    spec.update(values)
    spec.upstream = plan.source.url
    spec.remote = plan.project_url
    return spec.validate()


def _fork(plan: NewPlan, result: NewResult, progress: Progress, timeout: float) -> None:
    client = plan.client
    progress.emit("fork", "start", f"Forking {plan.source.github} into {plan.full_name}")
    try:
        create_fork(client, plan.source.github, owner=plan.github_owner, name=plan.name, login=plan.login)
    except ForkRefused as refused:
        result.method = "mirror"
        result.warnings.append(
            f"{refused.reason}; made a mirror fork instead (a new repository with the main "
            "repo's history; `upstream` points at the main repo)"
        )
        progress.emit("fork", "warn", f"{refused.reason}; making a mirror fork instead")
        return
    branches = _made_spec(plan).branch_names
    wait_for_fork(client, plan.full_name, branches, timeout=timeout)
    progress.emit("fork", "done", f"Forked {plan.source.github} as {plan.full_name}", link=plan.project_url)


def _made_spec(plan: NewPlan) -> ProjectSpec:
    spec = load_project_spec(plan.directory)
    if spec is None:
        raise Conflict(f"{plan.directory} has no mlops.toml any more (changed while new ran); run new again")
    return spec


def _push(plan: NewPlan, progress: Progress, secret_values: dict[str, str] | None) -> PushResult:
    secrets = assign_to_branches(secret_values, _made_spec(plan)) if secret_values else None
    if plan.remote_url and "://" not in plan.remote_url and not plan.remote_url.startswith("git@"):
        target = Path(os.path.expanduser(plan.remote_url))
        if not target.exists():
            ensure_bare(target, _made_spec(plan).default_branch)
    push_plan = plan_push(
        plan.directory,
        owner=plan.github_owner or None,
        remote_url=plan.remote_url,
        secrets=secrets,
        client=plan._client if plan.github_owner else None,
        progress=progress,
    )
    return apply_push(push_plan, progress)


def _record(plan: NewPlan, result: NewResult, env: dict | None, progress: Progress) -> None:
    entry = registry.ProjectEntry(plan.name, plan.project_url, plan.full_name, result.method)
    try:
        registry.record(plan.directory, plan.source.url, entry, env)
    except gitcli.GitError as exc:
        result.warnings.append(
            f"{exc.message}. `sync --all` in the main repo will find this project only "
            "through GitHub's fork network (ask someone with push rights to run new, or to "
            "sync it by hand)"
        )
        progress.emit("record", "warn", result.warnings[-1])
        return
    result.recorded = True
    progress.emit("record", "done", f"Recorded {plan.name} in the main repo for `sync --all`")
