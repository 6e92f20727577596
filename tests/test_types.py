"""The package's types are checked: mypy, configured in pyproject.toml, finds nothing, and users' type checkers
read our annotations (py.typed)."""

import subprocess
import sys
import types
import typing

from jupyter_mlops import _types, payloads
from jupyter_mlops._toml import tomllib
from tests.conftest import REPO_ROOT


def test_mypy_finds_no_error_at_the_configured_strictness():
    # given the configuration a contributor's `mypy` reads
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["jupyter_mlops"]
    assert config["check_untyped_defs"] is True and config["disallow_incomplete_defs"] is True
    # when mypy checks the package with it
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # then it reports no error
    assert proc.returncode == 0, "mypy found errors (run `mypy`):\n" + proc.stdout + proc.stderr


def test_the_package_says_it_is_typed():
    """PEP 561: without py.typed, a project that uses jupyter_mlops gets no types from it."""
    assert (REPO_ROOT / "jupyter_mlops" / "py.typed").is_file()


def test_the_runtime_choices_are_the_literal_types():
    """Validation and the forms read the tuples; the type checker reads the Literals: they are the same words."""
    from jupyter_mlops.scaffold.template import manifest
    from jupyter_mlops.settings import spec, table

    assert table.AUTH_MODES == _types.AUTH_MODES == ("none", "token", "dex", "incluster")
    assert spec.SECRETS_MODES == ("environments", "repository")
    auth = next(s for s in table.TABLE if s.key == "kfp.auth")
    assert tuple(auth.choices) == _types.AUTH_MODES
    assert {entry.owner for entry in manifest()} == set(_types.OWNERS)


def _alternatives(schema: dict, schemas: dict) -> list[dict]:
    """A schema as the single-typed schemas it allows: ``$ref`` followed, ``oneOf`` and ``type: [a, b]`` spread."""
    if "$ref" in schema:
        return _alternatives(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    if "oneOf" in schema:
        return [alt for option in schema["oneOf"] for alt in _alternatives(option, schemas)]
    if isinstance(schema.get("type"), list):
        return [alt for kind in schema["type"] for alt in _alternatives(dict(schema, type=kind), schemas)]
    return [schema]


def _mismatches(hint: object, schema: dict, schemas: dict, where: str) -> list[str]:
    """How a type hint differs from what a schema of openapi.yaml allows (empty when they agree).

    Each alternative of the schema (``null``, a string, a ``$ref``…) must be one member of the hint's union and each
    member must stand for one alternative; objects with ``properties`` are TypedDicts with the same keys, the same
    required keys and matching value types, compared all the way down."""
    members = list(typing.get_args(hint)) if typing.get_origin(hint) in (typing.Union, types.UnionType) else [hint]
    alternatives = _alternatives(schema, schemas)
    if len(alternatives) == len(members) == 1:
        return _single(hint, alternatives[0], schemas, where)
    found: list[str] = []
    for alt in alternatives:
        matching = [m for m in members if not _single(m, alt, schemas, where)]
        if matching:
            members.remove(matching[0])
        else:
            found.append(f"{where}: {hint} has no member for the document's {_brief(alt)}")
    return found + [f"{where}: {m} is not allowed by the document's {_brief(schema)}" for m in members]


def _brief(schema: dict) -> str:
    return str(schema.get("$ref") or schema.get("enum") or schema.get("type") or schema)


def _single(hint: object, schema: dict, schemas: dict, where: str) -> list[str]:
    """``_mismatches`` for a single-typed schema and one member of a hint's union."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if "enum" in schema or "const" in schema:
        words = set(schema["enum"]) if "enum" in schema else {schema["const"]}
        ok = origin is typing.Literal and set(args) == words
        return [] if ok else [f"{where}: {hint} is not Literal{sorted(map(str, words))}"]
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        if not typing.is_typeddict(hint):
            return [f"{where}: {hint} is not a TypedDict for {sorted(schema['properties'])}"]
        hints = typing.get_type_hints(hint)
        found = []
        if set(hints) != set(schema["properties"]):
            only_here, only_there = set(hints) - set(schema["properties"]), set(schema["properties"]) - set(hints)
            found.append(
                f"{where}: keys only in the TypedDict {sorted(only_here)}, only in the document {sorted(only_there)}"
            )
        if set(hint.__required_keys__) != set(schema.get("required", [])):
            found.append(f"{where}: required {sorted(hint.__required_keys__)} != {sorted(schema.get('required', []))}")
        for key in set(hints) & set(schema["properties"]):
            found += _mismatches(hints[key], schema["properties"][key], schemas, f"{where}.{key}")
        return found
    if kind == "object":
        if origin is not dict or args[0] is not str:
            return [f"{where}: {hint} is not a dict[str, ...]"]
        values = schema.get("additionalProperties")
        if not isinstance(values, dict):  # any object: its values are not described
            return [] if args[1] is typing.Any else [f"{where}: {hint} should be dict[str, Any]"]
        return _mismatches(args[1], values, schemas, f"{where}[]")
    if kind == "array":
        if origin is not list:
            return [f"{where}: {hint} is not a list"]
        return _mismatches(args[0], schema["items"], schemas, f"{where}[]")
    scalar = {"string": str, "boolean": bool, "number": float, "integer": int, "null": type(None)}[kind]
    return [] if hint is scalar else [f"{where}: {hint} is not {scalar.__name__}"]


def _documented_bodies() -> tuple[dict, set[str], set[str]]:
    """The document's schemas, those a route accepts as its body and those a route (or a job) answers with."""
    from jupyter_mlops.server import apidoc

    document = apidoc.document()
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]
    accepted = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for op in operations
        if "requestBody" in op
    }
    answers = [r for op in operations for r in op["responses"].values()] + list(
        document["components"]["responses"].values()
    )
    answered = {r["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1] for r in answers if "content" in r}
    return document["components"]["schemas"], accepted, answered


def test_the_request_types_are_the_api_documents_request_bodies():
    """A field added to, removed from or retyped in openapi.yaml without the TypedDict (or the reverse) fails."""
    from jupyter_mlops.server import bodies

    schemas, accepted, _ = _documented_bodies()
    assert {t.__name__ for t in bodies.REQUESTS} == accepted, "one TypedDict per request body the routes accept"
    found = [
        m for typed in bodies.REQUESTS for m in _mismatches(typed, schemas[typed.__name__], schemas, typed.__name__)
    ]
    assert not found, "\n".join(found)


def test_the_response_types_are_the_api_documents_answers():
    """Every schema a route or a job answers with has its TypedDict in payloads.py, and they agree key by key and
    type by type, nested objects included: a field the document adds, drops or retypes fails here."""
    schemas, _, answered = _documented_bodies()
    named = {t.__name__: t for t in payloads.RESPONSES}
    # given the answers the routes name, and the job results the Job schema names in prose (its `result`)
    job_results = {"InitPlan", "PushResult", "SyncResult", "EntryResult"}
    assert all(name in schemas["Job"]["properties"]["result"]["description"] for name in job_results)
    assert set(named) == answered | job_results, "one TypedDict per answer"
    # then each TypedDict is the document's schema
    found = [m for name, typed in named.items() for m in _mismatches(typed, schemas[name], schemas, name)]
    assert not found, "\n".join(found)
