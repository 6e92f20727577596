"""The package's types are checked: mypy, configured in pyproject.toml, finds nothing, and users' type checkers
read our annotations (py.typed)."""

import subprocess
import sys

from jupyter_mlops import _types
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


def _python_type(schema: dict, schemas: dict) -> object:
    """The Python type a JSON schema of openapi.yaml describes (the subset its request bodies use)."""
    from typing import Union

    if "$ref" in schema:
        return _python_type(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    kind = schema["type"]
    if isinstance(kind, list):
        return Union[tuple(_python_type({"type": k}, schemas) for k in kind)]  # noqa: UP007 - compared to a hint
    if kind == "object":
        return dict[str, _python_type(schema["additionalProperties"], schemas)]
    return {"string": str, "boolean": bool, "number": float, "integer": int}[kind]


def test_the_request_types_are_the_api_documents_request_bodies():
    """A field added to, removed from or retyped in openapi.yaml without the TypedDict (or the reverse) fails."""
    import typing

    from jupyter_mlops.server import apidoc, bodies

    schemas = apidoc.document()["components"]["schemas"]
    accepted = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path in apidoc.document()["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "requestBody" in op
    }
    assert {t.__name__ for t in bodies.REQUESTS} == accepted, "one TypedDict per request body the routes accept"
    for typed in bodies.REQUESTS:
        schema = schemas[typed.__name__]
        assert set(typed.__required_keys__) == set(schema.get("required", [])), typed.__name__
        assert set(typing.get_type_hints(typed)) == set(schema["properties"]), typed.__name__
        for key, hint in typing.get_type_hints(typed).items():
            assert hint == _python_type(schema["properties"][key], schemas), f"{typed.__name__}.{key}"
