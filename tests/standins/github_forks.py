"""The GitHub stand-in's fork and pull-request endpoints (registered on import; `new`, `sync`, `promote`).

Adds routes to ``tests.standins.github`` without changing it: create/list forks, the fork fields of
"get a repository", and pull requests. Fork state lives beside the stand-in's (``forks_of(server)``).
Test controls: ``forks_of(server).disable_forking("acme/main")`` (the organisation's fork policy),
``forks_of(server).delay = 0.3`` (how long GitHub takes to copy a fork; the fork has no branches until
then, as on GitHub, so a client must poll).
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field

from tests.standins import github as gh
from tests.standins.github import SEG, ApiError, GitHubStandIn, Repository, not_found, route

DOCS_FORKS = "https://docs.github.com/rest/repos/forks#create-a-fork"


@dataclass
class PullRequest:
    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "open"


@dataclass
class ForkState:
    parents: dict[str, str] = field(default_factory=dict)  # fork full name (lower) -> parent full name
    disabled: set[str] = field(default_factory=set)  # repositories whose forking is disabled (lower)
    pulls: dict[str, list[PullRequest]] = field(default_factory=dict)  # repo full name (lower) -> PRs
    delay: float = 0.2
    copies: list[threading.Thread] = field(default_factory=list)

    def disable_forking(self, full_name: str) -> None:
        self.disabled.add(full_name.lower())

    def pull_requests(self, full_name: str) -> list[PullRequest]:
        return self.pulls.get(full_name.lower(), [])

    def wait(self) -> None:
        for t in list(self.copies):
            t.join()


def forks_of(s: GitHubStandIn) -> ForkState:
    state = getattr(s, "_fork_state", None)
    if state is None:
        state = ForkState()
        s._fork_state = state
    return state


def _root(s: GitHubStandIn, repo: Repository) -> str:
    """The fork network's root: follow parents to the repository that is no fork."""
    parents = forks_of(s).parents
    name = repo.full_name.lower()
    while name in parents:
        name = parents[name].lower()
    return name


def _with_fork_fields(s: GitHubStandIn, repo: Repository, token) -> dict:
    """docs.github.com/rest/repos/repos#get-a-repository: a fork has "fork": true and its "parent" and
    "source" (the network's root) repositories."""
    out = gh._repo_json(s, repo, token)
    parent = forks_of(s).parents.get(repo.full_name.lower())
    out["fork"] = parent is not None
    if parent:
        p = s.state.repo(*parent.split("/"))
        root = s.state.repo(*_root(s, repo).split("/"))
        out["parent"] = gh._repo_json(s, p, token)
        out["source"] = gh._repo_json(s, root, token)
    return out


# GET /repos/{owner}/{repo} answers with the fork fields: registered first, so it wins over the base route.
def _get_repo(s, token, owner, name, data, query):
    return 200, _with_fork_fields(s, gh._repo_for(s, token, owner, name), token)


gh.ROUTES.insert(0, ("GET", re.compile("^/repos/" + SEG + "/" + SEG + "$"), _get_repo))


@route("POST", "/repos/" + SEG + "/" + SEG + "/forks")
def create_fork(s, token, owner, name, data, query):
    """docs.github.com/rest/repos/forks#create-a-fork: 202 Accepted with the fork (copied asynchronously:
    "You may have to wait a short period of time before you can access the git objects"); when the owner
    already has a fork in the network, 202 with that fork. 403 when forking is disabled (GitHub's message:
    "The repository exists, but forking is disabled."), 404 when the source or organisation is not visible."""
    state = forks_of(s)
    source = gh._repo_for(s, token, owner, name)
    if source.full_name.lower() in state.disabled:
        raise ApiError(403, "The repository exists, but forking is disabled.", documentation_url=DOCS_FORKS)
    target = data.get("organization") or token.login
    org = s.state.orgs.get(str(target).lower())
    if data.get("organization"):
        if org is None or token.login.lower() not in {m.lower() for m in org.members}:
            raise not_found()
        target = org.login
    network = _root(s, source)
    for fork_name, _parent in state.parents.items():
        fork = s.state.repo(*fork_name.split("/"))
        if fork and fork.owner.lower() == str(target).lower() and _root(s, fork) == network:
            return 202, _with_fork_fields(s, fork, token)
    new_name = data.get("name") or source.name
    if s.state.repo(target, new_name) is not None:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "Repository",
                    "code": "custom",
                    "field": "name",
                    "message": "name already exists on this account",
                }
            ],
        )
    repo = Repository(
        owner=target,
        name=new_name,
        id=s.state.next_id(),
        private=source.private,
        description=source.description,
        path=s.create_bare(target, new_name),
        created_at=gh._now(),
        default_branch=source.default_branch,
    )
    s.state.repos[(target.lower(), new_name.lower())] = repo
    state.parents[repo.full_name.lower()] = source.full_name
    only_default = bool(data.get("default_branch_only"))

    def copy() -> None:
        refs = (
            [f"+refs/heads/{source.default_branch}:refs/heads/{source.default_branch}"]
            if only_default
            else ["+refs/heads/*:refs/heads/*"]
        )
        subprocess.run(["git", "fetch", "-q", str(source.path), *refs], cwd=repo.path, check=True)
        subprocess.run(["git", "symbolic-ref", "HEAD", f"refs/heads/{repo.default_branch}"], cwd=repo.path, check=True)

    timer = threading.Timer(state.delay, copy)
    state.copies.append(timer)
    timer.start()
    return 202, _with_fork_fields(s, repo, token)


@route("GET", "/repos/" + SEG + "/" + SEG + "/forks")
def list_forks(s, token, owner, name, data, query):
    """docs.github.com/rest/repos/forks#list-forks (200; paginated with per_page/page)"""
    repo = gh._repo_for(s, token, owner, name)
    children = [
        s.state.repo(*f.split("/")) for f, p in forks_of(s).parents.items() if p.lower() == repo.full_name.lower()
    ]
    visible = [c for c in children if c and (not c.private or gh._can_admin(s, token, c))]
    per_page = int((query.get("per_page") or ["30"])[0])
    page = int((query.get("page") or ["1"])[0])
    chunk = visible[(page - 1) * per_page : page * per_page]
    return 200, [_with_fork_fields(s, c, token) for c in chunk]


def _pull_json(s, repo: Repository, pr: PullRequest) -> dict:
    heads = repo.branches()
    return {
        "number": pr.number,
        "state": pr.state,
        "title": pr.title,
        "body": pr.body,
        "url": f"{s.api_url}/repos/{repo.full_name}/pulls/{pr.number}",
        "html_url": f"{s.base_url}/{repo.full_name}/pull/{pr.number}",
        "head": {"ref": pr.head, "sha": heads.get(pr.head), "label": f"{repo.owner}:{pr.head}"},
        "base": {"ref": pr.base, "sha": heads.get(pr.base), "label": f"{repo.owner}:{pr.base}"},
    }


def _head_branch(repo: Repository, head: str) -> str:
    owner, sep, branch = head.partition(":")
    if sep and owner.lower() != repo.owner.lower():
        raise ApiError(
            422, "Validation Failed", errors=[{"resource": "PullRequest", "field": "head", "code": "invalid"}]
        )
    return branch if sep else head


@route("POST", "/repos/" + SEG + "/" + SEG + "/pulls")
def create_pull(s, token, owner, name, data, query):
    """docs.github.com/rest/pulls/pulls#create-a-pull-request: 201 with the pull request; 422 Validation
    Failed for a missing branch, no commits between base and head, or an open pull request from the head."""
    repo = gh._repo_for(s, token, owner, name)
    if not gh._can_admin(s, token, repo):
        raise not_found()
    head, base = _head_branch(repo, str(data.get("head", ""))), str(data.get("base", ""))
    heads = repo.branches()
    for field_name, branch in (("head", head), ("base", base)):
        if branch not in heads:
            raise ApiError(
                422, "Validation Failed", errors=[{"resource": "PullRequest", "field": field_name, "code": "invalid"}]
            )
    if not data.get("title"):
        raise ApiError(
            422, "Validation Failed", errors=[{"resource": "PullRequest", "field": "title", "code": "missing_field"}]
        )
    pulls = forks_of(s).pulls.setdefault(repo.full_name.lower(), [])
    if any(p.state == "open" and p.head == head and p.base == base for p in pulls):
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {repo.owner}:{head}.",
                }
            ],
        )
    ahead = subprocess.run(
        ["git", "rev-list", "--count", f"{base}..{head}"], cwd=repo.path, capture_output=True, text=True, check=True
    ).stdout.strip()
    if ahead == "0":
        raise ApiError(
            422,
            "Validation Failed",
            errors=[{"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {head}"}],
        )
    pr = PullRequest(len(pulls) + 1, str(data["title"]), str(data.get("body") or ""), head, base)
    pulls.append(pr)
    return 201, _pull_json(s, repo, pr)


@route("GET", "/repos/" + SEG + "/" + SEG + "/pulls")
def list_pulls(s, token, owner, name, data, query):
    """docs.github.com/rest/pulls/pulls#list-pull-requests: filters state (default open), head
    (OWNER:BRANCH) and base."""
    repo = gh._repo_for(s, token, owner, name)
    state = (query.get("state") or ["open"])[0]
    head = (query.get("head") or [""])[0]
    base = (query.get("base") or [""])[0]
    out = []
    for pr in forks_of(s).pulls.get(repo.full_name.lower(), []):
        if state != "all" and pr.state != state:
            continue
        if head and f"{repo.owner}:{pr.head}".lower() != head.lower():
            continue
        if base and pr.base != base:
            continue
        out.append(_pull_json(s, repo, pr))
    return 200, out
