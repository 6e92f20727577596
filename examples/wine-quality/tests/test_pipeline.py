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
