"""The OpenAPI document shipped with the package, and request-body checks against its schemas.

Request bodies are checked against the same document the tests validate responses with, so the
document stays true in both directions. Error messages name the field and the rule, never the value
sent (a value may be a token).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput

if TYPE_CHECKING:  # jsonschema is imported by the first request that is checked
    from jsonschema import Draft202012Validator, ValidationError

DOCUMENT = Path(__file__).with_name("openapi.yaml")
_URI = "urn:jupyter-mlops:openapi"


@functools.lru_cache(maxsize=1)
def document() -> dict:
    import yaml

    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _validator(schema_name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(_URI, DRAFT202012.create_resource(document()))
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


def _describe(error: ValidationError) -> str:
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


def check_query(path: str, method: str, name: str, value: str) -> str:
    """A query parameter against its schema in the document (its documented ``maxLength`` above all)."""
    from jsonschema import Draft202012Validator

    operation = document()["paths"][path][method.lower()]
    for param in operation.get("parameters", []):
        if "$ref" in param:
            param = document()["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param["name"] == name and param["in"] == "query":
            schema = param.get("schema", {})
            if schema.get("type") == "string":
                errors = list(Draft202012Validator(schema).iter_errors(value))
                if errors:
                    raise InvalidInput(f"The query parameter {name} {_describe(errors[0]).split(': ', 1)[1]}")
            return value
    raise InvalidInput(f"{method} {path} takes no query parameter {name!r}")


# Nesting beyond this is no request body of this API (the deepest, Settings, is two levels).
MAX_DEPTH = 32


def _reject_constant(name: str) -> Any:
    raise InvalidInput(f"The request body holds {name}, which is not JSON; send a finite number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        _reject_constant(f"the number {text[:30]} (too large to be finite)")
    return value


def parse_body(raw: bytes) -> Any:
    """JSON text → value: NaN/Infinity refused, nesting bounded (a RecursionError would be a 500, and deep
    values would make every later walk over them recurse as deep)."""

    try:
        value = json.loads(raw or b"null", parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        value = _TOO_DEEP
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "The request body is not JSON; send a JSON object (Content-Type: application/json)."
        ) from None
    if value is _TOO_DEEP or _depth(value) > MAX_DEPTH:
        raise InvalidInput(f"The request body nests deeper than {MAX_DEPTH} levels; send a flat JSON object")
    return value


_TOO_DEEP = object()


def _depth(value: Any) -> int:
    """How deeply ``value`` nests, without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            todo += [(v, level + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


def check_body(schema_name: str, body: Any) -> dict:
    errors = sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInput(
            "The request body is not valid; fix these fields and send it again:",
            details=[_describe(e) for e in errors[:20]],
        )
    return body
