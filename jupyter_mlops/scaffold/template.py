"""Render the generated repository from ``templates/`` and its manifest.

The manifest is the one list of the generated files: where each lands, which source renders it,
who owns it (org or project), and when it is included.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .._toml import tomllib
from .._version import __version__
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


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    source: str
    owner: str
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
    return bool(getattr(spec, name.lstrip("!"))) != name.startswith("!")


@dataclass(frozen=True)
class RenderedFile:
    path: str
    content: bytes
    owner: str
    executable: bool = False


@lru_cache(maxsize=1)
def manifest() -> tuple[ManifestEntry, ...]:
    data = tomllib.loads((template_root() / "manifest.toml").read_text(encoding="utf-8"))
    return tuple(ManifestEntry(**entry) for entry in data["file"])


def ownership(spec: ProjectSpec) -> dict[str, str]:
    """Generated path → 'org' | 'project' (what `sync` may update), including mlops.toml."""
    out = {SPEC_FILE: "project"}
    for entry in manifest():
        for path in _expand(entry.path, spec):
            out[path] = entry.owner
    return out


def _expand(path: str, spec: ProjectSpec) -> list[str]:
    if "{branch}" in path:
        return [path.replace("{branch}", b) for b in spec.branch_names]
    return [path]


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
    year = str(datetime.date.today().year)
    return text.replace("{{ year }}", year).replace("{{ holder }}", holder).rstrip("\n")


def render(spec: ProjectSpec) -> list[RenderedFile]:
    """Every file of the generated repository, in manifest order, mlops.toml last."""
    base = template_root() / "project"
    context = {"spec": spec, "version": __version__, "ownership_toml": render_text(ownership(spec))}
    files: list[RenderedFile] = []
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
            files.append(RenderedFile(path, content, entry.owner, executable=path.endswith((".sh",))))
    files.append(RenderedFile(SPEC_FILE, dumps(spec).encode("utf-8"), "project"))
    return files


def ownership_from_manifest() -> Ownership:
    """The installed template's map, for repositories generated before .mlops/ownership.toml existed."""
    project = [e.path.replace("{branch}", "*") for e in manifest() if e.owner == "project"]
    org = [e.path.replace("{branch}", "*") for e in manifest() if e.owner == "org"]
    return Ownership(tuple(project), tuple(org), "the installed jupyter-mlops template")
