"""Notebooks executed top to bottom with nbclient in a real kernel, offline.

- notebooks/getting-started.ipynb: the wizard and the magics on the embedded default.
- A wizard session against the GitHub stand-in, with the token from the kernel's environment: afterwards
  the token is in no output, no saved widget state, nowhere in the notebook file.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT

GETTING_STARTED = REPO_ROOT / "notebooks" / "getting-started.ipynb"


@pytest.fixture
def kernel_env(monkeypatch):
    # The kernel inherits the test's environment (isolated HOME and git identity from conftest).
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # nothing may reach for a package index
    monkeypatch.delenv("DATA_URI", raising=False)


def execute(path, cwd, timeout: int = 600) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}, store_widget_state=True
    ).execute()
    return nb


def text_of(cell, html: bool = True) -> str:
    """What the cell shows: streams and plain text, and (unless ``html=False``) the HTML rendering."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        data = out.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "") if html else ""]
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


@pytest.mark.slow
def test_getting_started_runs_offline_on_the_embedded_default(tmp_path, kernel_env):
    notebook = tmp_path / "getting-started.ipynb"
    shutil.copy(GETTING_STARTED, notebook)
    nb = execute(notebook, tmp_path)
    cells = {c.source.splitlines()[0]: text_of(c, html=False) for c in nb.cells if c.cell_type == "code"}

    assert "usage: %mlops" in cells["%mlops --help"]
    assert "Create: success" in cells["for _ in range(len(wizard.steps)):"]
    status = cells["%mlops status projects/wine-quality"]
    assert "embedded default" in status and status.count("[in sync]") == 3
    assert (
        "Project churn ready"
        in cells['%mlops init projects/churn --set "description=Customer churn" --set staging.kfp.auth=token']
    )
    assert "Pushed to the embedded default remote" in cells["%mlops push projects/churn"]
    assert "KFP_TOKEN" in cells["%mlops status projects/churn"]
    run = cells["%mlops run projects/wine-quality --local"]
    # on the real red-wine data the project ships (no network, no synthetic sample)
    assert "the pipeline ran to the end; metrics: mae=0.525, r2=0.335, rmse=0.642" in run, run[-2000:]

    project = tmp_path / "projects" / "wine-quality"
    branches = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(branches) == ["development", "production", "staging"]
    # The wizard's widgets were saved with the notebook (what a reader sees without a kernel).
    assert nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


WIZARD_ON_GITHUB = [
    "import os\nfrom jupyter_mlops.notebook.wizard import Wizard\n"
    "wizard = Wizard(root='work', name='wine')\nwizard.widget",
    # A user types the token into the password field; here the kernel's environment stands in for the typing.
    "while wizard.step.title != 'GitHub':\n    wizard.next_button.click()\n"
    "wizard.fields['owner'].value = 'octo'\n"
    "wizard.github.github_url.value = os.environ['STANDIN_API_URL']\n"
    "wizard.github.token.input.value = os.environ['STANDIN_TOKEN']",
    "wizard.next_button.click()\n"
    "wizard.secrets.fields['staging', 'KFP_USERNAME'].input.value = 'user@example.com'\n"
    "wizard.secrets.fields['staging', 'KFP_PASSWORD'].input.value = os.environ['STANDIN_SECRET']",
    "wizard.next_button.click(); wizard.next_button.click(); wizard.create_button.click(); wizard.wait()\n"
    "print(wizard.create.state)\nprint(wizard.create.log.value)\nprint(wizard.create.links.value)",
    "%load_ext jupyter_mlops",
    "%mlops status work/wine",
]


def test_after_a_wizard_session_the_token_is_nowhere_in_the_notebook(tmp_path, kernel_env, github_standin, monkeypatch):
    secret = "Staging-Pass-7c1f"
    monkeypatch.setenv("STANDIN_API_URL", github_standin.api_url)
    monkeypatch.setenv("STANDIN_TOKEN", github_standin.token)
    monkeypatch.setenv("STANDIN_SECRET", secret)
    path = tmp_path / "wizard.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in WIZARD_ON_GITHUB]), path)
    nb = execute(path, tmp_path)
    nbformat.write(nb, path)

    outputs = "\n".join(text_of(c) for c in nb.cells)
    assert "success" in outputs and "/octo/wine" in outputs
    assert github_standin.secret_value("octo", "wine", "KFP_PASSWORD", environment="staging") == secret
    saved = path.read_text()
    assert json.loads(saved)["metadata"]["widgets"]  # widget state was saved, and holds neither
    for value in (github_standin.token, secret):
        assert value not in saved
