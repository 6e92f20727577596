"""run: submit the branch's pipeline to its Kubeflow (preflight first), or run it here with ``local``.

It runs the generated project's own ``main.py`` for the branch, as CI does: the same preflight, the
same compile, the same submission, the same local runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..errors import InvalidInput
from ..progress import Progress
from .branch_entry import EntryPlan, EntryResult, apply_entry, plan_entry


def plan_run(
    root: Path | str,
    branch: str | None = None,
    *,
    local: bool = False,
    wait: bool = False,
    timeout: float | None = None,
) -> EntryPlan:
    if local and (wait or timeout is not None):
        raise InvalidInput("--wait and --timeout are for runs on Kubeflow; a --local run always runs to its end")
    if timeout is not None and timeout <= 0:
        raise InvalidInput(f"--timeout {timeout:g}: give a number of seconds above 0")
    arguments = ["--local"] if local else []
    if wait:
        arguments.append("--wait")
    if timeout is not None:
        arguments += ["--timeout", f"{timeout:g}"]
    return plan_entry("run", root, branch, arguments)


def apply_run(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    return apply_entry(plan, progress, env)
