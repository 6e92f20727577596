"""The lab extension as pip delivers it: prebuilt in the wheel, enabled in JupyterLab, small.

The browser tests (test_lab_browser.py) use the installed copy these tests check, so what they exercise
is what a user gets from `pip install`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import jupyter_mlops
from tests.lab_support import built_extension_dir, own_javascript_bytes

REPO = Path(__file__).resolve().parents[1]
JS_BUDGET = 60_000  # bytes: the extension's own JavaScript, shared JupyterLab packages excluded


def test_jupyterlab_lists_the_extension_as_enabled():
    proc = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"], capture_output=True, text=True, timeout=120
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    line = next((ln.strip() for ln in text.splitlines() if ln.strip().startswith("jupyter-mlops ")), "")
    assert line == f"jupyter-mlops v{jupyter_mlops.__version__} enabled OK (python, jupyter-mlops)", text


def test_installed_extension_is_the_current_build():
    installed = json.loads((built_extension_dir() / "package.json").read_text())
    built = REPO / "jupyter_mlops" / "labextension" / "package.json"
    if built.exists():  # a source checkout: the installed copy must not be stale
        current = json.loads(built.read_text())
        assert installed["jupyterlab"]["_build"] == current["jupyterlab"]["_build"], (
            "the installed lab extension is older than jupyter_mlops/labextension: run pip install -e . again"
        )
    assert (built_extension_dir() / installed["jupyterlab"]["_build"]["load"]).is_file()
    sources = [
        f
        for d in ("src", "style")
        for f in (REPO / "labextension" / d).rglob("*")
        if f.is_file() and "__tests__" not in f.parts  # the unit tests are not part of the build
    ]
    if built.exists() and sources:  # and the build is not older than the TypeScript and CSS it comes from
        newest_source = max(sources, key=lambda f: f.stat().st_mtime)
        assert newest_source.stat().st_mtime <= built.stat().st_mtime, (
            f"{newest_source.relative_to(REPO)} changed after the last build: cd labextension && jlpm build:prod, "
            "then pip install -e . --no-deps"
        )


def test_react_and_the_ui_kit_are_jupyterlabs_not_bundled():
    # The panels are React views on @jupyterlab/ui-components: both are JupyterLab's shared singletons, so the
    # build bundles no copy of them (every npm package it bundles is listed in third-party-licenses.json).
    extension = built_extension_dir()
    package = json.loads((extension / "package.json").read_text())
    assert package["jupyterlab"]["sharedPackages"]["react"] == {"bundled": False, "singleton": True}
    bundled = json.loads((extension / "static" / "third-party-licenses.json").read_text())["packages"]
    assert {p["name"] for p in bundled} <= {"css-loader", "style-loader"}, bundled
    scripts = "".join(p.read_text() for p in (extension / "static").glob("*.js"))
    assert "__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED" not in scripts  # React's own source
    assert "@jupyterlab/ui-components" in scripts  # consumed from JupyterLab's shared scope


def test_own_javascript_stays_within_60_kb():
    sizes = own_javascript_bytes(built_extension_dir())
    total = sum(sizes.values())
    print(f"lab extension JavaScript: {total} bytes in {len(sizes)} files {sizes}")
    assert 0 < total <= JS_BUDGET, f"{total} bytes > {JS_BUDGET}: {sizes}"


@pytest.mark.slow
@pytest.mark.skipif(not (REPO / "pyproject.toml").exists(), reason="needs the source tree")
def test_wheel_ships_the_prebuilt_extension_and_enables_the_server_extension(tmp_path):
    # The same build backend and hook as `pip install .` (no isolation: nothing is downloaded).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = next(tmp_path.glob("jupyter_mlops-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"jupyter_mlops-{jupyter_mlops.__version__}.data/data/"
    ext = data + "share/jupyter/labextensions/jupyter-mlops/"
    package = json.loads(zipfile.ZipFile(wheel).read(ext + "package.json"))
    assert package["name"] == "jupyter-mlops"
    assert ext + "install.json" in names
    assert ext + package["jupyterlab"]["_build"]["load"] in names
    assert json.loads(zipfile.ZipFile(wheel).read(ext + "install.json"))["packageName"] == "jupyter-mlops"
    assert data + "etc/jupyter/jupyter_server_config.d/jupyter_mlops.json" in names
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)
