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
