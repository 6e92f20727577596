"""The OpenAPI document shipped with the package, and request-body checks against its schemas.

Request bodies are checked against the same document the tests validate responses with, so the
document stays true in both directions. Error messages name the field and the rule, never the value
sent (a value may be a token).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

DOCUMENT = Path(__file__).with_name("openapi.yaml")
_URI = "urn:jupyter-mlops:openapi"


@functools.lru_cache(maxsize=1)
def document() -> dict:
    import yaml

    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _validator(schema_name: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(_URI, Resource(contents=document(), specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry)


_RULES = {
    "maxLength": "is too long (at most {} characters)",
    "minLength": "is too short",
    "pattern": "has characters that are not allowed",
    "enum": "must be one of {}",
    "const": "must be {}",
    "minimum": "must be at least {}",
    "exclusiveMinimum": "must be above {}",
    "maximum": "must be at most {}",
    "minProperties": "needs at least {} entries",
    "maxProperties": "has more than {} entries",
}


def _describe(error) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    rule = error.validator
    if rule == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where}: expected {expected}"
    if rule in ("required", "additionalProperties"):
        # These messages name properties (keys), never values.
        hint = " (see the API document for the fields)" if rule == "additionalProperties" else ""
        return f"{where}: {error.message}{hint}"
    if "propertyNames" in error.schema_path:  # the instance is a key (a name), never a value
        return f"{where}: the name {error.instance!r} is not allowed (use upper-case letters, digits and '_')"
    if rule in _RULES:
        value = error.validator_value
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        return f"{where}: {_RULES[rule].format(shown)}"
    return f"{where}: is not valid ({rule})"


def check_body(schema_name: str, body: Any) -> dict:
    errors = sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInput(
            "The request body is not valid; fix these fields and send it again:",
            details=[_describe(e) for e in errors[:20]],
        )
    return body
