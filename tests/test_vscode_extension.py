"""The VS Code extension as a package (vscode/): what a user installs and what VS Code reads from its manifest.

Its behaviour in a real VS Code is tested in tests/test_vscode_browser.py; its own logic (event parsing, CLI
discovery, schema → form) by its unit tests (node's test runner), which this file runs too, so `pytest` covers
them. Both need the extension built: `cd vscode && npm ci && npm run package` (.ci/run does it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from jupyter_mlops._version import __version__
from tests.conftest import REPO_ROOT

VSCODE = REPO_ROOT / "vscode"
MANIFEST = json.loads((VSCODE / "package.json").read_text())
COMMANDS = {
    "New Project…",
    "Project Status",
    "Push to GitHub",
    "Set Secret…",
    "Run Preflight",
    "Run Inference Tests",
    "Run Pipeline Locally",
    "Submit Pipeline",
    "Promote…",
    "Sync with Main Repo",
}


def built_vsix() -> Path:
    vsix = VSCODE / f"jupyter-mlops-{MANIFEST['version']}.vsix"
    if not vsix.is_file():
        pytest.fail(f"{vsix} is missing: run `cd vscode && npm ci && npm run package` (.ci/run does)")
    return vsix


def test_the_extension_version_is_the_python_packages():
    assert MANIFEST["version"] == __version__
    lock = json.loads((VSCODE / "package-lock.json").read_text())
    assert lock["version"] == __version__ and lock["packages"][""]["version"] == __version__


def test_every_command_is_in_the_palette_under_mlops():
    titles = {c["title"] for c in MANIFEST["contributes"]["commands"]}
    assert COMMANDS <= titles
    assert {c["category"] for c in MANIFEST["contributes"]["commands"]} == {"MLOps"}
    hidden = {m["command"] for m in MANIFEST["contributes"]["menus"]["commandPalette"] if m.get("when") == "false"}
    assert hidden == {"jupyterMlops.refreshStatus"}, "only the view's refresh button stays out of the palette"


def test_activation_is_lazy_and_the_engine_is_code_server_4_100s():
    # VS Code activates an extension on its contributed commands and views by itself (engines ≥ 1.74); any
    # explicit event here would be a broader one ("*", onStartupFinished, workspaceContains…).
    assert MANIFEST["activationEvents"] == []
    assert MANIFEST["engines"]["vscode"] == "^1.100.0"
    assert MANIFEST["devDependencies"]["@types/vscode"] == "~1.100.0"
    branch_actions = {
        m["command"] for m in MANIFEST["contributes"]["menus"]["view/item/context"] if "mlopsBranch" in m["when"]
    }
    assert branch_actions == {
        "jupyterMlops.preflight",
        "jupyterMlops.inferenceTests",
        "jupyterMlops.runLocal",
        "jupyterMlops.submit",
        "jupyterMlops.setSecret",
    }


def test_the_vsix_holds_the_compiled_extension_and_no_sources_or_modules():
    with zipfile.ZipFile(built_vsix()) as z:
        names = set(z.namelist())
        packaged = json.loads(z.read("extension/package.json"))
    assert packaged["version"] == __version__
    assert {"extension/out/extension.js", "extension/out/form.js", "extension/media/wizard.js"} <= names
    assert not [n for n in names if "/src/" in n or "node_modules" in n or n.endswith(".ts")]


def test_the_extensions_unit_tests_pass():
    """Event parsing, CLI discovery and schema → form, run by node's built-in test runner (offline)."""
    built_vsix()
    node = shutil.which("node")
    assert node, "Node.js is needed for the VS Code extension (see .ci/system-packages)"
    proc = subprocess.run([node, "--test", "out/test/"], cwd=VSCODE, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout


def test_the_docs_say_how_to_install_it_and_show_the_end_to_end_runs_pictures():
    import re

    docs = REPO_ROOT / "docs"
    page = (docs / "vscode.md").read_text()
    assert "code --install-extension vscode/jupyter-mlops-" in page and "npm run package" in page
    assert "vscode.md" in (REPO_ROOT / "mkdocs.yml").read_text()
    assert "docs/vscode.md" in (REPO_ROOT / "README.md").read_text()
    pictures = re.findall(r"\]\((images/vscode-[^)]+\.png|media/vscode\.gif)\)", page)
    assert len(pictures) >= 9
    assert [p for p in pictures if not (docs / p).is_file()] == []
    gif = (docs / "media" / "vscode.gif").read_bytes()
    assert gif[:6] in (b"GIF87a", b"GIF89a") and len(gif) < 3_000_000
    assert "media/vscode.gif" in (docs / "videos.md").read_text()
