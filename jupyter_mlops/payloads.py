"""What the operations answer, as the type checker sees it: one ``TypedDict`` per response schema of
jupyter_mlops/server/openapi.yaml, named like it (tests/test_types.py keeps keys, required keys and value types in
step with the document, nested objects included).

The operations' ``to_dict()`` and the REST actions are annotated with these, so a key the document does not name,
a missing required key or a value of another type is a mypy error where the answer is built, not a surprise in
the lab panel. They live in the base layer because the operations build them and the server only passes them
on. Keys the schema requires are in a base class; the rest may be absent (``total=False``), as in
server/bodies.py. Nested objects without a schema of their own are named after their parent
(``StatusBranch``: an item of ``Status.branches``).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, Union

from ._types import (
    EntryOperation,
    EventState,
    FileChange,
    InitMode,
    JobKind,
    JobState,
    PushTarget,
    RemoteKind,
    SecretOutcome,
    SecretsMode,
    SpecKind,
)

SettingValue = Union[str, bool]  # the schema's SettingValue: `--set` text, or a checkbox
Names = list[str]
NamesByBranch = dict[str, list[str]]  # branch -> secret names


class _ErrorRequired(TypedDict):
    message: str
    reason: str


class Error(_ErrorRequired, total=False):
    """The one error shape (REST 4xx/5xx, a failed job's ``error``)."""

    details: list[str]


# ---------------------------------------------------------------- forms


class _DefaultsRequired(TypedDict):
    name: str
    branches: list[str]
    default_branch: str
    settings: dict[str, SettingValue]
    required_secrets: NamesByBranch


class Defaults(_DefaultsRequired, total=False):
    optional_secrets: NamesByBranch


class _ValidationRequired(TypedDict):
    valid: bool
    errors: dict[str, str]  # settings key -> what is wrong and what to do


class Validation(_ValidationRequired, total=False):
    required_secrets: NamesByBranch  # only when the settings are valid
    optional_secrets: NamesByBranch


# ---------------------------------------------------------------- the settings schema (GET schema)
# Its keys are JSON Schema's and the forms' `x-` keywords, which are not Python names: these TypedDicts are
# written in the functional form, and the required and optional keys are two bases of the named type.


class ConditionPattern(TypedDict):
    pattern: str  # a regular expression the text must match


Condition = dict[str, Union[SettingValue, ConditionPattern]]  # every key has its value (or matches its pattern)

_SettingFieldRequired = TypedDict(
    "_SettingFieldRequired",
    {
        "type": Literal["string", "boolean"],
        "title": str,
        "description": str,
        "default": SettingValue,
        "x-group": str,  # the id of the page it is on
        "x-order": int,  # its place on the page
        "x-setting": str,  # the key without the branch prefix
    },
)
_SettingFieldOptional = TypedDict(
    "_SettingFieldOptional",
    {
        "enum": list[str],
        "examples": list[SettingValue],
        "x-when": Condition,
        "x-branch": str,  # per-branch keys only
        "x-list": bool,  # a comma-separated list (branches)
    },
    total=False,
)


class SettingField(_SettingFieldRequired, _SettingFieldOptional):
    """One setting's field: its JSON Schema and where the forms put it."""


_SecretFieldRequired = TypedDict(
    "_SecretFieldRequired",
    {"name": str, "title": str, "description": str, "x-when-any": list[Condition], "x-optional": bool},
)
_SecretFieldOptional = TypedDict("_SecretFieldOptional", {"x-when": Condition}, total=False)


class SecretField(_SecretFieldRequired, _SecretFieldOptional):
    """A CI secret a branch may need, and when."""


class _SettingsPageRequired(TypedDict):
    id: str
    title: str
    description: str  # the page's introduction


_SettingsPageOptional = TypedDict("_SettingsPageOptional", {"x-per-branch": bool}, total=False)  # shown once per branch


class SettingsPage(_SettingsPageRequired, _SettingsPageOptional):
    """One of the forms' pages (``x-groups``)."""


_SettingsSchemaRequired = TypedDict(
    "_SettingsSchemaRequired",
    {
        "$schema": str,
        "type": Literal["object"],
        "properties": dict[str, SettingField],
        "required": list[str],
        "additionalProperties": Literal[False],
        "x-branches": list[str],  # the branches the per-branch keys are for
        "x-groups": list[SettingsPage],
        "x-secrets": list[SecretField],
    },
)


class SettingsSchema(_SettingsSchemaRequired, total=False):
    """GET schema and ``jupyter mlops schema --json``: the settings as JSON Schema, with the forms' layout."""

    title: str


# ---------------------------------------------------------------- init


class InitPlanFile(TypedDict):
    path: str
    action: FileChange
    owner: str


class InitPlanBranches(TypedDict):
    create: list[str]
    existing: list[str]


class _InitPlanRequired(TypedDict):
    mode: InitMode
    files: list[InitPlanFile]
    git_init: bool
    branches: InitPlanBranches
    default_branch: str
    nothing_to_do: bool


class InitPlanFields(_InitPlanRequired, total=False):
    """What ``InitPlan.to_dict()`` and the REST ``InitPlan`` share; the one adds ``root``, the other the folder
    relative to the Jupyter root and the plan's lines."""

    commit: str | None


class InitPlan(InitPlanFields):
    path: str  # relative to the Jupyter root
    describe: list[str]


class InitPlanLocal(InitPlanFields):
    """``InitPlan.to_dict()``, as ``init --dry-run --json`` prints it: with the folder's absolute path."""

    root: str


# ---------------------------------------------------------------- secrets


class SecretsSetResult(TypedDict):
    repository: str  # owner/name
    secrets: dict[str, dict[str, SecretOutcome]]  # branch -> {name on GitHub -> what happened}


class SecretsListingEntry(TypedDict):
    branch: str
    name: str
    github_name: str
    updated_at: str | None
    required: bool


class _SecretsListingRequired(TypedDict):
    repository: str
    secrets_mode: SecretsMode
    secrets: list[SecretsListingEntry]
    missing: NamesByBranch


class SecretsListing(_SecretsListingRequired, total=False):
    optional: NamesByBranch


# ---------------------------------------------------------------- status


class _StatusBranchRequired(TypedDict):
    name: str
    exists: bool
    commit: str | None
    remote: str  # in sync | ahead N | behind N | diverged (…) | not pushed | no remote
    current: bool
    secrets: list[str]


class StatusBranch(_StatusBranchRequired, total=False):
    subject: str
    author: str
    date: str  # ISO 8601 committer date
    environment: str | None
    optional_secrets: list[str]


class _StatusRemoteRequired(TypedDict):
    kind: RemoteKind
    url: str | None


class StatusRemote(_StatusRemoteRequired, total=False):
    repository: str | None
    web_url: str | None
    api_url: str | None


class _StatusRequired(TypedDict):
    name: str
    kind: SpecKind
    default_branch: str
    current_branch: str | None
    secrets_mode: SecretsMode
    branches: list[StatusBranch]
    remote: StatusRemote
    uncommitted: list[str]


class StatusFields(_StatusRequired, total=False):
    """What ``StatusResult.to_dict()`` and the REST ``Status`` share (the one has ``root``, the other ``path``)."""

    template_version: str


class Status(StatusFields):
    path: str  # relative to the Jupyter root


class StatusLocal(StatusFields):
    """``StatusResult.to_dict()``, as ``status --json`` prints it: with the folder's absolute path."""

    root: str


# ---------------------------------------------------------------- job results


class _PushResultRequired(TypedDict):
    target: PushTarget
    remote_url: str
    repo_url: str | None
    pushed: list[str]
    secrets_mode: SecretsMode
    secrets_set: NamesByBranch
    secrets_missing: NamesByBranch
    warnings: list[str]


class PushResult(_PushResultRequired, total=False):
    mode_changed: bool
    created_repository: bool
    environments: list[str]
    protected: list[str]
    api_calls: int


class _SyncBranchRequired(TypedDict):
    branch: str
    status: str


class SyncBranch(_SyncBranchRequired, total=False):
    before: str | None
    upstream: str | None
    after: str | None
    changed: list[str]
    kept: list[str]
    conflicts: list[dict[str, Any]]
    note: str
    link: str | None


class SyncProject(TypedDict):
    name: str
    url: str
    status: str  # up to date | updated | PR opened | conflict | skipped | error
    error: str
    branches: list[SyncBranch]


class SyncResult(TypedDict):
    projects: list[SyncProject]
    branches: list[str]


class EntryResult(TypedDict):
    operation: EntryOperation
    branch: str
    exit_code: int
    lines: list[str]
    run_url: str | None
    failures: list[str]
    ok: bool


# ---------------------------------------------------------------- jobs


class _EventRequired(TypedDict):
    step: str
    state: EventState
    message: str
    time: float


class EventFields(_EventRequired, total=False):
    """``progress.Event.to_dict()``: an event before a job numbers it (``--json`` prints these)."""

    link: str | None


class Event(EventFields):
    index: int  # its place in the job's events (``since``)


class _JobRequired(TypedDict):
    id: str
    kind: JobKind
    state: JobState
    created: float
    events: list[Event]
    next_event: int
    result: dict[str, Any] | None  # init -> InitPlan, push -> PushResult, sync -> SyncResult, check/run -> EntryResult
    error: Error | None


class Job(_JobRequired, total=False):
    path: str
    started: float | None
    finished: float | None


RESPONSES: tuple[type, ...] = (
    Error,
    Defaults,
    SettingsSchema,
    Validation,
    InitPlan,
    SecretsSetResult,
    SecretsListing,
    Status,
    PushResult,
    SyncResult,
    EntryResult,
    Job,  # its events are Events
)
