"""What started this run, and which commit it runs: recorded in the Kubeflow run's name.

In GitHub Actions the event comes from GITHUB_EVENT_NAME and its payload (GITHUB_EVENT_PATH):

- push that changes code (anything outside data/)       -> "code"
- push that changes only data/ (e.g. DVC pointer files)  -> "data"
- schedule (the branch's cron)                           -> "schedule"
- workflow_dispatch (Run workflow, with parameters)      -> "manual"

Anywhere else (a terminal, a notebook, `jupyter mlops run`) it is "local". RUN_TRIGGER overrides it.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any, Mapping

from src.helpers.limits import git

DATA_FOLDER = "data/"


@dataclass(frozen=True)
class Trigger:
    kind: str  # code | data | schedule | manual | local | pull-request | a label given in RUN_TRIGGER
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH", "")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def changed_paths(event: Mapping[str, Any]) -> set[str]:
    """Files a push event's commits added, modified or removed (GitHub's push payload)."""
    paths: set[str] = set()
    for commit in event.get("commits") or []:
        for key in ("added", "modified", "removed"):
            paths.update(str(p) for p in commit.get(key) or [])
    return paths


def detect(env: Mapping[str, str] | None = None) -> Trigger:
    env = os.environ if env is None else env
    if env.get("RUN_TRIGGER"):
        return Trigger(env["RUN_TRIGGER"])
    event_name = env.get("GITHUB_EVENT_NAME", "")
    if event_name == "schedule":
        return Trigger("schedule", str(_event(env).get("schedule") or ""))
    if event_name == "workflow_dispatch":
        return Trigger("manual", env.get("GITHUB_ACTOR", ""))
    if event_name == "pull_request":
        return Trigger("pull-request")
    if event_name == "push":
        changed = changed_paths(_event(env))
        if changed and all(p.startswith(DATA_FOLDER) for p in changed):
            return Trigger("data", ", ".join(sorted(changed))[:120])
        return Trigger("code")
    return Trigger("local")


def commit(env: Mapping[str, str] | None = None) -> str:
    """The commit being run: the pushed one in CI; otherwise the checkout's HEAD (a schedule or a manual
    run checks out the branch, while GITHUB_SHA names the default branch's or the dispatch ref's commit)."""
    env = os.environ if env is None else env
    if env.get("GITHUB_SHA") and env.get("GITHUB_EVENT_NAME", "push") == "push":
        return env["GITHUB_SHA"]
    try:
        return git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return env.get("GITHUB_SHA", "")


def dispatch_inputs(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Run-workflow form's values (RUN_INPUTS = toJSON(inputs)); empty fields keep config.yaml's value."""
    env = os.environ if env is None else env
    try:
        inputs = json.loads(env.get("RUN_INPUTS") or "null")
    except ValueError:
        return {}
    if not isinstance(inputs, dict):
        return {}
    return {str(k): str(v) for k, v in inputs.items() if isinstance(v, str) and v.strip()}
