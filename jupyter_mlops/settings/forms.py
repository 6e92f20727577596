"""Settings as forms see them: the JSON schema they render, defaults to pre-fill, per-field errors.

The REST ``schema``/``defaults``/``validate`` routes, ``jupyter mlops schema --json`` (VS Code) and the
ipywidgets wizard all use this, so every form shows the same pages and judges a field by the same rules
(``spec.py``) wherever it is typed; init applies those rules again. The schema's shape is the contract in
docs/reference/schema.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import payloads
from ..errors import InvalidInput
from .spec import ProjectSpec
from .table import (
    GROUPS,
    SECRETS,
    CiSecret,
    Group,
    Matches,
    Setting,
    applies,
    branch_setting,
    branch_settings,
    project_settings,
    when_key,
)

BRANCH_PLACEHOLDER = "<branch>"


def default_spec(name: str, branches: str | list[str] | None = None) -> ProjectSpec:
    """The defaults for a name and branch list, as init would start from; InvalidInput for a bad one."""
    spec = ProjectSpec.default("ml-project")
    if branches:
        spec.set("branches", branches)  # git's branch-name rules; the first branch gets the laptop defaults
    spec.set("name", name)  # GitHub's name rules; derived defaults (experiments) follow it
    return spec


def defaults(name: str, branches: str | list[str] | None = None) -> payloads.Defaults:
    spec = default_spec(name, branches)
    return {
        "name": spec.name,
        "branches": spec.branch_names,
        "default_branch": spec.default_branch,
        "settings": spec.flat(),
        "required_secrets": required_secrets(spec),
        "optional_secrets": optional_secrets(spec),
    }


def required_secrets(spec: ProjectSpec) -> dict[str, list[str]]:
    return {b: bs.required_secrets() for b, bs in spec.branches.items()}


def optional_secrets(spec: ProjectSpec) -> dict[str, list[str]]:
    """Branch → the secrets its CI passes on when set (an MLflow server with login), from the secrets table."""
    return {b: bs.optional_secrets() for b, bs in spec.branches.items()}


def validation(values: dict[str, Any]) -> payloads.Validation:
    """The answer of the REST ``validate`` route and ``jupyter mlops validate``: valid, per-field errors, and the
    CI secrets each branch will need and those it may take (only when valid). Nothing is written anywhere."""
    errors, spec = field_errors(values)
    out: payloads.Validation = {"valid": not errors, "errors": errors}
    if spec is not None:
        out["required_secrets"] = required_secrets(spec)
        out["optional_secrets"] = optional_secrets(spec)
    return out


def _strip_key(key: str, message: str) -> str:
    prefix = f"{key}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def applicable(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values a form applies: a setting whose ``when`` does not hold is hidden, so its value is left out
    (it keeps its default; e.g. ``registry`` while ``containers`` is off)."""
    out = {}
    for key, value in values.items():
        setting, branch = _row(key, values)
        if setting is None or applies(setting, values, branch):
            out[key] = value
    return out


def _row(key: str, values: Mapping[str, Any]) -> tuple[Setting | None, str | None]:
    for setting in project_settings():
        if setting.key == key:
            return setting, None
    head, _, rest = key.partition(".")
    while rest:
        if (row := branch_setting(rest)) is not None:
            return row, head
        more, _, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None, None


def field_errors(values: dict[str, Any]) -> tuple[dict[str, str], ProjectSpec | None]:
    """Each applicable setting checked on its own, then the whole spec; ``({key: message}, spec or None)``."""
    values = applicable(values)
    errors: dict[str, str] = {}
    name = values.get("name")
    spec = ProjectSpec.default(name if isinstance(name, str) and name else "ml-project")
    ordered = sorted(values.items(), key=lambda kv: (kv[0] != "branches", kv[0] != "name"))
    for key, value in ordered:
        if not _well_typed(key, value):
            errors[key] = f"expected text or true/false, got {type(value).__name__}"
            continue
        try:
            spec.set(key, value)
        except InvalidInput as exc:
            errors[key] = _strip_key(key, exc.message)
    if errors:
        return errors, None
    try:
        spec.validate()
    except InvalidInput as exc:
        for detail in exc.details:
            key, sep, message = detail.partition(": ")
            errors.setdefault(key if sep else "settings", message if sep else detail)
        return errors, None
    return errors, spec


def _well_typed(key: str, value: Any) -> bool:
    if key == "branches":
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, (str, bool))


# ---------------------------------------------------------------- the JSON schema every form renders


def json_schema(branches: str | Iterable[str] | None = None) -> payloads.SettingsSchema:
    """The settings as JSON Schema (draft 2020-12) with the forms' layout in ``x-`` keywords: each field's page
    (``x-group``), place (``x-order``), dependency (``x-when``), branch; the pages (``x-groups``) and the CI
    secrets (``x-secrets``). Defaults are those of a project named ``ml-project`` with these branches
    (comma-separated or a list; InvalidInput for a bad name)."""
    spec = default_spec("ml-project", branches if isinstance(branches, str) or branches is None else list(branches))
    properties: dict[str, payloads.SettingField] = {}
    for s in project_settings():
        properties[s.key] = _property(s, s.key, spec.get(s.key), None)
    for branch in spec.branch_names:
        for s in branch_settings():
            key = f"{branch}.{s.key}"
            properties[key] = _property(s, key, spec.get(key), branch)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "jupyter-mlops project settings",
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
        "x-branches": spec.branch_names,
        "x-groups": [_page(g) for g in GROUPS],
        "x-secrets": [_secret(s) for s in SECRETS],
    }


def _property(s: Setting, key: str, default: Any, branch: str | None) -> payloads.SettingField:
    out: payloads.SettingField = {
        "type": "boolean" if s.kind == "boolean" else "string",
        "title": s.label,
        "description": s.help,
        "default": default,
        "x-group": s.group,
        "x-order": s.order,
        "x-setting": s.key,
    }
    if s.choices:
        out["enum"] = list(s.choices)
    if s.example:
        out["examples"] = [s.example]
    if s.when:
        out["x-when"] = {when_key(k, branch): v for k, v in s.when.items()}
    if branch is not None:
        out["x-branch"] = branch
    if s.kind == "list":
        out["x-list"] = True  # comma-separated; for "branches", per-branch pages follow it
    return out


def _page(group: Group) -> payloads.SettingsPage:
    out: payloads.SettingsPage = {"id": group.id, "title": group.title, "description": group.intro}
    if group.per_branch:
        out["x-per-branch"] = True
    return out


def _secret(secret: CiSecret) -> payloads.SecretField:
    def exported(value: Any) -> Any:
        return {"pattern": value.pattern} if isinstance(value, Matches) else value

    conditions = [{when_key(k, BRANCH_PLACEHOLDER): exported(v) for k, v in c.items()} for c in secret.when]
    out: payloads.SecretField = {
        "name": secret.name,
        "title": secret.title,
        "description": secret.help,
        "x-when-any": conditions,
        "x-optional": secret.optional,
    }
    if len(conditions) == 1:
        out["x-when"] = conditions[0]
    return out
