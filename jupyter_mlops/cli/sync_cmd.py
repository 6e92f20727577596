"""jupyter mlops sync: merge the main config repo's updates into a project (or, with --all, every project)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import UI, Subparsers
from .common import add_dry_run, add_github_url, add_json, add_path, add_yes

if TYPE_CHECKING:  # the client is imported only when GitHub is involved
    from ..github.client import GitHubClient

HELP = "merge the main config repo's updates into the project's branches (--all: every project)"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sync",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". Project-owned files keep the project's version; a "
        "conflict in an org-owned file is reported file by file and that branch is left exactly as it was "
        "(exit status 1 while a conflict waits; 2 for a usage error).",
    )
    add_path(p, "the project's folder, or with --all the main repo's folder (default: the current folder)")
    p.add_argument(
        "--all",
        dest="all_projects",
        action="store_true",
        help="in the main repo: sync every project made from it and print one summary table",
    )
    p.add_argument(
        "--pr",
        action="store_true",
        help="push each merge to mlops-sync/<branch> and open a pull request instead of pushing directly",
    )
    add_github_url(p)
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.set_defaults(handler=run)


def _github_client(args: argparse.Namespace, root: Path, ui: UI) -> GitHubClient | None:
    """A client when GitHub is involved: --pr, --github-url, or a remote on github.com."""

    from ..vcs.remote import get_url
    from .github_auth import TOKEN_VARIABLES, github_token

    urls = [u for u in (get_url(root, "origin"), get_url(root, "upstream")) if u]
    on_github = any("://github.com/" in u or u.startswith("git@github.com:") for u in urls)
    has_token = any(os.environ.get(v, "").strip() for v in TOKEN_VARIABLES)
    if not (args.pr or args.github_url or on_github or (args.all_projects and has_token)):
        return None
    from ..github.client import GitHubClient

    return GitHubClient(github_token(ui), args.github_url)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.sync import apply_sync, plan_sync
    from ..progress import Progress

    root = Path(args.path).absolute()
    client = _github_client(args, root, ui) if (root / ".git").exists() else None
    plan = plan_sync(root, all_projects=args.all_projects, pr=args.pr, github=client)
    if args.dry_run:
        return ui.dry_run(plan)
    result = apply_sync(plan, Progress(ui.event))
    ui.result(result.to_dict())
    ui.line("")
    for line in result.table():
        ui.line(line)
    details = result.details()
    if details:
        ui.line("")
        for line in details:
            ui.line(line)
    return 1 if result.conflicts or result.errors else 0
