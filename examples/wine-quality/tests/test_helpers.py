"""The branch helpers: run arguments, pipeline version names, the preflight's data check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from src.helpers import local_run, submit
from src.helpers.config import ROOT, branches, load_branch_config
from src.helpers.preflight import check_data
from src.helpers.report import StepFailed
from src.pipelines.pipeline import pipeline


@pytest.mark.parametrize("branch", branches())
def test_run_arguments_are_parameters_the_pipeline_declares(branch):
    config = load_branch_config(branch)
    arguments = local_run.pipeline_arguments(config, pipeline)
    assert set(arguments) <= set(pipeline.component_spec.inputs or {})
    for name, value in config.params.items():
        assert arguments[name] == value


def test_local_runs_never_track_to_mlflow():
    config = load_branch_config(branches()[0])
    arguments = local_run.pipeline_arguments(config, pipeline, local=True)
    assert not arguments.get("mlflow_uri")


def test_version_name_is_branch_and_commit_in_ci():
    assert submit.version_name("staging", {"GITHUB_SHA": "0123456789abcdef0123"}) == "staging-0123456789ab"


def test_preflight_accepts_a_local_file_for_local_runs(tmp_path, capsys, monkeypatch):
    sample = tmp_path / "sample.csv"
    sample.write_text("a;quality\n1;5\n")
    monkeypatch.setenv("DATA_URI", str(sample))
    config = load_branch_config(branches()[0])
    check_data(config, os.environ, local=True)
    assert capsys.readouterr().out.startswith("✓ data:")
    with pytest.raises(StepFailed, match="cannot read it"):
        check_data(config, os.environ, local=False)  # the cluster's pods could not


def test_preflight_names_a_missing_data_file(monkeypatch):
    monkeypatch.setenv("DATA_URI", "data/no-such-file.csv")
    with pytest.raises(StepFailed, match="does not exist"):
        check_data(load_branch_config(branches()[0]), os.environ, local=True)


def test_main_compiles_without_network(tmp_path):
    branch = branches()[0]
    out = tmp_path / "pipeline.yaml"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "src" / "pipelines" / branch / "main.py"),
            "--compile-only",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("✓ compile:")
    assert Path(out).stat().st_size > 0


def test_the_documented_time_limits_are_the_real_ones():
    from src.helpers import limits

    readme = (ROOT / "docs" / "README.md").read_text(encoding="utf-8").splitlines()
    for variable, default in (limits.GIT, limits.KFP, limits.HTTP):
        row = next(line for line in readme if f"`{variable}`" in line)
        assert f"| {default:g} s |" in row, row
    assert limits.seconds(limits.KFP, {"MLOPS_KFP_TIMEOUT": "5"}) == 5
    assert limits.seconds(limits.KFP, {"MLOPS_KFP_TIMEOUT": "soon"}) == limits.KFP[1]
