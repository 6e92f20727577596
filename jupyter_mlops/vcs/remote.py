"""The project's git remote: where push sends the branches, and how git authenticates there.

- GitHub: the repository's clone URL; the token rides in an HTTP header set for one git process
  (``GIT_CONFIG_COUNT`` variables), never in a URL, .git/config or a file.
- Embedded default: a bare repository this tool creates under the user's data folder, so the whole
  flow runs with no account and no network.
- Any other git URL (``--remote``): a path, GitLab, SSH…; git's own credentials apply.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Conflict, Forbidden, InvalidInput, MlopsError, NotFound, RemoteFailure, Unauthenticated
from ..settings.validators import check_git_url
from ..settings.validators import redact_url as redact  # noqa: F401  (the faces print URLs through it)
from . import gitcli

ORIGIN = "origin"
ZERO = "0" * 40


def header_env(url: str, user: str, password: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Variables for one git child process: basic auth as an extra header scoped to ``url``'s host.

    Credential helpers and askpass programs are switched off for that process, so git neither stores
    the token nor asks for another one.
    """
    env = dict(base or {})
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) git URL")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    prefix = f"{parts.scheme}://{host}/"
    value = "Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    entries = [(f"http.{prefix}.extraHeader", value), ("credential.helper", ""), ("core.askPass", "")]
    start = int(env.get("GIT_CONFIG_COUNT") or os.environ.get("GIT_CONFIG_COUNT") or 0)
    for i, (key, val) in enumerate(entries, start=start):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = val
    env["GIT_CONFIG_COUNT"] = str(start + len(entries))
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="")
    return env


def check_remote_url(url: str, what: str = "--remote") -> str:
    """A git URL or a path from the user (``--remote``, ``--from``, mlops.toml): validated, or InvalidInput."""

    if not isinstance(url, str):
        raise InvalidInput(f"{what}: expected text, got {type(url).__name__}")
    url = url.strip()
    if problem := check_git_url(url):
        raise InvalidInput(f"{what}: {problem}")
    return url


# ---------------------------------------------------------------- embedded default


def data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jupyter-mlops"


def embedded_remote_path(name: str) -> Path:
    """Where the embedded default keeps a project's bare repository."""
    return data_home() / "remotes" / f"{name}.git"


def ensure_bare(path: Path, default_branch: str) -> bool:
    """Create the bare repository when missing; True when it was created."""
    if (path / "HEAD").is_file():
        return False
    if path.exists() and any(path.iterdir()):
        raise Conflict(f"{path} exists and is not a bare git repository; move it away or give --remote")
    path.mkdir(parents=True, exist_ok=True)
    gitcli.git(["init", "-q", "--bare", f"--initial-branch={default_branch}"], path)
    return True


def set_bare_head(path: Path, branch: str) -> None:
    gitcli.git(["symbolic-ref", "--end-of-options", "HEAD", f"refs/heads/{branch}"], path)


# ---------------------------------------------------------------- origin


def get_url(root: Path, name: str = ORIGIN) -> str | None:
    proc = gitcli.git(["config", "--get", f"remote.{name}.url"], root, check=False)
    return proc.stdout.strip() or None


def set_origin(root: Path, url: str) -> str:
    """Point ``origin`` at ``url`` (no credentials in it). Returns what was done: added|updated|unchanged."""
    current = get_url(root)
    if current == url:
        return "unchanged"
    gitcli.check_argument(url, "the remote")
    if current is None:
        gitcli.git(["remote", "add", "--end-of-options", ORIGIN, url], root)
        return "added"
    gitcli.git(["remote", "set-url", "--end-of-options", ORIGIN, url], root)
    return "updated"


# ---------------------------------------------------------------- remote refs


def ls_remote(root: Path, url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Branch → commit on the remote (empty for an empty repository)."""
    gitcli.check_argument(url, "the remote")
    proc = gitcli.git(["ls-remote", "--heads", "--end-of-options", url], root, env=env, check=False, remote=url)
    if proc.returncode != 0:
        raise _push_error(proc.stderr, url, "read the branches of")
    heads = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            heads[ref[len("refs/heads/") :]] = sha
    return heads


@dataclass
class BranchUpdate:
    branch: str
    local: str
    remote: str | None
    action: str  # create | update | up-to-date

    def to_dict(self) -> dict:
        return {"branch": self.branch, "local": self.local, "remote": self.remote, "action": self.action}


def compare_branches(root: Path, branches: list[str], remote_heads: dict[str, str], where: str) -> list[BranchUpdate]:
    """What pushing ``branches`` would do; a refusal when the remote has history we do not have."""
    local = gitcli.branches(root)
    missing = [b for b in branches if b not in local]
    if missing:
        raise Conflict(
            f"The local repository has no branch {', '.join(missing)}. Run `jupyter mlops init` in "
            "the project folder to recreate the missing branches, then push again."
        )
    foreign = []
    for branch, sha in remote_heads.items():
        if not _has_commit(root, sha):
            foreign.append(branch)
    if foreign:
        raise Conflict(
            f"{where} already has commits that are not in this project ({', '.join(sorted(foreign))}): it holds "
            "unrelated history, or someone pushed since. Nothing was pushed. Fetch and merge them "
            "(git pull), or push to a new repository (another name, --owner or --remote).",
        )
    updates = []
    for b in branches:
        remote = remote_heads.get(b)
        if remote is None:
            updates.append(BranchUpdate(b, local[b], None, "create"))
        elif remote == local[b]:
            updates.append(BranchUpdate(b, local[b], remote, "up-to-date"))
        elif _is_ancestor(root, remote, local[b]):
            updates.append(BranchUpdate(b, local[b], remote, "update"))
        else:
            raise Conflict(
                f"{where} has commits on {b} that your local {b} does not contain (it is not a "
                f"fast-forward). Merge them first (git pull {ORIGIN} {b}); nothing was pushed."
            )
    return updates


def _has_commit(root: Path, sha: str) -> bool:
    return gitcli.git(["cat-file", "-e", f"{sha}^{{commit}}"], root, check=False).returncode == 0


def _is_ancestor(root: Path, older: str, newer: str) -> bool:
    return gitcli.git(["merge-base", "--is-ancestor", older, newer], root, check=False).returncode == 0


def push(
    root: Path,
    remote: str,
    updates: list[BranchUpdate],
    env: dict[str, str] | None = None,
    *,
    set_upstream: bool = False,
) -> None:
    """One atomic push of every branch that needs it (all or nothing on the remote)."""
    todo = [u for u in updates if u.action != "up-to-date"]
    if not todo:
        return
    args = ["push", "--atomic", "--porcelain"]
    if set_upstream:
        args.append("--set-upstream")
    # --force-with-lease pins what we expect on the remote: a concurrent push makes this fail, never lose work.
    for u in todo:
        args.append(f"--force-with-lease=refs/heads/{u.branch}:{u.remote or ''}")
    args += ["--end-of-options", gitcli.check_argument(remote, "the remote")]
    args += [f"refs/heads/{u.branch}:refs/heads/{u.branch}" for u in todo]
    proc = gitcli.git(args, root, env=env, check=False, remote=remote)
    if proc.returncode != 0:
        raise _push_error(proc.stderr + proc.stdout, remote, "push to")


def _push_error(output: str, url: str, doing: str) -> MlopsError:
    text = " ".join(line.strip() for line in output.splitlines() if line.strip() and "Authorization" not in line)
    text = re.sub(r"\s+", " ", text)[:600]
    where = redact(url)
    if "workflow" in text and "scope" in text:
        return Forbidden(f"The remote refused the workflow files: {text}. Give the token the workflow scope.")
    if re.search(r"\b(401|403)\b|Authentication failed|could not read Username|terminal prompts disabled", text):
        return Unauthenticated(
            f"Could not {doing} {where}: the remote asked for credentials ({text}). "
            "Check the token or your git credentials for that host."
        )
    if "does not appear to be a git repository" in text or "Repository not found" in text:
        return NotFound(
            f"There is no git repository at {where}. Check the URL, or create it first "
            "(on a server: a new empty repository; for a local path: git init --bare PATH)."
        )
    if "rejected" in text or "stale info" in text or "non-fast-forward" in text:
        return Conflict(
            f"The remote rejected the push to {where}: {text}. Someone pushed meanwhile; fetch and "
            "merge (git pull), then push again."
        )
    return RemoteFailure(f"Could not {doing} {where}: {text or 'git failed'}. Run the command again to resume.")
