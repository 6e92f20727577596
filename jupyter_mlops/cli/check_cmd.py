"""jupyter mlops check: the branch's CI preflight, run locally."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .._types import UI, Subparsers
from .common import add_branch, add_json, add_path, add_yes

HELP = "run a branch's CI preflight here: data access, Kubeflow reachable and authenticated, MLflow"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "check",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". Credentials come from "
        "the environment variables CI uses (KFP_TOKEN, KFP_USERNAME, KFP_PASSWORD, AWS_*).",
    )
    add_path(p)
    add_branch(p, "check")
    p.add_argument(
        "--inference",
        action="store_true",
        help="instead, run the project's inference tests against the branch's deployed model (KServe V1 and V2, "
        "through the platform's gateway with the branch's credentials; INFERENCE_URL to name the service)",
    )
    add_yes(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    from ..operations.check import apply_check, plan_check
    from ..progress import Progress

    plan = plan_check(Path(args.path), args.branch, inference=args.inference)
    result = apply_check(plan, Progress(ui.event), env=dict(os.environ))
    ui.result(result.to_dict())
    return 0
