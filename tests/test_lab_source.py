"""The lab extension's source kept the JupyterLab way: types generated from the API document, the model's
unit tests (jest, as JupyterLab sets it up), eslint + prettier + stylelint as extension-template configures
them. Run through jlpm in labextension/ (its node_modules come from `pip install -e .`, which runs the build).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "labextension"


def jlpm(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    if not (LAB / "node_modules" / ".bin").is_dir():
        pytest.fail("labextension/node_modules is missing: run `pip install -e .` (or `cd labextension && jlpm`)")
    exe = shutil.which("jlpm")
    assert exe, "jlpm (shipped with jupyterlab / jupyter-builder) is not on PATH"
    return subprocess.run([exe, *args], cwd=LAB, capture_output=True, text=True, timeout=timeout)


def test_request_and_response_types_are_generated_from_the_api_document():
    # Given openapi.yaml and the settings table, the committed TypeScript types and the model tests' server
    # answers are exactly what the generator makes of them (else: python scripts/gen_api_types.py)
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_api_types.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    types = (LAB / "src" / "apitypes.ts").read_text()
    for name in ("ISettingsSchema", "IValidation", "IInitPlan", "IPushRequest", "IJob", "IStatus"):
        assert f"export interface {name} " in types


def test_the_panels_use_only_the_generated_types():
    # No hand-written copy of a body's shape: the panels import the generated ones
    sources = [p for p in (LAB / "src").rglob("*.ts*") if "__tests__" not in p.parts and p.name != "apitypes.ts"]
    for source in sources:
        text = source.read_text()
        assert "export interface IJob" not in text and "export interface IStatus" not in text, source


def test_the_models_unit_tests_pass():
    proc = jlpm("typecheck")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    proc = jlpm("test")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Tests:" in output and "failed" not in output.split("Tests:")[1].splitlines()[0]


def test_eslint_prettier_and_stylelint_are_clean():
    proc = jlpm("lint:check")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
