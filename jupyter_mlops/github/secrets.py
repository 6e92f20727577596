"""GitHub Actions secrets: names checked by GitHub's rules, values sealed client-side.

Values are encrypted with a libsodium sealed box (pynacl) against the public key of the environment
(or repository) that receives them, as GitHub documents
(docs.github.com/rest/guides/encrypting-secrets-for-the-rest-api); only GitHub can open them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import partial

from .._types import SecretOutcome
from ..errors import InvalidInput, NotFound
from .client import GitHubClient

# Naming rules: docs.github.com/actions/security-for-github-actions/security-guides/
# using-secrets-in-github-actions#naming-your-secrets
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_VALUE_BYTES = 48 * 1024  # "Secrets can store values of up to 48 KB in size."


def check_secret_name(name: str) -> str | None:
    """GitHub's rules; returns what is wrong (and how to fix it) or None."""
    if not name:
        return "a secret name is empty"
    if not _NAME.match(name):
        if name[0].isdigit():
            return f"{name!r} starts with a digit; GitHub secret names start with a letter or '_'"
        return (
            f"{name!r} has characters GitHub does not allow in a secret name; use letters, digits and '_', "
            "e.g. KFP_TOKEN"
        )
    if name.upper().startswith("GITHUB_"):
        return f"{name!r} starts with GITHUB_, a prefix GitHub reserves; choose another name"
    return None


def check_secret_value(name: str, value: str) -> str | None:
    if value == "":
        return f"{name} has an empty value; give the secret's value (GitHub does not store empty secrets)"
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        return f"{name} is larger than 48 KB, GitHub's limit for a secret value"
    return None


def validate(values: dict[str, str]) -> None:
    problems = [p for n in values for p in (check_secret_name(n),) if p]
    problems += [p for n, v in values.items() if not check_secret_name(n) for p in (check_secret_value(n, v),) if p]
    if problems:
        raise InvalidInput("Some secrets cannot be set (nothing was sent to GitHub):", details=problems)


def seal(public_key_b64: str, value: str) -> str:
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


@dataclass(frozen=True)
class SecretStore:
    """Where secrets go: an environment of the repository, or the repository itself."""

    owner: str
    repo: str
    environment: str | None = None

    @property
    def base(self) -> str:
        if self.environment:
            # docs.github.com/rest/actions/secrets#create-or-update-an-environment-secret
            return f"/repos/{self.owner}/{self.repo}/environments/{self.environment}/secrets"
        # docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret
        return f"/repos/{self.owner}/{self.repo}/actions/secrets"

    @property
    def label(self) -> str:
        return f"environment {self.environment}" if self.environment else "repository secrets"

    def list(self, client: GitHubClient, *, missing_ok: bool = False) -> dict[str, str] | None:
        """Name → updated_at (names only: GitHub never returns values). None when the store is missing."""
        names: dict[str, str] = {}
        page = 1
        while True:
            resp = client.request(
                "GET",
                f"{self.base}?per_page=100&page={page}",
                accept=(200, 404) if missing_ok else (200,),
                what=f"listing {self.label}",
            )
            if resp.status == 404:
                return None
            for item in resp.data.get("secrets", []):
                names[item["name"]] = item.get("updated_at", "")
            if len(names) >= resp.data.get("total_count", 0) or not resp.data.get("secrets"):
                return names
            page += 1

    def public_key(self, client: GitHubClient) -> tuple[str, str]:
        """docs.github.com/rest/actions/secrets#get-an-environment-public-key (or a repository public key)."""
        resp = client.request(
            "GET", f"{self.base}/public-key", accept=(200, 404), what=f"reading the public key of {self.label}"
        )
        if resp.status == 404:
            raise NotFound(
                f"{self.owner}/{self.repo} has no {self.label} on GitHub (or the token cannot see it). "
                "Run `jupyter mlops push` to create the repository and its environments, then set the "
                "secret again."
            )
        return resp.data["key_id"], resp.data["key"]

    def put_all(self, client: GitHubClient, values: dict[str, str]) -> dict[str, SecretOutcome]:
        """Seal and store every value concurrently. Returns name → created|updated."""
        if not values:
            return {}
        key_id, key = self.public_key(client)

        def put(name: str, value: str) -> tuple[str, SecretOutcome]:
            resp = client.request(
                "PUT",
                f"{self.base}/{name}",
                {"encrypted_value": seal(key, value), "key_id": key_id},
                accept=(201, 204),
                what=f"setting {name} in {self.label}",
            )
            return name, "created" if resp.status == 201 else "updated"

        return dict(client.parallel([partial(put, n, v) for n, v in values.items()]))
