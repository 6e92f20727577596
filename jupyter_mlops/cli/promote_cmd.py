"""jupyter mlops promote: the pull request development → staging, or staging → production."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._types import UI, Subparsers
from .common import add_dry_run, add_github_url, add_json, add_path, add_yes

HELP = "open the pull request development → staging or staging → production, with its evidence"


def register(sub: Subparsers) -> None:
    p = sub.add_parser("promote", help=HELP, description=HELP[0].upper() + HELP[1:] + " (one step at a time).")
    p.add_argument("source", metavar="FROM", help="the branch whose work moves on, e.g. development")
    p.add_argument("target", metavar="TO", help="the next branch, e.g. staging")
    add_path(p)
    add_github_url(p)
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..github.client import GitHubClient
    from ..operations.init import load_project_spec
    from ..operations.promote import apply_promote, check_direction, plan_promote
    from ..progress import Progress
    from .github_auth import github_token

    root = Path(args.path).absolute()
    spec = load_project_spec(root)
    if spec is not None:  # a wrong direction is refused before asking for a token
        check_direction(spec.branch_names, args.source, args.target)
    client = GitHubClient(github_token(ui), args.github_url)
    plan = plan_promote(root, args.source, args.target, github=client)
    if args.dry_run:
        return ui.dry_run(plan)
    for text in plan.describe()[1:]:  # the notes, then the evidence the pull request will carry
        ui.line(text)
    result = apply_promote(plan, Progress(ui.event))
    if result.url:
        ui.line(f"Pull request: {result.url}")
    ui.result(result.to_dict())
    return 0
