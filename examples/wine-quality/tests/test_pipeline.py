"""Every branch's configuration loads and its pipeline compiles to a valid KFP PipelineSpec."""

import pytest
import yaml

from src.helpers.config import branches, load_branch_config
from src.helpers.entrypoint import compile_pipeline


@pytest.mark.parametrize("branch", branches())
def test_branch_config_loads(branch):
    config = load_branch_config(branch)
    assert config.branch == branch
    assert config.experiment


@pytest.mark.parametrize("branch", branches())
def test_pipeline_compiles_for_branch(branch, tmp_path):
    path = compile_pipeline(branch, tmp_path / "pipeline.yaml")
    spec, *platform = yaml.safe_load_all(path.read_text())  # PipelineSpec, then any PlatformSpec
    assert spec["pipelineInfo"]["name"] == load_branch_config(branch).pipeline_name
    assert spec["root"]["dag"]["tasks"], "the compiled pipeline has no tasks"


def test_requirements_txt_has_every_package_a_step_installs_in_its_pod():
    """A local run installs nothing: it runs the steps with this environment's packages, which
    `pip install -r requirements.txt` provides, instead of each step's pip call."""
    from packaging.requirements import Requirement

    from src.helpers.config import ROOT
    from src.helpers.local_run import installed_packages_only, step_packages
    from src.pipelines.pipeline import pipeline

    lines = (ROOT / "requirements.txt").read_text().splitlines()
    listed = {Requirement(line).name.lower() for line in lines if line.strip() and not line.startswith("#")}
    needed = {Requirement(text).name.lower() for text in step_packages(pipeline)}
    assert needed <= listed, f"requirements.txt lacks {sorted(needed - listed)}"

    def commands() -> str:
        executors = pipeline.pipeline_spec.deployment_spec["executors"]
        return " ".join(
            str(part) for name in executors.keys() for part in executors[name]["container"]["command"]
        )

    before = commands()
    with installed_packages_only(pipeline):
        assert "pip install" not in commands(), "a local run calls no pip"
    assert commands() == before, "restored for the next compile"


def test_a_local_run_says_plainly_whether_it_is_tracked(capsys):
    from src.helpers.local_run import report_tracking

    report_tracking({"mlflow_uri": ""})
    report_tracking({"mlflow_uri": "http://localhost:5000"})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("· mlflow: this local run is not tracked")
    assert "--param mlflow_uri=" in lines[0]
    assert lines[1] == "  mlflow: this run is tracked in http://localhost:5000"
