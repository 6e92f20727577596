"""Helpers shared by the push, secrets and status tests (and the push benchmark)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git
from tests.standins.github import repo_summary

BRANCHES = ["development", "staging", "production"]
# Dex login on staging and production (the defaults) needs KFP_USERNAME and KFP_PASSWORD there.
SECRETS_FILE = "KFP_USERNAME=user@example.com\nKFP_PASSWORD=shared-pw\nPRODUCTION_KFP_PASSWORD=prod-pw\n"
EXPECTED_SECRETS = {
    "staging": {"KFP_USERNAME": "user@example.com", "KFP_PASSWORD": "shared-pw"},
    "production": {"KFP_USERNAME": "user@example.com", "KFP_PASSWORD": "prod-pw"},
}
SECRET_VALUES = {b: dict(v) for b, v in EXPECTED_SECRETS.items()}


def local_heads(root: Path) -> dict[str, str]:
    return {b: git(root, "rev-parse", b).strip() for b in BRANCHES}


def remote_state(gh, owner: str, name: str) -> dict:
    """What a user would check on GitHub's pages: the repository, its branches, environments, secrets, rules."""
    summary = repo_summary(gh, owner, name)
    assert summary is not None, f"{owner}/{name} does not exist on the stand-in"
    return summary


def expected_state(root: Path) -> dict:
    """The finished setup for a default project pushed with SECRETS_FILE."""
    policy = {"protected_branches": False, "custom_branch_policies": True}
    return {
        "private": True,
        "default_branch": "development",
        "branches": local_heads(root),
        "environments": {
            b: {"policy": policy, "patterns": [b], "secrets": EXPECTED_SECRETS.get(b, {})} for b in BRANCHES
        },
        "repo_secrets": {},
        "protection": {"staging": 0, "production": 0},
    }
