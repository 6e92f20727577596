"""The repository on GitHub: create or reuse it, its default branch, environments, branch protection."""

from __future__ import annotations

from dataclasses import dataclass

from .client import GitHubClient, Response


def get_repo(client: GitHubClient, owner: str, name: str) -> dict | None:
    """docs.github.com/rest/repos/repos#get-a-repository (404: missing or invisible to the token)."""
    resp = client.request("GET", f"/repos/{owner}/{name}", accept=(200, 404), what=f"reading {owner}/{name}")
    return resp.data if resp.status == 200 else None


def create_repo(
    client: GitHubClient, owner: str, name: str, *, user_owned: bool, private: bool, description: str
) -> tuple[dict, bool]:
    """Create an empty repository (no README, so our history is its first). Returns (repo, created).

    A 422 "name already exists" after a retried request means our first attempt went through: the
    repository is read back and the caller's reuse checks apply to it.
    """
    path = "/user/repos" if user_owned else f"/orgs/{owner}/repos"
    body = {"name": name, "description": description, "private": private, "auto_init": False, "has_wiki": False}
    resp = client.request("POST", path, body, accept=(201, 422), what=f"creating {owner}/{name}")
    if resp.status == 201:
        return resp.data, True
    existing = get_repo(client, owner, name)
    if existing is None:
        raise client.error("POST", path, resp.status, resp.headers, resp.data, f"creating {owner}/{name}")
    return existing, False


def set_default_branch(client: GitHubClient, owner: str, name: str, branch: str) -> None:
    """docs.github.com/rest/repos/repos#update-a-repository"""
    client.request(
        "PATCH", f"/repos/{owner}/{name}", {"default_branch": branch}, what=f"making {branch} the default branch"
    )


# ---------------------------------------------------------------- environments


@dataclass
class EnvironmentState:
    exists: bool
    custom_policies: bool  # deployment limited by name patterns (ours: the branch itself)
    user_policy: bool  # another rule the user chose (protected branches): left alone
    patterns: list[str]


def environment_unavailable(resp: Response) -> bool:
    """An environment PUT refused because of the plan, not the token's rights.

    GitHub Free has no environments for private repositories; depending on the call the API answers
    404, 403 or 422 ("please ensure billing plan include protected branch gate"). A 403 naming a
    missing permission (``X-Accepted-GitHub-Permissions``, fine-grained tokens) is a rights problem.
    """
    if resp.status in (404, 422):
        return True
    return resp.status == 403 and "x-accepted-github-permissions" not in resp.headers


def read_environment(client: GitHubClient, owner: str, name: str, env: str) -> EnvironmentState:
    """docs.github.com/rest/deployments/environments#get-an-environment and
    docs.github.com/rest/deployments/branch-policies#list-deployment-branch-policies"""
    base = f"/repos/{owner}/{name}/environments/{env}"
    resp = client.request("GET", base, accept=(200, 404), what=f"reading environment {env}")
    if resp.status == 404:
        return EnvironmentState(False, False, False, [])
    policy = resp.data.get("deployment_branch_policy") or {}
    if not policy.get("custom_branch_policies"):
        return EnvironmentState(True, False, bool(policy.get("protected_branches")), [])
    listing = client.request(
        "GET", f"{base}/deployment-branch-policies?per_page=100", what=f"reading the deployment branches of {env}"
    )
    patterns = [p["name"] for p in listing.data.get("branch_policies", []) if p.get("type", "branch") == "branch"]
    return EnvironmentState(True, True, False, patterns)


def put_environment(client: GitHubClient, owner: str, name: str, env: str) -> Response:
    """docs.github.com/rest/deployments/environments#create-or-update-an-environment: deployments limited
    to custom branch name patterns. The answer is handed back for ``environment_unavailable``."""
    body = {"deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}
    return client.request(
        "PUT",
        f"/repos/{owner}/{name}/environments/{env}",
        body,
        accept=(200, 403, 404, 422),
        what=f"creating environment {env}",
    )


def add_branch_policy(client: GitHubClient, owner: str, name: str, env: str, branch: str) -> None:
    """docs.github.com/rest/deployments/branch-policies#create-a-deployment-branch-policy
    (200 created; 303 when the pattern exists already, e.g. after a retried request)."""
    client.request(
        "POST",
        f"/repos/{owner}/{name}/environments/{env}/deployment-branch-policies",
        {"name": branch, "type": "branch"},
        accept=(200, 201, 303),
        what=f"limiting environment {env} to branch {branch}",
    )


# ---------------------------------------------------------------- branch protection

PROTECTION = {
    # docs.github.com/rest/branches/branch-protection#update-branch-protection: all four keys required.
    "required_status_checks": None,
    "enforce_admins": False,  # admins may still merge in an emergency
    "required_pull_request_reviews": {"required_approving_review_count": 0, "dismiss_stale_reviews": False},
    "restrictions": None,
}


def is_upgrade_refusal(resp: Response) -> bool:
    message = (resp.data or {}).get("message", "") if isinstance(resp.data, dict) else ""
    return resp.status == 403 and "upgrade" in message.lower()


def read_protection(client: GitHubClient, owner: str, name: str, branch: str) -> str:
    """present | absent | unavailable (the plan has no protected branches for this repository)."""
    resp = client.request(
        "GET",
        f"/repos/{owner}/{name}/branches/{branch}/protection",
        accept=(200, 403, 404),
        what=f"reading the protection of {branch}",
    )
    if resp.status == 200:
        return "present"
    if resp.status == 404:
        return "absent"  # "Branch not protected", or the branch is not pushed yet
    if is_upgrade_refusal(resp):
        return "unavailable"
    raise client.error("GET", "", resp.status, resp.headers, resp.data, f"reading the protection of {branch}")


def protect(client: GitHubClient, owner: str, name: str, branch: str) -> str:
    """Require a pull request to change ``branch``. Returns done | unavailable (GitHub's "upgrade" 403)."""
    resp = client.request(
        "PUT",
        f"/repos/{owner}/{name}/branches/{branch}/protection",
        PROTECTION,
        accept=(200, 403),
        what=f"protecting {branch}",
    )
    if resp.status == 200:
        return "done"
    if is_upgrade_refusal(resp):
        return "unavailable"
    raise client.error("PUT", "", resp.status, resp.headers, resp.data, f"protecting {branch}")
