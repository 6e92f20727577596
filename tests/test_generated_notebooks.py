"""The generated notebooks execute top to bottom with nbclient: the step-by-step and local run on the
synthetic sample, and the submission against the KFP stand-in."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.standins.kfp import KfpStandin


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "committed with outputs"
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return notebook


def text_of(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


@pytest.fixture
def kernel_env(monkeypatch, tmp_path):
    # The kernel inherits the environment: no credentials from the developer's shell, no pip downloads.
    for name in ("KFP_HOST", "KFP_TOKEN", "KFP_USERNAME", "KFP_PASSWORD", "DATA_URI", "KF_PIPELINES_SA_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    return monkeypatch


@pytest.mark.slow
def test_steps_and_local_run_notebook(wine_project, synthetic_data, kernel_env):
    folder, _ = synthetic_data
    kernel_env.setenv("DATA_URI", str(folder / "winequality-red.synthetic.csv"))
    notebook = execute(wine_project / "notebooks" / "01-steps-and-local-run.ipynb")
    out = text_of(notebook)
    assert "branch development: pipeline 'wine-quality'" in out
    assert "pull_data: 400 rows x 12 columns" in out
    assert "passed: True" in out
    assert "deploy: skipped, not running on a Kubernetes cluster" in out
    # The last cell's value: the local pipeline's metrics.
    last = notebook.cells[-2].outputs[-1]["data"]["text/plain"]
    assert "'Output'" in last and "'r2'" in last and "'rmse'" in last


def test_submission_notebook_submits_the_current_branch(wine_project, synthetic_data, kernel_env):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        kernel_env.setenv("KFP_HOST", kfp.host)
        kernel_env.setenv("DATA_URI", files.url("winequality-red.synthetic.csv"))
        notebook = execute(wine_project / "notebooks" / "02-submit-to-kubeflow.ipynb")
        (run_id,) = kfp.state.runs
        version = kfp.state.versions[kfp.state.runs[run_id]["pipeline_version_reference"]["pipeline_version_id"]]
    out = text_of(notebook)
    assert f"kfp.host {kfp.host} with none authentication" in out
    assert "✓ data: " in out and "✓ kfp: " in out
    assert f"[Open run {run_id} in Kubeflow]({kfp.host}/#/runs/details/{run_id})" in out
    assert version["display_name"].startswith("development-")


def test_skeleton_notebook(tmp_path, kernel_env):
    from tests.generated_support import generate

    project = generate(tmp_path, "plain", "example=false")
    out = text_of(execute(project / "notebooks" / "01-steps-and-local-run.ipynb"))
    assert "Hello, development!" in out
