"""Generate the lab extension's request/response types from the REST API's OpenAPI document, and the
server answers its model tests replay.

    python scripts/gen_api_types.py          # write labextension/src/apitypes.ts and src/__tests__/answers.json
    python scripts/gen_api_types.py --check  # exit 1 when a committed file differs (tests/test_lab_source.py)

Each schema under ``components.schemas`` becomes an exported TypeScript interface (``IName``, as JupyterLab
names interfaces) or type alias; the panels import only these, so the TypeScript compiler catches a field the
server renamed or dropped. Handles the subset of JSON Schema openapi.yaml uses: object/properties/required,
additionalProperties, arrays, enum, const, type lists, $ref and oneOf.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "jupyter_mlops" / "server" / "openapi.yaml"
TARGET = ROOT / "labextension" / "src" / "apitypes.ts"
ANSWERS = ROOT / "labextension" / "src" / "__tests__" / "answers.json"
# The (name, branches) the model tests ask about: their schema and defaults come from the real code.
ASKED = [
    ("ml-project", "development,staging,production"),
    ("wine", "development,staging,production"),
    ("churn", "dev,prod"),
]
SCALARS = {"string": "string", "boolean": "boolean", "integer": "number", "number": "number", "null": "null"}


SCHEMAS: dict = {}


def ts_name(schema_name: str) -> str:
    """JupyterLab's convention: interfaces are IName; type aliases keep the schema's name."""
    return f"I{schema_name}" if is_interface(SCHEMAS[schema_name]) else schema_name


def is_interface(schema: dict) -> bool:
    return schema.get("type") == "object" and "properties" in schema


def type_of(schema: dict | bool, indent: str = "") -> str:
    """The TypeScript type of a JSON schema (an object with properties is written inline)."""
    if schema is True or schema == {}:
        return "unknown"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return ts_name(name)
    if "oneOf" in schema:
        return " | ".join(type_of(s, indent) for s in schema["oneOf"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(type_of({**schema, "type": k}, indent) for k in kind)
    if kind == "array":
        item = type_of(schema.get("items", {}), indent)
        return f"({item})[]" if " " in item else f"{item}[]"
    if kind == "object":
        if "properties" in schema:
            return "{\n" + members(schema, indent + "  ") + indent + "}"
        extra = schema.get("additionalProperties", True)
        return f"Record<string, {type_of(extra, indent)}>"
    if kind in SCALARS:
        return SCALARS[kind]
    return "unknown"


def members(schema: dict, indent: str) -> str:
    required = set(schema.get("required", []))
    lines = []
    for name, prop in schema["properties"].items():
        key = name if name.isidentifier() else json.dumps(name)
        doc = prop.get("description", "").strip().splitlines() if isinstance(prop, dict) else []
        if doc:
            lines.append(f"{indent}/** {' '.join(line.strip() for line in doc)} */")
        optional = "" if name in required else "?"
        lines.append(f"{indent}{key}{optional}: {type_of(prop, indent)};")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        lines.append(f"{indent}[key: string]: {type_of(extra, indent)};")
    return "\n".join(lines) + "\n"


def render() -> str:
    document = yaml.safe_load(SOURCE.read_text())
    SCHEMAS.clear()
    SCHEMAS.update(document["components"]["schemas"])
    out = [
        "/**",
        " * Request and response bodies of the jupyter-mlops REST API.",
        " *",
        " * GENERATED from jupyter_mlops/server/openapi.yaml by `python scripts/gen_api_types.py`: do not edit;",
        " * a test fails when this file and the API document differ (prettier and eslint skip it).",
        " */",
        "",
    ]
    for name, schema in document["components"]["schemas"].items():
        description = schema.get("description", "").strip().splitlines()
        if description:
            out.append(f"/** {' '.join(line.strip() for line in description)} */")
        if is_interface(schema):
            out += [f"export interface {ts_name(name)} {{", members(schema, "  ").rstrip("\n"), "}", ""]
        else:
            out += [f"export type {ts_name(name)} = {type_of(schema)};", ""]
    return "\n".join(out).rstrip() + "\n"


def render_answers() -> str:
    """What GET schema and GET defaults answer for the model tests' questions (the settings table's own)."""
    sys.path.insert(0, str(ROOT))
    from jupyter_mlops.settings.forms import defaults, json_schema

    answers = {
        "schema": {branches: json_schema(branches) for _, branches in ASKED},
        "defaults": {f"{name}|{branches}": defaults(name, branches) for name, branches in ASKED},
    }
    return json.dumps(answers, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    stale = []
    for target, make in ((TARGET, render), (ANSWERS, render_answers)):
        text = make()
        if "--check" in sys.argv:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"{', '.join(stale)} stale: run python scripts/gen_api_types.py", file=sys.stderr)
        sys.exit(1)
