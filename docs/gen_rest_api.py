"""Generate docs/reference/rest-api.md from the server extension's OpenAPI document, so the page cannot drift.

The document (jupyter_mlops/server/openapi.yaml) is the one the server checks request bodies against; this
script only renders it: every route with its parameters, body and answers, then every schema.

    python docs/gen_rest_api.py          # rewrite the page
    python docs/gen_rest_api.py --check  # exit 1 when the committed page is stale (tests/test_docs.py runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "jupyter_mlops" / "server" / "openapi.yaml"
OUT = ROOT / "docs" / "reference" / "rest-api.md"
METHODS = ("get", "post", "put", "patch", "delete")


def _anchor(schema: str) -> str:
    return f"schema-{schema.lower()}"


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _cell(text: object) -> str:
    """Markdown table cells: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def type_of(schema: dict | None, doc: dict) -> str:
    """A short human-readable type: `string`, `array of Event`, `map of string → string`, links to schemas."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        if name in doc["components"]["schemas"]:
            return f"[{name}](#{_anchor(name)})"
        return name
    if "oneOf" in schema or "anyOf" in schema:
        return " or ".join(type_of(s, doc) for s in schema.get("oneOf", schema.get("anyOf")))
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items'), doc)}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties"):
        return f"map of string → {type_of(schema['additionalProperties'], doc)}"
    extras = []
    if "format" in schema:
        extras.append(schema["format"])
    if "pattern" in schema:
        extras.append(f"pattern `{schema['pattern']}`")
    if "maxLength" in schema:
        extras.append(f"≤ {schema['maxLength']} chars")
    if "default" in schema:
        extras.append(f"default `{schema['default']}`".replace("`True`", "`true`").replace("`False`", "`false`"))
    return kind + (f" ({', '.join(extras)})" if extras else "")


def _resolve(item: dict, doc: dict, section: str) -> dict:
    if "$ref" in item:
        return doc["components"][section][_ref_name(item["$ref"])]
    return item


def _body_schema(content: dict | None, doc: dict) -> str:
    if not content:
        return ""
    schema = next(iter(content.values())).get("schema")
    return type_of(schema, doc)


def render_route(path: str, method: str, op: dict, shared_params: list, doc: dict) -> list[str]:
    out = [f"### `{method.upper()} {path}`", "", op.get("summary", "").strip() + ".", ""]
    if op.get("description"):
        out += [op["description"].strip(), ""]
    params = [_resolve(p, doc, "parameters") for p in [*shared_params, *op.get("parameters", [])]]
    if params:
        out += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            required = "yes" if p.get("required") else ""
            out.append(
                f"| `{p['name']}` | {p['in']} | {_cell(type_of(p.get('schema'), doc))} | {required} | "
                f"{_cell(p.get('description', ''))} |"
            )
        out.append("")
    if "requestBody" in op:
        out += [f"Request body (JSON): {_body_schema(op['requestBody'].get('content'), doc)}", ""]
    out += ["| answer | meaning | body |", "|---|---|---|"]
    for code, answer in op["responses"].items():
        answer = _resolve(answer, doc, "responses")
        out.append(f"| {code} | {_cell(answer.get('description', ''))} | {_body_schema(answer.get('content'), doc)} |")
    return out + [""]


def render_schema(name: str, schema: dict, doc: dict) -> list[str]:
    out = [f"### {name} {{#{_anchor(name)}}}", ""]
    if schema.get("description"):
        out += [schema["description"].strip(), ""]
    properties = schema.get("properties")
    if not properties:
        return out + [f"Type: {type_of(schema, doc)}.", ""]
    required = set(schema.get("required", []))
    out += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, sub in properties.items():
        description = sub.get("description", "")
        if sub.get("writeOnly"):
            description = (description + " Write-only: never returned.").strip()
        out.append(
            f"| `{field}` | {_cell(type_of(sub, doc))} | {'yes' if field in required else ''} | {_cell(description)} |"
        )
    if schema.get("additionalProperties") is False:
        out += ["", "No other fields are accepted (400)."]
    return out + [""]


def render() -> str:
    import yaml

    doc = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    info = doc["info"]
    base = doc["servers"][0]["url"]
    out = [
        "# REST API reference",
        "",
        f"Generated from `jupyter_mlops/server/openapi.yaml` (OpenAPI {doc['openapi']}, API version "
        f"{info['version']}) by `python docs/gen_rest_api.py`; a test fails when this page is stale.",
        "",
        info["description"].strip(),
        "",
        "## Authentication",
        "",
    ]
    for name, scheme in doc["components"]["securitySchemes"].items():
        out.append(f"- **{name}**: {scheme['type']} in {scheme['in']} `{scheme['name']}` — {scheme['description']}")
    out += ["", "## Routes", "", f"Paths are relative to `<base_url>{base}`.", ""]
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                out += render_route(path, method, item[method], item.get("parameters", []), doc)
    out += ["## Schemas", ""]
    for name, schema in doc["components"]["schemas"].items():
        out += render_schema(name, schema, doc)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run python docs/gen_rest_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
