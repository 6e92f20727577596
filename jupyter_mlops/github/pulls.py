"""Pull requests (sync --pr, promote) and telling which git URLs are repositories on a GitHub host."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from .client import GitHubClient


def repo_of_url(url: str, web_url: str) -> str | None:
    """``owner/name`` when ``url`` is a clone URL of a repository on ``web_url``'s host, else None.

    Accepts https://HOST/OWNER/NAME(.git) and git@HOST:OWNER/NAME(.git) (credentials never expected in it).
    """
    if not url:
        return None
    web = urlsplit(web_url)
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
        if host != web.hostname:
            return None
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname != web.hostname or parts.port != web.port:
            return None
        path = parts.path
        prefix = web.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) != 2:
        return None
    owner, name = segments
    name = name[:-4] if name.endswith(".git") else name
    return f"{owner}/{name}" if owner and name else None


def open_pull_request(client: GitHubClient, full_name: str, *, head: str, base: str, title: str, body: str) -> dict:
    """Open a pull request, or return the open one from the same head (a second run opens no duplicate).

    docs.github.com/rest/pulls/pulls#create-a-pull-request: 201 with the pull request; 422 Validation
    Failed ("A pull request already exists for OWNER:HEAD.") when one is open from that head.
    docs.github.com/rest/pulls/pulls#list-pull-requests: ``head=OWNER:BRANCH`` filters by head.
    """
    owner = full_name.split("/")[0]
    existing = find_open_pull_request(client, full_name, head=head, base=base)
    if existing:
        return existing
    response = client.request(
        "POST",
        f"/repos/{full_name}/pulls",
        {"title": title, "head": head, "base": base, "body": body},
        accept=(201, 422),
        what=f"opening a pull request {head} → {base} in {full_name}",
    )
    if response.status == 201:
        return response.data
    existing = find_open_pull_request(client, full_name, head=head, base=base)
    if existing:
        return existing
    raise client.error(
        "POST",
        f"/repos/{full_name}/pulls",
        422,
        response.headers,
        response.data,
        f"opening a pull request {owner}:{head} → {base} in {full_name}",
    )


def find_open_pull_request(client: GitHubClient, full_name: str, *, head: str, base: str) -> dict | None:
    owner = full_name.split("/")[0]
    query = f"state=open&head={quote(owner + ':' + head)}&base={quote(base)}"
    response = client.request("GET", f"/repos/{full_name}/pulls?{query}", what=f"listing pull requests of {full_name}")
    pulls = response.data or []
    return pulls[0] if pulls else None
