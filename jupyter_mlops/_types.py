"""The words and shapes every layer shares, for the type checker: ``Literal`` enumerations, and the
``Protocol``s the faces and the plans meet.

One place for each set of words: a field typed with one of these cannot be given a word outside it without mypy
saying so, and the runtime tuples (``AUTH_MODES``, …) that validation and the forms use are read from the
aliases, so the two cannot drift. The protocols say what the verbs need of a face (``UI``: the terminal, ``--json``
and the notebook's) and of a plan (``Plan``: what ``--dry-run`` prints and REST returns), so a new face or verb is
checked against them without inheriting from one another. Nothing heavy is imported here (init imports it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, get_args

if TYPE_CHECKING:
    import argparse

    from .progress import Event

# Settings (the settings table, mlops.toml, the forms)
AuthMode = Literal["none", "token", "dex", "incluster"]  # how a branch's CI logs in to Kubeflow Pipelines
SecretsMode = Literal["environments", "repository"]  # GitHub environments, or branch-prefixed repository secrets
License = Literal["placeholder", "MIT", "Apache-2.0", "BSD-3-Clause"]
SpecKind = Literal["project", "main"]  # a project repository, or the organisation's main config repo
Owner = Literal["org", "project"]  # who owns a generated file: sync updates org files, never project ones

# Plans (what --dry-run prints and the wizards review)
FileChange = Literal["create", "add", "unchanged", "kept"]  # add: written by a stopped run, not yet committed
InitMode = Literal["new", "update", "adopt"]  # an empty folder, our own project, another non-empty folder
BranchAction = Literal["create", "update", "up-to-date"]  # what a push does to a remote branch
OriginAction = Literal["add", "update", "unchanged", "keep"]  # keep: origin points elsewhere; push by URL
PushTarget = Literal["github", "embedded", "git"]
RemoteKind = Literal["github", "embedded", "git", "none"]  # where status finds origin pointing (none: no remote)
EnvironmentState = Literal["exists", "create", "unknown"]  # unknown: the repository is created by this push
PolicyState = Literal["present", "create", "kept"]  # kept: the environment has a rule the user chose
ProtectionState = Literal["present", "create", "unavailable"]
SecretOutcome = Literal["created", "updated"]  # what storing a secret on GitHub did

# Progress and jobs (one event stream; REST jobs)
EventState = Literal["start", "done", "skip", "warn", "fail", "info"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobKind = Literal["init", "push", "check", "run", "sync"]  # the verbs REST runs as jobs
EntryOperation = Literal["check", "run"]  # what the project's own entry point (main.py) is run for

AUTH_MODES: tuple[AuthMode, ...] = get_args(AuthMode)
SECRETS_MODES: tuple[SecretsMode, ...] = get_args(SecretsMode)
LICENSES: tuple[License, ...] = get_args(License)
OWNERS: tuple[Owner, ...] = get_args(Owner)
EVENT_STATES: tuple[EventState, ...] = get_args(EventState)
JOB_STATES: tuple[JobState, ...] = get_args(JobState)


# ---------------------------------------------------------------- protocols

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what each verb registers on


class Plan(Protocol):
    """What a verb would do, read-only: lines for ``--dry-run`` and the wizards, and data for ``--json``/REST."""

    def describe(self) -> list[str]: ...

    def to_dict(self) -> Mapping[str, Any]: ...  # a TypedDict of payloads.py where REST answers it


class UI(Protocol):
    """What a verb asks of its face: lines, progress events, prompts (hidden for secrets) and the result."""

    stdin: IO[str]
    payload: Mapping[str, Any] | None

    @property
    def interactive(self) -> bool: ...

    def line(self, text: str = "") -> None: ...

    def error(self, text: str) -> None: ...

    def event(self, event: Event) -> None: ...

    def event_warn(self, text: str) -> None: ...

    def dry_run(self, plan: Plan, nothing: str = "changed") -> int: ...

    def result(self, payload: Mapping[str, Any]) -> None: ...

    def ask(self, label: str, default: str, check: Callable[[str], str | None] | None = None) -> str: ...

    def secret(self, label: str) -> str: ...

    def confirm(self, question: str) -> bool: ...
