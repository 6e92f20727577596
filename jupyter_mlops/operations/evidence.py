"""The evidence a promotion's pull request carries: what changes when one branch's work reaches the next.

promote does not compare branches itself: it runs the project's own ``python -m src.helpers.promotion FROM TO
--json`` (the code the project's pull-request workflow runs for its job summary), in the project's Python, so
the pull request and the workflow show the same comparison: each branch's configuration, its pipeline
compiled by its own ``main.py`` (steps, images, parameters) and, when the MLflow registry answers from here,
each branch's deployed model. MLflow's login comes from this environment (MLFLOW_TRACKING_*), as for
``check``; nothing else is passed on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import timeouts
from .project_env import project_python

HELPER = Path("src") / "helpers" / "promotion.py"
BODY_LIMIT = 60_000  # GitHub refuses a pull request body above 65,536 characters


@dataclass
class Evidence:
    markdown: str = ""
    details: dict = field(default_factory=dict)  # the helper's JSON: branches, commits, differences, models
    note: str = ""  # why there is no evidence (an older project, a helper that failed)

    @property
    def commits(self) -> tuple[str, str]:
        return (self.details.get("source") or {}).get("commit", ""), (self.details.get("target") or {}).get(
            "commit", ""
        )

    def to_dict(self) -> dict:
        return {"markdown": self.markdown, "note": self.note, **self.details}

    def body(self) -> str:
        """The Markdown for a pull request's body (cut to what GitHub accepts), or the note."""
        if not self.markdown:
            return f"_No promotion evidence: {self.note}_"
        if len(self.markdown) <= BODY_LIMIT:
            return self.markdown
        cut = self.markdown[:BODY_LIMIT].rsplit("\n", 1)[0]
        return cut + "\n\n_(cut here: the full comparison is in the pull-request workflow's job summary)_\n"


def gather(root: Path, source: str, target: str, *, source_ref: str, target_ref: str) -> Evidence:
    """Run the project's helper for the two commits; a missing or failing helper is a note, not an error (the
    pull request is worth opening without it)."""
    if not (root / HELPER).is_file():
        return Evidence(
            note=f"this project has no {HELPER.as_posix()} (generated before it existed); "
            "`jupyter mlops sync` brings it from the main repo, or `jupyter mlops init` restores missing files"
        )
    argv = [project_python(root), "-m", "src.helpers.promotion", source, target, "--json"]
    argv += ["--from-ref", source_ref, "--to-ref", target_ref]
    env = {k: v for k, v in os.environ.items() if k not in ("DATA_URI", "KFP_HOST")}
    env.update(PYTHONIOENCODING="utf-8")
    proc = timeouts.run(
        argv,
        cwd=root,
        env=env,
        timeout=timeouts.seconds("evidence"),
        what="the promotion evidence (python -m src.helpers.promotion)",
        kind="evidence",
    )
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    try:
        details = json.loads(last[0]) if proc.returncode == 0 and last else None
    except ValueError:
        details = None
    if not isinstance(details, dict):
        reason = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["no output"])[-1]
        return Evidence(note=f"python -m src.helpers.promotion failed (exit code {proc.returncode}): {reason[:300]}")
    markdown = str(details.pop("markdown", ""))
    return Evidence(markdown, details)
