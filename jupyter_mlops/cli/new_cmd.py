"""jupyter mlops new: a project repository made from the organisation's main config repo."""

from __future__ import annotations

import argparse

from .._types import UI, Subparsers
from .common import add_dry_run, add_github_url, add_json, add_yes
from .push_cmd import check_before_token

HELP = "make a project repository from the main config repo (GitHub fork, or a mirror fork)"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "new",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". On GitHub the fork API makes it (same organisation "
        "allowed); where a fork is not possible, or for any other git remote or path, a mirror fork: a new "
        "repository with the main repo's history. Then the project-owned files are personalised, the "
        "project is pushed as `push` does (environments, secrets) and recorded for `sync --all`.",
    )
    p.add_argument("name", metavar="NAME", help="the new project's repository name")
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="OWNER/MAIN",
        help="the main config repo: OWNER/NAME on GitHub, or a git URL or path",
    )
    p.add_argument("--owner", help="GitHub user or organisation for the project (default: the main repo's owner)")
    p.add_argument("--description", help="one line for the README and GitHub (default: mlops-defaults.toml's)")
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a project-owned setting, e.g. --set staging.data.uri=s3://bucket/wine.csv (repeatable)",
    )
    p.add_argument("--dir", dest="directory", metavar="PATH", help="folder for the clone (default: ./NAME)")
    p.add_argument(
        "--remote",
        metavar="URL",
        help="for a main repo outside GitHub: the project's git URL or path (default: a local bare "
        "repository, as push's embedded default)",
    )
    p.add_argument(
        "--secrets-file",
        metavar="FILE.env",
        help="CI secret values, as for push: NAME=value or BRANCH_NAME=value; - reads them from standard input",
    )
    add_github_url(p)
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.set_defaults(handler=run)


def needs_github(args: argparse.Namespace) -> bool:
    from ..operations.new import names_github_repo

    text = args.source.strip()
    return bool(args.owner) or names_github_repo(text) or bool(args.github_url and "://" in text)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.new import apply_new, plan_new
    from ..progress import Progress
    from ..settings.spec import parse_assignments
    from .github_auth import github_token
    from .secrets_input import read_secrets_file

    settings = parse_assignments(args.settings)
    client = None
    check_before_token(args)
    if needs_github(args):
        from ..github.client import GitHubClient

        client = GitHubClient(github_token(ui), args.github_url)
    progress = Progress(ui.event)
    plan = plan_new(
        args.name,
        args.source,
        owner=args.owner,
        directory=args.directory,
        description=args.description,
        settings=settings,
        remote_url=args.remote,
        client=client,
        progress=progress,
    )
    if args.dry_run:
        return ui.dry_run(plan)
    if ui.interactive:
        for line in plan.describe():
            ui.line(line)
        if not ui.confirm("Apply this plan?"):
            ui.line("Nothing was changed.")
            return 0
    secret_values = read_secrets_file(args.secrets_file, ui) if args.secrets_file else None
    result = apply_new(plan, progress, secret_values=secret_values)
    ui.line(f"Project {result.name}: {result.directory}")
    ui.line(f"  repository: {plan.project_url} ({result.method})")
    for item in result.kept:
        ui.line(f"· kept the main repo's version of {item} (the organisation customised it)")
    for w in result.warnings:
        ui.line(f"! {w}")
    ui.result(result.to_dict())
    return 0
