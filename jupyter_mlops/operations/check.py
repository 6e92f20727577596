"""check: the branch's CI preflight, run locally (data access, KFP reachable and authenticated, MLflow).

It runs the generated project's own ``main.py --check`` for the branch, so it checks exactly what CI
checks, with the credentials of the same names taken from the environment the face passes in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..progress import Progress
from .branch_entry import EntryPlan, EntryResult, apply_entry, plan_entry


def plan_check(root: Path | str, branch: str | None = None) -> EntryPlan:
    """``branch``: default the current git branch when it is one of the project's, else the default branch."""
    return plan_entry("check", root, branch, ["--check"])


def apply_check(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    return apply_entry(plan, progress, env)
