"""Settings as forms see them: defaults to pre-fill, and per-field errors for inline validation.

The REST ``defaults``/``validate`` routes and the wizard both use this, so a field is judged by the
same rules (``spec.py``) wherever it is typed, and init applies those rules again.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput
from .spec import ProjectSpec


def default_spec(name: str, branches: str | list[str] | None = None) -> ProjectSpec:
    """The defaults for a name and branch list, as init would start from; InvalidInput for a bad one."""
    spec = ProjectSpec.default("ml-project")
    if branches:
        spec.set("branches", branches)  # git's branch-name rules; the first branch gets the laptop defaults
    spec.set("name", name)  # GitHub's name rules; derived defaults (experiments) follow it
    return spec


def defaults(name: str, branches: str | list[str] | None = None) -> dict:
    spec = default_spec(name, branches)
    return {
        "name": spec.name,
        "branches": spec.branch_names,
        "default_branch": spec.default_branch,
        "settings": spec.flat(),
        "required_secrets": required_secrets(spec),
    }


def required_secrets(spec: ProjectSpec) -> dict[str, list[str]]:
    return {b: bs.required_secrets() for b, bs in spec.branches.items()}


def validation(values: dict[str, Any]) -> dict[str, Any]:
    """The answer of the REST ``validate`` route and ``jupyter mlops validate``: valid, per-field errors, and the
    CI secrets each branch will need (only when valid). Nothing is written anywhere."""
    errors, spec = field_errors(values)
    out: dict[str, Any] = {"valid": not errors, "errors": errors}
    if spec is not None:
        out["required_secrets"] = required_secrets(spec)
    return out


def _strip_key(key: str, message: str) -> str:
    prefix = f"{key}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def field_errors(values: dict[str, Any]) -> tuple[dict[str, str], ProjectSpec | None]:
    """Each setting checked on its own, then the whole spec; ``({key: message}, spec or None)``."""
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
