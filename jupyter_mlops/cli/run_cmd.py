"""jupyter mlops run: submit a branch's pipeline to its Kubeflow, or run it on this machine."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .._types import UI, Subparsers
from .common import add_branch, add_json, add_path, add_yes

HELP = "submit a branch's pipeline to its Kubeflow (after the preflight), or run it here with --local"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "run",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". Runs the project's own "
        "src/pipelines/<branch>/main.py, as CI does; credentials from the same environment variables.",
    )
    add_path(p)
    add_branch(p, "run")
    p.add_argument(
        "--local",
        action="store_true",
        help="run the whole pipeline here on kfp.local (no cluster); outputs in local_outputs/",
    )
    p.add_argument("--wait", action="store_true", help="wait for the Kubeflow run to finish; fail if it fails")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="how long --wait waits (default 3600)")
    p.add_argument(
        "--install",
        action="store_true",
        help="with --local: first install what requirements.txt lists and this Python lacks into the project's "
        "own environment (<project>/.venv); your environment stays as it is",
    )
    add_yes(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.run import apply_run, plan_run
    from ..progress import Progress

    if args.install and not args.local:
        from ..errors import InvalidInput

        raise InvalidInput("--install is for --local runs (a run on Kubeflow installs in its pods)")
    plan = plan_run(
        Path(args.path), args.branch, local=args.local, wait=args.wait, timeout=args.timeout, install=args.install
    )
    if plan.environment and plan.missing and not plan.install and ui.interactive:
        ui.line(f"{plan.root.name} needs packages this Python lacks: {', '.join(plan.missing)}")
        plan.install = ui.confirm(f"Install them into {plan.environment.venv} (the project's own environment)?")
    result = apply_run(plan, Progress(ui.event), env=dict(os.environ))
    ui.result(result.to_dict())
    return 0
