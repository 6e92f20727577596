"""jupyter mlops push: the branches to GitHub (repository, environments, secrets) or another remote."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._types import UI, Subparsers
from .common import add_dry_run, add_github_url, add_json, add_path, add_yes

HELP = "push the project: GitHub repository, branches, environments and secrets (or any git remote)"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "push",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". With no owner, the "
        "branches go to a local bare repository (the embedded default), or to --remote.",
    )
    add_path(p)
    p.add_argument("--owner", help="GitHub user or organisation (default: mlops.toml's owner; none: a local remote)")
    visibility = p.add_mutually_exclusive_group()
    visibility.add_argument(
        "--private",
        dest="private",
        action="store_const",
        const=True,
        help="create the repository private (the default)",
    )
    visibility.add_argument(
        "--public", dest="private", action="store_const", const=False, help="create the repository public"
    )
    add_github_url(p)
    p.add_argument(
        "--remote",
        metavar="URL",
        help="push to this git URL or path instead of GitHub (GitLab, a bare repository…); git's own credentials apply",
    )
    p.add_argument(
        "--secrets-file",
        metavar="FILE.env",
        help="CI secret values to set where not set yet: NAME=value (the branches that need NAME) or "
        "BRANCH_NAME=value, e.g. STAGING_KFP_PASSWORD=… (one branch); - reads them from standard input (those "
        'lines, or JSON {"BRANCH": {"NAME": "value"}})',
    )
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.set_defaults(handler=run, private=None)


def check_before_token(args: argparse.Namespace) -> None:
    """The values given are checked before anyone is asked for a token: a typo is not worth a secret."""
    from ..errors import InvalidInput
    from ..github.client import normalize_api_url
    from ..settings.validators import check_owner

    if args.owner and (problem := check_owner(args.owner)):
        raise InvalidInput(f"--owner: {problem}")
    if args.github_url is not None:
        normalize_api_url(args.github_url)


def needs_github(root: Path, args: argparse.Namespace) -> bool:
    from ..operations.init import load_project_spec
    from ..operations.push import recorded_github

    if args.remote is not None:
        return False
    if args.owner:
        return True
    spec = load_project_spec(root) if (root / "mlops.toml").is_file() else None
    return bool(spec and spec.owner) or ((root / ".git").exists() and recorded_github(root) is not None)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.push import apply_push, plan_push
    from ..progress import Progress
    from .github_auth import github_token
    from .secrets_input import read_branch_secrets

    root = Path(args.path)
    secrets = None
    if args.secrets_file:
        from ..operations.push import require_project

        secrets = read_branch_secrets(args.secrets_file, ui, require_project(root.absolute()))
    check_before_token(args)
    token = github_token(ui) if needs_github(root, args) else None
    progress = Progress(ui.event)
    plan = plan_push(
        root,
        token=token,
        owner=args.owner,
        private=args.private,
        github_url=args.github_url,
        remote_url=args.remote,
        secrets=secrets,
        progress=progress,
    )
    if plan.github and ui.interactive and not args.dry_run:
        for branch, s in plan.github.branches.items():
            typed = {}
            for name in list(s.missing):
                value = ui.secret(f"{name} for {branch} (input hidden; Enter to skip)")
                if value:
                    typed[name] = value
            if typed:
                plan.provide_secrets(branch, typed)
    if args.dry_run:
        return ui.dry_run(plan)
    if plan.nothing_to_do:
        ui.line(f"Nothing to do: {plan.remote_url} is up to date.")
        ui.result({"nothing_to_do": True, "plan": plan.to_dict()})
        for line in plan.describe()[1:]:
            if "warning" in line or "note" in line or "not given" in line:
                ui.line(line)
        return 0
    if ui.interactive:
        for line in plan.describe():
            ui.line(line)
        if not ui.confirm("Apply this plan?"):
            ui.line("Nothing was changed.")
            return 0
    result = apply_push(plan, progress)
    if result.target == "embedded":
        ui.line(f"Pushed to the embedded default remote {result.remote_url}")
        ui.line(f"  clone it with: git clone {result.remote_url}")
    elif result.repo_url:
        ui.line(f"Repository: {result.repo_url}")
    for w in result.warnings:
        ui.line(f"! {w}")
    ui.result(result.to_dict())
    return 0
