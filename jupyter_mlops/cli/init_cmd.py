"""jupyter mlops init: scaffold the project repository."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import UI, Subparsers
from .common import add_dry_run, add_json, add_path, add_yes

if TYPE_CHECKING:  # the verb imports the settings when it runs, not when the parser is built
    from ..operations.init import InitPlan
    from ..settings.spec import ProjectSpec, Setting

HELP = "create the project repository: layout, three branches, pipeline skeleton"


def register(sub: Subparsers) -> None:
    p = sub.add_parser("init", help=HELP, description=HELP[0].upper() + HELP[1:] + ".")
    add_path(p, "folder to create the project in (default: the current folder)")
    p.add_argument("--name", help="repository name (default: the folder's name)")
    add_yes(p)
    add_dry_run(p)
    add_json(p)
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting, e.g. --set staging.kfp.auth=dex (repeatable)",
    )
    p.add_argument("--config", metavar="FILE", help="settings from a TOML or JSON file (keys as in --set)")
    p.add_argument(
        "--main", action="store_true", help="create the organisation's main config repo instead of a project"
    )
    p.set_defaults(handler=run)


def ask_settings(spec: ProjectSpec, ui: UI, skip: set[str]) -> None:
    """On a terminal: ask each setting page by page, as the forms show them, with its default; Enter keeps it.
    A setting whose ``when`` does not hold with the answers so far is not asked."""
    from ..settings.spec import GROUPS, InvalidInput, applies, on_page

    def checker(key):
        def check(value):
            trial = spec.copy()
            try:
                trial.set(key, value)
            except InvalidInput as exc:
                return exc.message
            return None

        return check

    def ask(setting: Setting, key: str, label: str, branch: str | None = None) -> None:
        if key in skip or not applies(setting, spec.flat(), branch):
            return
        default = spec.get(key)
        spec.set(key, ui.ask(label, str(default).lower() if isinstance(default, bool) else str(default), checker(key)))

    for group in GROUPS:
        for branch in spec.branch_names if group.per_branch else [None]:
            if branch is not None:
                ui.line(f"-- {branch} branch")
            for s in on_page(group):
                ask(s, f"{branch}.{s.key}" if branch else s.key, f"{branch} {s.label}" if branch else s.label, branch)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.init import build_spec, plan_init
    from ..settings.spec import parse_assignments

    root = Path(args.path)
    settings = parse_assignments(args.settings)
    spec = build_spec(
        root, name=args.name, settings=settings, config_file=args.config, kind="main" if args.main else "project"
    )
    if ui.interactive and not args.dry_run and not (root / "mlops.toml").exists():
        given = set(settings) | ({"name"} if args.name else set())
        ask_settings(spec, ui, given)
        spec.validate()
    plan = plan_init(root, spec, start_git=not args.dry_run)
    try:
        return _apply(plan, args, settings, spec, ui)
    finally:
        plan.discard()  # a no-op once applied


def _apply(plan: InitPlan, args: argparse.Namespace, settings: dict, spec: ProjectSpec, ui: UI) -> int:
    from ..progress import Progress

    if plan.mode == "update":
        ignored = [k for k in settings if str(spec.get(k)) != str(plan.spec.get(k))]
        if args.name and args.name != plan.spec.name:
            ignored.append("name")
        if ignored:
            ui.event_warn(
                f"This folder is already a project: its mlops.toml wins, so {', '.join(ignored)} "
                "stayed as recorded. Change them in the branch's platform.yaml / config.yaml."
            )
    if args.dry_run:
        return ui.dry_run(plan, "written")
    if plan.nothing_to_do:
        ui.line(f"Nothing to do: {plan.root} is already a complete jupyter-mlops project.")
        ui.result(plan.to_dict())
        return 0
    from ..operations.init import apply_init

    apply_init(plan, Progress(ui.event))
    for f in plan.kept:
        ui.line(f"· kept {f.path} (your version; not overwritten)")
    ui.result(plan.to_dict())
    return 0
