"""Before any write: who the token belongs to, what it may do, and whether the owner can take the repo.

Classic tokens (and OAuth tokens) list their scopes in the ``X-OAuth-Scopes`` header of every answer
(docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps): push needs ``repo``
(private repositories, environments, secrets, branch protection) and ``workflow`` (pushing
``.github/workflows``). Fine-grained tokens send no such header and GitHub offers no call that lists
their permissions, so they cannot be checked before writing: push says which permissions they need,
and a refusal later names the missing permission from GitHub's ``X-Accepted-GitHub-Permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Forbidden, NotFound
from .client import GitHubClient, Response, token_page

REQUIRED_SCOPES = ("repo", "workflow")
FINE_GRAINED_PERMISSIONS = (
    "Administration: read and write (create the repository, protect branches), "
    "Contents: read and write, Workflows: read and write, Environments: read and write, "
    "Secrets: read and write, Metadata: read"
)


@dataclass
class Identity:
    login: str
    token_kind: str  # classic | fine-grained
    scopes: list[str] | None
    owner: str
    owner_type: str  # User | Organization
    notes: list[str] = field(default_factory=list)
    plan: str | None = None  # the owner's GitHub plan when GitHub shows it (free, pro, team, enterprise…)
    user_plan: str | None = None  # the token user's own plan (GET /user)

    def to_dict(self) -> dict:
        return {
            "login": self.login,
            "token_kind": self.token_kind,
            "scopes": self.scopes,
            "owner": self.owner,
            "owner_type": self.owner_type,
            "plan": self.plan,
            "notes": self.notes,
        }


def identity_from(user: Response, owner: str, api_url: str) -> Identity:
    """Check the token's scopes (classic) from GET /user; raise before any write when one is missing."""
    login = user.data["login"]
    user_plan = (user.data.get("plan") or {}).get("name")
    header = user.headers.get("x-oauth-scopes")
    if header is None:
        return Identity(
            login,
            "fine-grained",
            None,
            owner,
            "User",
            [
                "fine-grained token: GitHub does not list its permissions, so they are checked as each call is "
                f"made; it needs {FINE_GRAINED_PERMISSIONS}"
            ],
            user_plan=user_plan,
        )
    scopes = [s.strip() for s in header.split(",") if s.strip()]
    missing = [s for s in REQUIRED_SCOPES if s not in scopes]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise Forbidden(
            f"The GitHub token of {login} lacks the {' and '.join(missing)} scope{plural} (it has: "
            f"{', '.join(scopes) or 'none'}). push needs repo (private repositories, environments, secrets) and "
            f"workflow (the CI workflow files). Nothing was changed. Create a token with both at "
            f"{token_page(api_url)} and export it as GITHUB_TOKEN."
        )
    return Identity(login, "classic", scopes, owner, "User", user_plan=user_plan)


def check_owner(client: GitHubClient, ident: Identity, *, repo_exists: bool, private: bool) -> None:
    """The owner is the user, or an organisation the user may create repositories in."""
    if ident.owner.lower() == ident.login.lower():
        ident.owner, ident.owner_type = ident.login, "User"
        ident.plan = ident.user_plan
        return
    org, membership = client.parallel(
        [
            lambda: client.request("GET", f"/orgs/{ident.owner}", accept=(200, 404), what=f"reading {ident.owner}"),
            lambda: client.request(
                "GET",
                f"/user/memberships/orgs/{ident.owner}",
                accept=(200, 403, 404),
                what=f"reading your membership of {ident.owner}",
            ),
        ]
    )
    if org.status == 404:
        user = client.request("GET", f"/users/{ident.owner}", accept=(200, 404), what=f"reading {ident.owner}")
        if user.status == 404:
            raise NotFound(
                f"There is no GitHub user or organisation {ident.owner!r} on {client.web_url}. Check "
                f"the spelling, or use --owner {ident.login} for your own account."
            )
        if not repo_exists:
            raise Forbidden(
                f"{ident.owner} is another user's account: you ({ident.login}) can create repositories "
                f"only in your own account or in an organisation you belong to. Use --owner "
                f"{ident.login}, or an organisation."
            )
        ident.owner_type = "User"
        return
    ident.owner, ident.owner_type = org.data.get("login", ident.owner), "Organization"
    ident.plan = (org.data.get("plan") or {}).get("name")  # shown to members with the right to see it
    if repo_exists:
        return  # rights on an existing repository are checked on the repository itself
    if membership.status != 200 or membership.data.get("state") != "active":
        raise Forbidden(
            f"You ({ident.login}) are not a member of the organisation {ident.owner}, so push cannot "
            f"create a repository there. Ask an owner of {ident.owner} to add you, or use --owner "
            f"{ident.login}."
        )
    if membership.data.get("role") == "admin":
        return
    key = "members_can_create_private_repositories" if private else "members_can_create_public_repositories"
    allowed = org.data.get(key, org.data.get("members_can_create_repositories", True))
    if allowed is False:
        kind = "private" if private else "public"
        raise Forbidden(
            f"Members of {ident.owner} may not create {kind} repositories. Ask an owner to create an "
            f"empty repository {ident.owner}/<name> and give you admin on it (push then uses it), or "
            f"use --owner {ident.login}."
        )


def check_repo_rights(repo: dict, login: str) -> None:
    permissions = repo.get("permissions") or {}
    if not permissions.get("admin"):
        raise Forbidden(
            f"{login} has no admin rights on {repo.get('full_name')}: environments, secrets and branch "
            "protection need admin. Ask an owner of the repository to make you an admin."
        )
