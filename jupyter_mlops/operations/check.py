"""check: the branch's CI preflight, run locally (data access, KFP reachable and authenticated, MLflow); or,
with ``inference``, the inference tests against the branch's deployed model.

It runs the generated project's own ``main.py --check`` for the branch, so it checks exactly what CI
checks, with the credentials of the same names taken from the environment the face passes in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..errors import InvalidInput
from ..progress import Progress
from .branch_entry import EntryPlan, EntryResult, apply_entry, plan_entry


def plan_check(root: Path | str, branch: str | None = None, *, inference: bool = False) -> EntryPlan:
    """``branch``: default the current git branch when it is one of the project's, else the default branch.
    ``inference``: instead of the preflight, the project's inference tests against the branch's deployed model
    (``main.py --inference-test``: KServe's V1 and V2 protocols through the platform's gateway)."""
    plan = plan_entry("check", root, branch, ["--inference-test" if inference else "--check"])
    if inference and not (plan.root / "tests" / "inference").is_dir():
        raise InvalidInput(
            f"{plan.root} has no tests/inference/: inference tests against the deployed model come with the "
            "example pipeline (example = true); run `jupyter mlops check` without --inference for the preflight"
        )
    return plan


def apply_check(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    return apply_entry(plan, progress, env)
