"""The REST request bodies, as the type checker sees them: one ``TypedDict`` per schema of openapi.yaml that a
route accepts, named like it (tests/test_types.py keeps the fields and their types in step with the document).

``MlopsHandler.json_body(InitRequest)`` checks the body against the schema of that name first, so an action
typed with one of these gets only the keys and value types it names. Keys the schema requires are in a base
class (``PathRequest``: every job's ``path``); the rest may be absent (``total=False``).
"""

from __future__ import annotations

from typing import TypedDict, Union

SettingValue = Union[str, bool]  # the schema's SettingValue: `--set` text, or a checkbox


class ValidateRequest(TypedDict, total=False):
    settings: dict[str, SettingValue]


class PathRequest(TypedDict):
    """What every job's request has: the project's folder."""

    path: str  # PathField: relative to the Jupyter root


class InitRequest(PathRequest, total=False):
    name: str
    settings: dict[str, SettingValue]
    main: bool


class PushRequest(PathRequest, total=False):
    token: str
    owner: str
    private: bool
    github_url: str
    remote: str
    secrets: dict[str, dict[str, str]]  # branch -> NAME -> value


class _SecretsRequired(PathRequest):
    secrets: dict[str, str]  # NAME -> value


class SecretsRequest(_SecretsRequired, total=False):
    env: str
    token: str
    github_url: str


class CheckRequest(PathRequest, total=False):
    branch: str
    inference: bool  # the inference tests against the deployed model instead of the preflight
    credentials: dict[str, str]


class RunRequest(PathRequest, total=False):
    branch: str
    local: bool
    wait: bool
    timeout: float
    credentials: dict[str, str]


class SyncRequest(PathRequest, total=False):
    all: bool
    pr: bool
    token: str
    github_url: str


REQUESTS: tuple[type, ...] = (
    ValidateRequest,
    InitRequest,
    PushRequest,
    SecretsRequest,
    CheckRequest,
    RunRequest,
    SyncRequest,
)
