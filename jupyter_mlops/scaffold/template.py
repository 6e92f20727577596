"""Render the generated repository from ``templates/`` and its manifest.

The manifest is the one list of the generated files: where each lands, which source renders it,
who owns it (org or project), and when it is included.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .._toml import tomllib
from .._types import OWNERS, Owner
from .._version import __version__
from ..errors import InvalidInput
from ..settings.spec import ProjectSpec, dumps
from .ownership import Ownership, render_text

SPEC_FILE = "mlops.toml"


def template_root() -> Path:
    """Inside the wheel: jupyter_mlops/templates; in a source checkout: <repo>/templates."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "manifest.toml").is_file():
            return candidate
    raise FileNotFoundError("jupyter-mlops is installed without its templates; reinstall the package")


class ManifestEntry(NamedTuple):
    path: str
    source: str
    owner: Owner  # checked against OWNERS when the manifest is read
    when: str = ""

    @property
    def per_branch(self) -> bool:
        return "{branch}" in self.path

    def included(self, spec: ProjectSpec) -> bool:
        if not self.when:
            return True
        return all(_flag(spec, part.strip()) for part in self.when.split("&"))


def _flag(spec: ProjectSpec, name: str) -> bool:
    """``example`` is true when the setting is; ``!example`` when it is not."""
    key = name.lstrip("!")
    value = getattr(spec, key) if hasattr(spec, key) else spec.get(key)  # a table row without a spec field
    return bool(value) != name.startswith("!")


class RenderedFile(NamedTuple):
    path: str
    content: bytes
    owner: Owner
    executable: bool = False


@lru_cache(maxsize=1)
def manifest() -> tuple[ManifestEntry, ...]:
    data = tomllib.loads((template_root() / "manifest.toml").read_text(encoding="utf-8"))
    entries = tuple(ManifestEntry(**entry) for entry in data["file"])
    wrong = [e.path for e in entries if e.owner not in OWNERS]
    if wrong:  # the template's own mistake, caught by its tests
        raise ValueError(f"manifest.toml: owner must be one of {', '.join(OWNERS)}: {', '.join(wrong)}")
    return entries


def ownership(spec: ProjectSpec) -> dict[str, Owner]:
    """Generated path → 'org' | 'project' (what `sync` may update), including mlops.toml."""
    out: dict[str, Owner] = {SPEC_FILE: "project"}
    for entry in manifest():
        for path in _expand(entry.path, spec):
            out[path] = entry.owner
    return out


def _expand(path: str, spec: ProjectSpec) -> list[str]:
    if "{branch}" in path:
        return [path.replace("{branch}", b) for b in spec.branch_names]
    return [path]


# ---------------------------------------------------------------- quoting filters
#
# Every value a template interpolates into code goes through the filter of that language, so that
# even a value validation let through stays a value: the settings' rules (validators.py) are the
# first line, these the second. Each returns a literal that reads back as exactly the value given.

# Characters JSON leaves raw that YAML must escape in a double-quoted scalar (not "printable" for YAML, or
# a line break in YAML 1.1), and lone surrogates (no UTF-8 file can hold them raw).
_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _json_string(value: object) -> str:
    text = json.dumps(str(value), ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def yaml_value(value: object) -> str:
    """A YAML double-quoted scalar (also valid JSON). Refuses ``${{``: in a workflow, GitHub would
    evaluate it as an expression wherever it stands, quoted or not."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if "${{" in str(value):
        raise InvalidInput(
            f"{str(value)[:60]!r} would be a GitHub Actions expression in a generated file; remove '${{{{'"
        )
    return _json_string(value)


def py_value(value: object) -> str:
    """A Python literal: a double-quoted string (ruff format's style), True/False, or a number."""
    if isinstance(value, (bool, int, float)):
        return repr(value)
    return _json_string(value)


def toml_value(value: object) -> str:
    """A TOML value or quoted key (basic string)."""
    import tomli_w

    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def ini_value(value: object) -> str:
    """A value as configobj (DVC's config reader) reads it back: bare when plain, else quoted with a quote
    character the value does not hold. configobj has no escapes, so a value holding every kind is refused."""
    text = str(value)
    if "\n" in text or "\r" in text:
        raise InvalidInput(f"{text[:60]!r}: a value in an INI file must be one line")
    if text and re.fullmatch(r"[A-Za-z0-9_./:@+-]+", text):
        return text
    for quote in ('"', "'", '"""', "'''"):
        if quote not in text and not text.endswith(quote[0]):
            return f"{quote}{text}{quote}"
    raise InvalidInput(f"{text[:60]!r} holds every kind of quote; an INI file cannot hold it as one value")


def sh_word(value: object) -> str:
    """One word for a POSIX shell (a ``run:`` line): unchanged when it is plain, single-quoted otherwise."""

    return shlex.quote(str(value))


def expression_string(value: object) -> str:
    """A string literal inside a GitHub Actions expression (``${{ … 'value' }}``): quotes doubled."""
    text = str(value)
    if "}}" in text or "${{" in text:
        raise InvalidInput(f"{text[:60]!r} cannot stand inside a GitHub Actions expression")
    return "'" + text.replace("'", "''") + "'"


FILTERS = {
    "yaml": yaml_value,
    "py": py_value,
    "toml": toml_value,
    "ini": ini_value,
    "sh": sh_word,
    "expr_str": expression_string,
}


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_root())),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        bytecode_cache=_bytecode_cache(jinja2),
    )
    env.filters.update(FILTERS)
    return env


def _bytecode_cache(jinja2):
    """Compiled templates cached per user: compiling them is most of init's own time on a first run.

    The cache holds compiled template code only (no settings, no credentials); jinja2 checks each
    template's mtime, so an edited template is recompiled.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "jupyter-mlops", f"jinja-{__version__}")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(folder)


def _license_text(spec: ProjectSpec) -> str:
    root = template_root() / "licenses"
    text = (root / f"{spec.license}.txt").read_text(encoding="utf-8")
    holder = spec.owner or f"the {spec.name} authors"
    year = str(time.localtime().tm_year)
    return text.replace("{{ year }}", year).replace("{{ holder }}", holder).rstrip("\n")


def render(spec: ProjectSpec) -> list[RenderedFile]:
    """Every file of the generated repository, in manifest order, mlops.toml last."""
    return list(iter_render(spec))


def iter_render(spec: ProjectSpec) -> Iterator[RenderedFile]:
    """``render``, one file at a time: a caller can hand each on (to git) while the next one renders."""
    base = template_root() / "project"
    context = {"spec": spec, "version": __version__, "ownership_toml": render_text(ownership(spec))}
    for entry in manifest():
        if not entry.included(spec):
            continue
        source = base / entry.source
        is_template = entry.source.endswith(".j2")
        if is_template:
            template = _environment().get_template(f"project/{entry.source}")
        extra = {"license_text": _license_text(spec)} if entry.path == "LICENSE" else {}
        branches = spec.branch_names if entry.per_branch else [None]
        for branch in branches:
            path = entry.path.replace("{branch}", branch) if branch else entry.path
            if is_template:
                ctx = dict(context, **extra)
                if branch:
                    ctx.update(branch=branch, b=spec.branches[branch])
                content = template.render(ctx).encode("utf-8")
            else:
                content = source.read_bytes()
            yield RenderedFile(path, content, entry.owner, executable=path.endswith((".sh",)))
    yield RenderedFile(SPEC_FILE, dumps(spec).encode("utf-8"), "project")


def ownership_from_manifest() -> Ownership:
    """The installed template's map, for repositories generated before .mlops/ownership.toml existed."""
    project = [e.path.replace("{branch}", "*") for e in manifest() if e.owner == "project"]
    org = [e.path.replace("{branch}", "*") for e in manifest() if e.owner == "org"]
    return Ownership(tuple(project), tuple(org), "the installed jupyter-mlops template")
