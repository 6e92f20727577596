"""Forks on GitHub: create one (asynchronous on GitHub's side, so polled), list a repository's forks.

docs.github.com/rest/repos/forks#create-a-fork: POST /repos/{owner}/{repo}/forks with ``organization``
(fork into an organisation), ``name`` (a new name) and ``default_branch_only``; answers 202 Accepted
with the fork's repository while GitHub copies it ("Forking a Repository happens asynchronously. You may
have to wait a short period of time before you can access the git objects"); 403 when the fork is
not allowed, 404 when the source is not visible, 422 when the request cannot be processed. When the
owner already has a fork of the same network, GitHub answers 202 with *that* fork (under its own
name), so the answer's full_name is checked against the one asked for.
docs.github.com/organizations/managing-organization-settings/managing-the-forking-policy-for-your-organization:
an organisation can forbid forking its private repositories ("forking is disabled").
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import RemoteFailure
from .client import GitHubClient


@dataclass
class ForkRefused(Exception):
    """GitHub will not make this fork; ``reason`` says why (the caller falls back to a mirror fork)."""

    reason: str


def create_fork(client: GitHubClient, source: str, *, owner: str, name: str, login: str) -> dict:
    """Ask GitHub for a fork of ``source`` as ``owner/name`` with every branch; returns the fork's JSON.

    Raises ForkRefused when GitHub refuses (fork policy) or hands back another fork of the network.
    """
    body: dict = {"name": name, "default_branch_only": False}
    if owner.lower() != login.lower():
        body["organization"] = owner
    response = client.request(
        "POST", f"/repos/{source}/forks", body, accept=(202, 403, 422), what=f"forking {source} into {owner}/{name}"
    )
    data = response.data if isinstance(response.data, dict) else {}
    message = str(data.get("message", ""))
    if response.status == 403:
        if "rate limit" in message.lower():
            raise client.error("POST", f"/repos/{source}/forks", 403, response.headers, data)
        raise ForkRefused(f"GitHub refused the fork: {message or 'forbidden'}")
    if response.status == 422:
        details = "; ".join(str(e.get("message", "")) for e in data.get("errors") or [] if isinstance(e, dict))
        raise ForkRefused(f"GitHub could not fork: {message}{': ' + details if details else ''}")
    if str(data.get("full_name", "")).lower() != f"{owner}/{name}".lower():
        raise ForkRefused(
            f"{owner} already has a fork of this repository network ({data.get('full_name')}); "
            "GitHub allows one per owner"
        )
    return data


def wait_for_fork(
    client: GitHubClient, full_name: str, branches: list[str], *, timeout: float = 300.0, interval: float = 0.5
) -> dict[str, str]:
    """Poll the fork's branches until every one of ``branches`` is there; branch → commit."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        response = client.request(
            "GET",
            f"/repos/{full_name}/branches?per_page=100",
            accept=(200, 404, 409),
            what=f"checking the fork {full_name}",
        )
        if response.status == 200:
            heads = {b["name"]: b["commit"]["sha"] for b in response.data or []}
            if all(b in heads for b in branches):
                return heads
        if time.monotonic() >= deadline:
            raise RemoteFailure(
                f"GitHub has not finished forking into {full_name} after {timeout:.0f} s. Run the "
                "command again later: it picks up the fork where it is."
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def list_forks(client: GitHubClient, full_name: str) -> list[dict]:
    """Every fork of ``full_name`` (docs.github.com/rest/repos/forks#list-forks, paginated by 100)."""
    forks: list[dict] = []
    page = 1
    while True:
        response = client.request(
            "GET", f"/repos/{full_name}/forks?per_page=100&page={page}", what=f"listing the forks of {full_name}"
        )
        batch = response.data or []
        forks += batch
        if len(batch) < 100:
            return forks
        page += 1
