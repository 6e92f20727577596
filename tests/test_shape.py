"""The code's shape holds (CONTRIBUTING.md, "The code's shape"): no import cycle among our modules, no layer
importing one above it, heavy libraries imported where they are used, our own modules at module top.

Read from the source with ast, so an import inside a function counts too: a cycle hidden in a function is
still a cycle. Imports under ``if TYPE_CHECKING:`` are for the type checker only and do not count.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "jupyter_mlops"

# Third-party modules that cost tens to hundreds of milliseconds to import (or drag in a framework).
HEAVY = {
    "kfp", "github", "git", "tornado", "jinja2", "ipywidgets", "mlflow", "nacl", "yaml", "IPython",
    "jupyter_server", "traitlets", "requests", "jsonschema", "referencing", "dotenv",
}  # fmt: skip

# Face modules built on a heavy framework (their classes subclass its classes): they import it at module top
# and are themselves loaded late, through the entry points below.
BUILT_ON_HEAVY = {
    "jupyter_mlops.server.app",
    "jupyter_mlops.server.handlers",
    "jupyter_mlops.notebook.wizard",
    "jupyter_mlops.notebook.fields",
}

# The faces' deferred entry points, the only places that import our own modules inside a function:
# `import jupyter_mlops` loads no face; `%load_ext` builds no parser; `--help` loads no operation.
ENTRY_POINTS = {
    "jupyter_mlops": "the package's hooks (magics, wizard, server extension) load their face on first use",
    "jupyter_mlops.notebook.magics": "%mlops builds the CLI's parser and the wizard on first use",
    "jupyter_mlops.cli.*_cmd": "a verb loads its operation when it runs, so --help loads parsers only",
}

# Layers, lowest first: a module may import its own layer and those below, never one above.
LAYERS = [
    ("base", ("errors", "progress", "safepaths", "timeouts", "_toml", "_types", "_version", "payloads")),
    ("settings", ("settings",)),
    ("services", ("scaffold", "vcs", "github")),
    ("operations", ("operations",)),
    ("faces", ("cli", "server", "notebook", "__init__", "__main__")),
]


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module name, ours or not
    in_function: bool
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, ours: set[str]) -> list[Import]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend(Import(name, a.name, in_function, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                submodules = [f"{target}.{a.name}" for a in child.names if f"{target}.{a.name}" in ours]
                # `from . import gitcli` imports the submodule; `from .spec import X` the module itself
                targets = submodules if len(submodules) == len(child.names) else [target]
                found.extend(Import(name, t, in_function, child.lineno) for t in targets)
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def all_imports() -> list[Import]:
    mods = modules()
    return [i for name, path in mods.items() for i in imports_of(name, path, set(mods))]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each one an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def layer_of(name: str) -> int:
    first = name.split(".")[1] if "." in name else "__init__"
    return next(i for i, (_, tops) in enumerate(LAYERS) if first in tops)


def is_entry_point(name: str) -> bool:
    return name in ENTRY_POINTS or (name.startswith("jupyter_mlops.cli.") and name.endswith("_cmd"))


def ours(target: str) -> bool:
    return target == "jupyter_mlops" or target.startswith("jupyter_mlops.")


# ---------------------------------------------------------------- the tests


def test_our_modules_import_no_cycle():
    # Given every import among our modules, inside functions too, when the graph is searched for cycles,
    # then there is none (a new cycle names its modules here)
    mods = set(modules())
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for i in all_imports():
        if i.target in mods and i.target != i.importer:
            graph[i.importer].add(i.target)
    assert cycles(graph) == []


def test_a_cycle_would_be_found():
    # The search itself: a hidden cycle through a function-level import is reported
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_layer_imports_a_layer_above_it():
    mods = set(modules())
    upward = [
        f"{i.importer}:{i.line} imports {i.target}"
        for i in all_imports()
        if i.target in mods and i.target != "jupyter_mlops" and layer_of(i.target) > layer_of(i.importer)
    ]
    assert upward == []


def test_heavy_libraries_are_imported_inside_the_functions_that_use_them():
    at_top = [
        f"{i.importer}:{i.line} imports {i.target} at module top"
        for i in all_imports()
        if not i.in_function and i.target.split(".")[0] in HEAVY and i.importer not in BUILT_ON_HEAVY
    ]
    assert at_top == []


def test_our_modules_and_the_standard_library_are_imported_at_module_top():
    # Inside a function only a third-party module is imported; our own modules only in the entry points
    stdlib = set(sys.stdlib_module_names)
    late = [
        f"{i.importer}:{i.line} imports {i.target} inside a function"
        for i in all_imports()
        if i.in_function and ((ours(i.target) and not is_entry_point(i.importer)) or i.target.split(".")[0] in stdlib)
    ]
    assert late == []
