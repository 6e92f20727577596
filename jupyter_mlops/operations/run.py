"""run: submit the branch's pipeline to its Kubeflow (preflight first), or run it here with ``local``.

It runs the generated project's own ``main.py`` for the branch, as CI does: the same preflight, the
same compile, the same submission, the same local runner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

from .. import timeouts
from ..errors import InvalidInput
from ..progress import Progress, null_progress
from . import project_env
from .branch_entry import EntryPlan, EntryResult, apply_entry, plan_entry
from .project_env import ProjectEnvironment

MAX_WAIT = 86400


@dataclass
class RunPlan(EntryPlan):
    """A run; for a local one also the project's Python and what of requirements.txt it lacks."""

    environment: ProjectEnvironment | None = None
    install: bool = False  # put what is missing into <project>/.venv first

    @property
    def missing(self) -> list[str]:
        return list(self.environment.missing) if self.environment else []

    def to_dict(self) -> dict:
        return dict(super().to_dict(), missing=self.missing, install=self.install and bool(self.missing))

    def describe(self) -> list[str]:
        lines = super().describe()
        if self.environment and self.missing and self.install:
            lines.insert(0, f"Install into {self.environment.venv}: {', '.join(self.missing)}")
        return lines


def plan_run(
    root: Path | str,
    branch: str | None = None,
    *,
    local: bool = False,
    wait: bool = False,
    timeout: float | None = None,
    install: bool = False,
) -> RunPlan:
    """``local``: the project's requirements are checked first, in the Python that will run it; ``install``
    puts what is missing into the project's own environment (<project>/.venv) before the run."""
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
    entry = plan_entry("run", root, branch, arguments)
    plan = RunPlan(**{f.name: getattr(entry, f.name) for f in fields(EntryPlan)}, install=install)
    if local:
        plan.environment = project_env.inspect(plan.root)
        plan.python = plan.environment.python
    # The entry point's own wait, plus time to compile and submit, within the run limit at least.
    plan.timeout = max(timeouts.seconds("run"), (timeout or 0) + 900)
    return plan


def apply_run(plan: EntryPlan, progress: Progress | None = None, env: Mapping[str, str] | None = None) -> EntryResult:
    if isinstance(plan, RunPlan) and plan.environment and plan.missing:
        if not plan.install:
            raise plan.environment.problem()
        plan.environment = project_env.install(plan.environment, progress or null_progress())
        plan.python = plan.environment.python
    return apply_entry(plan, progress, env)
