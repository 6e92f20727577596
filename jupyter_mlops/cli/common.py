"""Arguments several verbs share, declared once."""

from __future__ import annotations

import argparse


def add_path(parser: argparse.ArgumentParser, help: str = "project folder (default: the current folder)") -> None:
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help=help)


def add_yes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", "-y", action="store_true", help="take the defaults, never prompt")


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")


def add_github_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--github-url",
        metavar="URL",
        default=None,
        help="GitHub API URL for GitHub Enterprise, e.g. https://HOST/api/v3",
    )


def add_branch(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--branch", "-b", metavar="B", help=f"the branch to {what} (default: the checked-out one)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="machine output: one JSON object per line on stdout (progress events, then the result or the "
        "error); never prompts",
    )


def read_secrets_file(path: str, ui) -> dict[str, str]:
    """``--secrets-file FILE.env``, or ``-``: the same lines from standard input (no value on argv or disk)."""
    from ..operations.secrets import parse_env_text, read_env_file

    if path == "-":
        return parse_env_text(ui.stdin.read(), "standard input")
    return read_env_file(path)


def read_branch_secrets(path: str, ui, spec) -> dict[str, dict[str, str]]:
    """Secret values by branch for push: a .env file (see ``assign_to_branches``), or on standard input either
    .env lines or a JSON object ``{"BRANCH": {"NAME": "value"}}`` (what a form sends; the REST body's shape)."""
    import json

    from ..errors import InvalidInput
    from ..operations.secrets import assign_to_branches, parse_env_text, read_env_file

    if path != "-":
        return assign_to_branches(read_env_file(path), spec)
    text = ui.stdin.read()
    if not text.lstrip().startswith("{"):
        return assign_to_branches(parse_env_text(text, "standard input"), spec)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"standard input is not JSON ({exc.msg}); give {{BRANCH: {{NAME: value}}}}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in data.values()
    ):
        raise InvalidInput('standard input: give a JSON object {"BRANCH": {"NAME": "value"}} of text values')
    out: dict[str, dict[str, str]] = {}
    for branch, values in data.items():
        out.update(assign_to_branches(values, spec, env=branch))
    return out
