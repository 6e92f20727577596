"""The GitHub token for the CLI: from the environment, else a hidden prompt; never an argument."""

from __future__ import annotations

import os

from .._types import UI
from ..errors import Unauthenticated

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")


def github_token(ui: UI) -> str:
    """``GITHUB_TOKEN`` / ``GH_TOKEN``, else a hidden prompt (or one line of standard input)."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value

    try:
        token = ui.secret("GitHub token (input hidden; classic token with repo and workflow scopes)").strip()
    except EOFError:
        token = ""
    if not token:
        raise Unauthenticated(
            "No GitHub token. Export GITHUB_TOKEN (or GH_TOKEN) with a token that has the repo and workflow "
            "scopes, or paste it at the prompt. It is never stored."
        )
    return token
