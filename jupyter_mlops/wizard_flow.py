"""What the wizard's Create button does, as one function over the operations (no widgets here):
init the folder, then push it (GitHub with the token, or a local/any git remote) with the secrets.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .progress import Progress


def _available(name: str) -> bool:
    return importlib.util.find_spec(f"jupyter_mlops.operations.{name}") is not None


def create_project(target: Path, spec, progress: Progress, *, token: str = "", secrets: dict | None = None,
                   owner: str = "", private: bool = True, github_url: str | None = None,
                   remote: str = "") -> dict:
    from .operations.init import apply_init, plan_init

    plan = plan_init(target, spec)
    apply_init(plan, progress)
    result: dict = {"path": str(target), "notes": []}
    progress.check_cancelled()
    if not _available("push"):
        progress.emit("push", "warn", "push is not available in this version of jupyter-mlops; "
                                      "the project was created locally only")
        result["notes"].append("Not pushed: this version of jupyter-mlops has no push.")
        return result
    raise NotImplementedError("push wiring")  # replaced when the push operation lands
