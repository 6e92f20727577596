"""run: submit the branch's pipeline to its Kubeflow (preflight first), or run it here with ``local``.

It runs the generated project's own ``main.py`` for the branch, as CI does: the same preflight, the
same compile, the same submission, the same local runner.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

from .. import timeouts
from ..errors import InvalidInput
from ..progress import Progress
from .branch_entry import EntryPlan, EntryResult, apply_entry, plan_entry

MAX_WAIT = 86400


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
    if timeout is not None and not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and 0 < timeout):
        raise InvalidInput(f"--timeout {timeout}: give a number of seconds above 0, e.g. --timeout 3600")
    if timeout is not None and timeout > MAX_WAIT:
        raise InvalidInput(f"--timeout {timeout:g}: at most {MAX_WAIT} seconds (a day)")
    arguments = ["--local"] if local else []
    if wait:
        arguments.append("--wait")
    if timeout is not None:
        arguments += ["--timeout", f"{timeout:g}"]
    plan = plan_entry("run", root, branch, arguments)
    # The entry point's own wait, plus time to compile and submit, within the run limit at least.
    plan.timeout = max(timeouts.seconds("run"), (timeout or 0) + 900)
    return plan


def apply_run(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    return apply_entry(plan, progress, env)
