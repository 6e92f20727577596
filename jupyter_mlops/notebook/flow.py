"""What the wizard's Create button does, as one function over the operations (no widgets here):
init the folder, then push it (GitHub with the token, or a local/any git remote) with the secrets.
"""

from __future__ import annotations

from pathlib import Path

from ..operations.init import apply_init, plan_init
from ..operations.push import apply_push, plan_push
from ..progress import Progress
from ..settings.spec import ProjectSpec


def create_project(
    target: Path,
    spec: ProjectSpec,
    progress: Progress,
    *,
    token: str = "",
    secrets: dict[tuple[str, str], str] | None = None,
    owner: str = "",
    private: bool = True,
    github_url: str | None = None,
    remote: str = "",
) -> dict:
    """``secrets``: (branch, NAME) → value. Returns what the last step shows: folder, repository, notes."""

    apply_init(plan_init(target, spec, start_git=True), progress)
    progress.check_cancelled()
    by_branch: dict[str, dict[str, str]] = {}
    for (branch, name), value in (secrets or {}).items():
        by_branch.setdefault(branch, {})[name] = value
    plan = plan_push(
        target,
        token=token or None,
        owner=owner or None,
        private=private,
        github_url=github_url,
        remote_url=remote or None,
        secrets=by_branch,
        progress=progress,
    )
    progress.check_cancelled()
    pushed = apply_push(plan, progress)
    notes = list(pushed.warnings)
    for branch, names in pushed.secrets_missing.items():
        notes += [f"{branch}: {n} not set yet — %mlops secrets set {n} --env {branch}" for n in names]
    return {
        "path": str(target),
        "url": pushed.repo_url,
        "remote": pushed.remote_url,
        "target": pushed.target,
        "notes": notes,
    }
