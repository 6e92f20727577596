"""jupyter mlops secrets set|import|list: the project's CI secrets on GitHub (values never on argv)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._types import UI, Subparsers
from .common import add_dry_run, add_github_url, add_json, add_path, add_yes

HELP = "set, import or list the CI secrets on GitHub (names only; values never leave this machine unsealed)"
ENV_HELP = (
    "branch whose environment gets the secret (default: the branches whose settings need it, or every "
    "branch for a name none needs)"
)


def trailing_path(parser_class: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """``secrets set NAME --env B PATH``: argparse settles both positionals at NAME and would reject the
    PATH that follows an option; this parser class takes that one trailing word as PATH."""

    return type("TrailingPath", (_TrailingPath, parser_class), {})


class _TrailingPath(argparse.ArgumentParser):
    """The part ``trailing_path`` adds, put before the face's own parser class (a plain or a JSON one)."""

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:  # argparse's own call: (args, namespace)
        ns, extras = super().parse_known_args(*args, **kwargs)
        if extras and getattr(ns, "path", None) == "." and not extras[0].startswith("-"):
            ns.path = extras.pop(0)
        return ns, extras


def register(sub: Subparsers) -> None:
    p = sub.add_parser("secrets", help=HELP, description=HELP[0].upper() + HELP[1:] + ".")
    verbs = p.add_subparsers(dest="secrets_verb", metavar="ACTION", parser_class=trailing_path(type(p)))
    verbs.required = True

    s = verbs.add_parser(
        "set",
        help="set one secret; the value comes from standard input or a hidden prompt",
        description="Set one secret. The value is read from standard input when it is not a "
        "terminal (all of it, one trailing newline dropped), else from a hidden prompt.",
    )
    s.add_argument("name", metavar="NAME", help="e.g. KFP_TOKEN, KFP_PASSWORD, AWS_SECRET_ACCESS_KEY")
    _writer_args(s, run_set)

    i = verbs.add_parser(
        "import",
        help="set every NAME=value of a .env file",
        description="Set every NAME=value of a .env file. Without --env, BRANCH_NAME=value "
        "(e.g. STAGING_KFP_PASSWORD) goes to that branch only.",
    )
    i.add_argument("file", metavar="FILE.env")
    _writer_args(i, run_import)

    ls = verbs.add_parser(
        "list",
        help="names and update times (GitHub never returns values)",
        description="List the secrets' names and update times per branch, and the ones the "
        "branches' settings need that are not set.",
    )
    ls.add_argument("--env", metavar="BRANCH", help="only this branch")
    add_path(ls)
    add_github_url(ls)
    add_json(ls)
    add_yes(ls)
    ls.set_defaults(handler=run_list)


def _writer_args(p: argparse.ArgumentParser, handler: Callable[[argparse.Namespace, UI], int]) -> None:
    p.add_argument("--env", metavar="BRANCH", help=ENV_HELP)
    add_path(p)
    add_github_url(p)
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.set_defaults(handler=handler)


def _apply(args: argparse.Namespace, ui: UI, values: dict[str, str], token: str) -> int:
    from ..operations.secrets import apply_secrets_set, plan_secrets_set
    from ..progress import Progress

    plan = plan_secrets_set(Path(args.path), values, token=token, env=args.env, github_url=args.github_url)
    if args.dry_run:
        return ui.dry_run(plan, "sent")
    result = apply_secrets_set(plan, Progress(ui.event))
    ui.result(result.to_dict())
    return 0


def _check_name(name: str) -> None:
    from ..errors import InvalidInput
    from ..github.secrets import check_secret_name

    if problem := check_secret_name(name):
        raise InvalidInput(f"NAME: {problem}")


def _check_project(args: argparse.Namespace) -> None:
    """The folder is a project, and --github-url is a URL, before anyone is asked for a token."""
    from ..github.client import normalize_api_url
    from ..operations.push import require_project

    require_project(Path(args.path).absolute())
    if args.github_url is not None:
        normalize_api_url(args.github_url)


def run_set(args: argparse.Namespace, ui: UI) -> int:
    from .github_auth import github_token

    _check_name(args.name)  # before asking for anything
    _check_project(args)
    token = github_token(ui)
    if ui.stdin.isatty():
        try:
            value = ui.secret(f"Value of {args.name} (input hidden)")
        except EOFError:
            from ..errors import InvalidInput

            raise InvalidInput(f"No value for {args.name}; give it on standard input (never as an argument)") from None
    else:
        value = ui.stdin.read()
        value = value[:-2] if value.endswith("\r\n") else value[:-1] if value.endswith("\n") else value
    return _apply(args, ui, {args.name: value}, token)


def run_import(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.secrets import read_env_file
    from .github_auth import github_token

    values = read_env_file(args.file)
    _check_project(args)
    return _apply(args, ui, values, github_token(ui))


def run_list(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.secrets import list_secrets
    from .github_auth import github_token

    _check_project(args)
    listing = list_secrets(Path(args.path), token=github_token(ui), env=args.env, github_url=args.github_url)
    ui.result(listing.to_dict())
    ui.line(f"{listing.repository} (secrets mode: {listing.secrets_mode})")
    if not listing.entries:
        ui.line("  no secrets set")
    for e in listing.entries:
        shown = e.name if e.github_name == e.name else f"{e.name} (as {e.github_name})"
        ui.line(f"  {e.branch:<12} {shown:<40} updated {e.updated_at or '?'}")
    for branch, names in listing.missing.items():
        for n in names:
            ui.line(
                f"! {branch}: {n} is needed by the branch's settings and not set: "
                f"jupyter mlops secrets set {n} --env {branch}"
            )
    for branch, names in listing.optional.items():
        ui.line(f"· {branch}: not set, needed only by an MLflow server with login: {', '.join(names)}")
    return 0
