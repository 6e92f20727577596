"""The model comparison's sweep: its trials are runs the pipeline accepts; where the runs are tracked."""

import pytest

from src.helpers import sweep
from src.helpers.config import ConfigError, branches, load_branch_config
from src.helpers.local_run import apply_overrides
from src.pipelines.pipeline import pipeline


def test_every_trial_sets_parameters_the_pipeline_takes():
    trials = sweep.load_sweep().trials
    assert len(trials) >= 2
    for trial in trials:
        assert apply_overrides({}, trial.params, pipeline) == trial.params


def test_trials_need_different_names(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("trials:\n  - {name: a, params: {alpha: 0.1}}\n  - {name: a, params: {alpha: 0.2}}\n")
    with pytest.raises(ConfigError, match="different names"):
        sweep.load_sweep(path)


def test_local_sweeps_track_to_a_file_store_when_no_server_is_reachable(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    config = load_branch_config(branches()[0])
    uri = sweep.tracking_uri(config, {})
    if config.mlflow_uri.endswith((".svc.cluster.local:5000", ".svc.cluster.local")):
        assert uri.startswith("file:") and uri.endswith("local_outputs/mlruns")
    assert sweep.tracking_uri(config, {"MLFLOW_TRACKING_URI": "http://mlflow.example:5000"}).startswith(
        "http"
    )
