"""The example's train step with MLflow tracking configured: the run, its parameters, the logged model and
the registered model version, read back with MLflow's own client from a local file store (no server, no
network; the generated project's code runs unchanged, in its own folder, as its unit tests do)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
import yaml

from tests.generated_support import clean_env, generate, write_synthetic_sample

# The pipeline's first three steps as plain functions on the synthetic sample, then train twice with the
# development branch's configured parameters (the second run with another alpha), tracked in argv[2].
TRAIN_TRACKED = """
import json, sys, tempfile
from pathlib import Path
import yaml
from kfp import dsl
from src.steps.preprocess import preprocess
from src.steps.pull_data import pull_data
from src.steps.train import train
config = yaml.safe_load(Path("src/pipelines/development/config.yaml").read_text())
params = config["params"]
work = Path(tempfile.mkdtemp())
a = lambda kind, name: kind(name=name, uri=str(work / name))
data, tr, te, sc = a(dsl.Dataset, "d"), a(dsl.Dataset, "tr"), a(dsl.Dataset, "te"), a(dsl.Model, "sc")
pull_data.python_func(data_uri=sys.argv[1], dataset=data)
preprocess.python_func(dataset=data, train_set=tr, test_set=te, scaler=sc, test_size=params["test_size"],
                       seed=params["seed"])
results = []
for run, alpha in enumerate((params["alpha"], params["alpha"] * 2)):
    model = a(dsl.Model, f"model{run}")
    out = train.python_func(train_set=tr, model=model, alpha=alpha, l1_ratio=params["l1_ratio"],
                            seed=params["seed"], mlflow_uri=sys.argv[2], mlflow_experiment=config["experiment"],
                            model_name=params["model_name"])
    results.append({"storage_uri": out.storage_uri, "run_id": out.mlflow_run_id, "model": model.path,
                    "alpha": alpha})
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """Generate a project, train twice with tracking into a file store: (project, store uri, results)."""
    parent = tmp_path_factory.mktemp("mlflow")
    project = generate(parent, "wine-tracked")
    sample = write_synthetic_sample(project, parent / "winequality-red.synthetic.csv")
    store = (parent / "mlruns").as_uri()
    # MLflow 3 refuses a file store unless told it is wanted; sqlite would need SQLAlchemy (not installed).
    env = clean_env(parent / "wine-tracked-home", MLFLOW_ALLOW_FILE_STORE="true")
    proc = subprocess.run(
        [sys.executable, "-c", TRAIN_TRACKED, str(sample), store],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULTS "))
    return project, store, json.loads(line.removeprefix("RESULTS ")), proc.stdout


@pytest.fixture
def client(tracked, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    _, store, _, _ = tracked
    return MlflowClient(tracking_uri=store, registry_uri=store)


def configured(project) -> dict:
    return yaml.safe_load((project / "src/pipelines/development/config.yaml").read_text())


def test_each_training_is_a_run_with_its_parameters_in_the_configured_experiment(tracked, client):
    project, _, results, stdout = tracked
    config = configured(project)
    experiment = client.get_experiment_by_name(config["experiment"])
    assert experiment is not None, "the run is filed under the branch's configured experiment"
    runs = client.search_runs([experiment.experiment_id])
    assert {r.info.run_id for r in runs} == {r["run_id"] for r in results}
    for result in results:
        run = client.get_run(result["run_id"])
        assert run.info.status == "FINISHED"
        assert float(run.data.params["alpha"]) == result["alpha"]
        assert float(run.data.params["l1_ratio"]) == config["params"]["l1_ratio"]
        assert run.data.params["rows"] == "300"  # the training split of the 400-row sample
        assert f"train: logged to MLflow run {result['run_id']}" in stdout


def test_the_model_is_registered_under_the_configured_name_one_version_per_run(tracked, client):
    project, _, results, _ = tracked
    name = configured(project)["params"]["model_name"]
    versions = sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    assert [str(v.version) for v in versions] == ["1", "2"]  # the file store says 1, REST "1"
    assert [v.run_id for v in versions] == [r["run_id"] for r in results]
    assert [v.status for v in versions] == ["READY", "READY"]


def test_storage_uri_is_the_registered_versions_files_the_same_model_kfp_kept(tracked, client):
    """deploy hands storage_uri to KServe's sklearn server, which loads model.pkl from that folder."""
    project, _, results, _ = tracked
    name = configured(project)["params"]["model_name"]
    for version, result in enumerate(results, start=1):
        assert result["storage_uri"] == client.get_model_version_download_uri(name, str(version))
        folder = url2pathname(urlsplit(result["storage_uri"]).path)
        with open(f"{folder}/model.pkl", "rb") as handle:
            served = pickle.load(handle)
        with open(result["model"], "rb") as handle:
            kept = pickle.load(handle)
        assert type(served).__name__ == "ElasticNet" and served.alpha == result["alpha"]
        assert served.coef_.tolist() == kept.coef_.tolist()
        flavors = yaml.safe_load(open(f"{folder}/MLmodel"))["flavors"]
        assert flavors["sklearn"]["pickled_model"] == "model.pkl"
