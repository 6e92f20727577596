"""Unit tests of the example's steps as plain functions (``.python_func``): no cluster, no KFP run, no server.

MLflow tracking runs against a file store in a temporary folder, so what is logged and registered is
checked offline with MLflow's own client.
"""

import pickle

import pandas as pd
import pytest
from kfp import dsl
from sklearn.metrics import r2_score

from src.steps.deploy import deploy
from src.steps.evaluate import evaluate
from src.steps.preprocess import preprocess
from src.steps.pull_data import pull_data
from src.steps.train import train

RUN = {"branch": "development", "commit": "0123456789abcdef", "trigger": "code", "kfp_run_id": "kfp-run-1"}
DATA = {"data_uri": "s3://wine-data/winequality-red.csv", "data_version": "etag:5f3a9c"}


def artifact(kind, tmp_path, name):
    return kind(name=name, uri=str(tmp_path / name))


@pytest.fixture
def pulled(wine_csv, tmp_path):
    dataset = artifact(dsl.Dataset, tmp_path, "dataset")
    pull_data.python_func(data_uri=str(wine_csv), dataset=dataset)
    return dataset


@pytest.fixture
def split(pulled, tmp_path):
    outputs = {name: artifact(dsl.Dataset, tmp_path, name) for name in ("train_set", "test_set")}
    preprocess.python_func(dataset=pulled, test_size=0.25, seed=42, **outputs)
    return outputs


@pytest.fixture
def model(split, tmp_path):
    model = artifact(dsl.Model, tmp_path, "model")
    reference = artifact(dsl.Artifact, tmp_path, "reference")  # evaluate reads it from the same folder
    train.python_func(train_set=split["train_set"], model=model, reference=reference, alpha=0.1, l1_ratio=0.5)
    assert model.metadata == {"alpha": 0.1, "l1_ratio": 0.5, "seed": 42, "rows": 1199}
    return model


def evaluated(model, split, tmp_path, **kwargs):
    """evaluate's return value and its two text outputs (the registered version and where its files are)."""
    outputs = {name: str(tmp_path / name) for name in ("version", "storage_uri")}
    metrics = artifact(dsl.Metrics, tmp_path, "metrics")
    reference = artifact(dsl.Artifact, tmp_path, "reference")  # what train wrote there
    passed = evaluate.python_func(
        model=model, test_set=split["test_set"], reference=reference, metrics=metrics, **outputs, **kwargs
    )
    texts = {name: open(path).read() for name, path in outputs.items()}
    return passed, metrics, texts


def test_pull_data_reads_the_semicolon_separated_csv(pulled):
    frame = pd.read_csv(pulled.path)
    assert frame.shape == (1599, 12)
    assert "quality" in frame.columns and "fixed acidity" in frame.columns


def test_pull_data_returns_the_datas_version_which_changes_with_its_content(wine_csv, tmp_path):
    first = pull_data.python_func(data_uri=str(wine_csv), dataset=artifact(dsl.Dataset, tmp_path, "a"))
    again = pull_data.python_func(data_uri=str(wine_csv), dataset=artifact(dsl.Dataset, tmp_path, "b"))
    changed = tmp_path / "changed.csv"
    changed.write_bytes(wine_csv.read_bytes() + b"7.4;0.7;0;1.9;0.076;11;34;0.9978;3.51;0.56;9.4;5\n")
    other = pull_data.python_func(data_uri=str(changed), dataset=artifact(dsl.Dataset, tmp_path, "c"))
    assert first == again and first.startswith("sha256:")
    assert other != first


def test_pull_data_says_when_the_separator_is_wrong(wine_csv, tmp_path):
    with pytest.raises(ValueError, match="separator"):
        pull_data.python_func(data_uri=str(wine_csv), dataset=artifact(dsl.Dataset, tmp_path, "d"), sep=",")


def test_preprocess_holds_out_a_quarter_of_the_rows_as_measured(split, wine_csv):
    train_set = pd.read_csv(split["train_set"].path)
    test_set = pd.read_csv(split["test_set"].path)
    assert (len(train_set), len(test_set)) == (1199, 400)
    raw = pd.read_csv(wine_csv, sep=";")
    assert train_set["alcohol"].between(raw["alcohol"].min(), raw["alcohol"].max()).all()
    assert train_set["alcohol"].mean() > 9, "the features are not scaled: scaling is part of the model"


def test_preprocess_splits_exactly_as_scikit_learns_train_test_split(split, pulled):
    from sklearn.model_selection import train_test_split

    train_set, test_set = (pd.read_csv(split[name].path) for name in ("train_set", "test_set"))
    rows = pd.read_csv(pulled.path)
    expected_train, expected_test = train_test_split(rows, test_size=0.25, random_state=42)
    pd.testing.assert_frame_equal(train_set, expected_train.reset_index(drop=True))
    pd.testing.assert_frame_equal(test_set, expected_test.reset_index(drop=True))


def test_the_model_is_one_pipeline_that_predicts_from_raw_rows(model, split):
    with open(model.path, "rb") as handle:
        fitted = pickle.load(handle)
    assert [name for name, _ in fitted.steps] == ["scale", "regress"]
    assert type(fitted.named_steps["regress"]).__name__ == "ElasticNet"
    assert (fitted.named_steps["regress"].alpha, fitted.named_steps["regress"].l1_ratio) == (0.1, 0.5)
    raw = pd.read_csv(split["test_set"].path)
    predicted = fitted.predict(raw.drop(columns=["quality"]))
    assert 0.3 < r2_score(raw["quality"], predicted) < 0.4


def test_evaluate_passes_the_default_thresholds_on_the_real_data(model, split, tmp_path):
    passed, metrics, texts = evaluated(model, split, tmp_path)
    assert passed is True
    assert set(metrics.metadata) == {"rmse", "r2", "mae"}
    assert metrics.metadata["r2"] == pytest.approx(0.335, abs=0.005)
    assert texts == {"version": "", "storage_uri": ""}, "not tracked: nothing registered"


def test_evaluate_fails_a_model_below_a_threshold(model, split, tmp_path):
    passed, _, _ = evaluated(model, split, tmp_path, min_r2=0.99)
    assert passed is False


def tracked_run(model, split, tmp_path, store, *, min_r2=0.3):
    """evaluate with MLflow tracking into ``store``, as the pipeline wires it; also returns the MLflow run."""
    import mlflow

    passed, metrics, texts = evaluated(
        model,
        split,
        tmp_path,
        min_r2=min_r2,
        mlflow_uri=store,
        mlflow_experiment="wine-dev",
        model_name="wine-quality-development",
        **RUN,
        **DATA,
    )
    client = mlflow.MlflowClient(store)
    [run] = client.search_runs([client.get_experiment_by_name("wine-dev").experiment_id])
    return run, passed, metrics, texts


def test_a_passing_model_becomes_a_tagged_version_that_scores_raw_rows_as_evaluate_did(
    model, split, tmp_path, mlflow_store
):
    import mlflow

    run, passed, metrics, texts = tracked_run(model, split, tmp_path, mlflow_store)
    run_id = run.info.run_id
    assert passed is True and texts["version"] == "1"
    client = mlflow.MlflowClient(mlflow_store)
    version = client.get_model_version("wine-quality-development", "1")
    assert version.run_id == run_id
    assert {k: version.tags[k] for k in RUN} == RUN
    assert {k: version.tags[k] for k in DATA} == DATA, "the data it was trained on, and its version"
    assert version.tags["passed"] == "true"
    assert [version.tags[k] for k in ("max_rmse", "min_r2", "max_mae")] == ["0.9", "0.3", "0.8"]
    assert float(version.tags["r2"]) == metrics.metadata["r2"]
    assert run.info.run_name == "development-0123456789ab [code]"
    assert run.data.params == {"alpha": "0.1", "l1_ratio": "0.5", "seed": "42", "rows": "1199"}
    assert run.data.tags["passed"] == "true" and run.data.tags["kfp_run_id"] == "kfp-run-1"
    assert run.data.metrics["r2"] == metrics.metadata["r2"]
    assert texts["storage_uri"] == client.get_model_version_download_uri("wine-quality-development", "1")
    # What is registered is the whole transform: it scores the held-out raw rows as evaluate did.
    mlflow.set_tracking_uri(mlflow_store)
    served = mlflow.pyfunc.load_model("models:/wine-quality-development/1")
    raw = pd.read_csv(split["test_set"].path)
    assert r2_score(raw["quality"], served.predict(raw.drop(columns=["quality"]))) == pytest.approx(
        metrics.metadata["r2"], abs=1e-6
    )
    inputs = [spec.name for spec in served.metadata.get_input_schema().inputs]
    assert inputs == list(raw.drop(columns=["quality"]).columns), "the signature names the raw columns"


def test_the_run_keeps_reference_statistics_of_the_training_rows(model, split, tmp_path, mlflow_store):
    """What the drift check compares new data with: per feature a summary and a sample of the training rows,
    the target's range, and the data's URI and version."""
    import mlflow

    run, *_ = tracked_run(model, split, tmp_path, mlflow_store)
    mlflow.set_tracking_uri(mlflow_store)
    reference = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/reference/reference.json")
    rows = pd.read_csv(split["train_set"].path)
    assert reference["rows"] == len(rows) == 1199
    assert {k: reference[k] for k in DATA} == DATA
    assert list(reference["features"]) == list(rows.drop(columns=["quality"]).columns)
    alcohol = reference["features"]["alcohol"]
    assert alcohol["mean"] == pytest.approx(rows["alcohol"].mean())
    assert (alcohol["min"], alcohol["max"]) == (rows["alcohol"].min(), rows["alcohol"].max())
    assert sorted(alcohol["sample"]) == sorted(rows["alcohol"]), "every training row (fewer than 5,000)"
    assert reference["target"] == {"name": "quality", "min": 3.0, "max": 8.0}


def test_a_failing_model_is_kept_as_a_run_tagged_passed_false_and_never_registered(
    model, split, tmp_path, mlflow_store
):
    import mlflow

    run, passed, metrics, texts = tracked_run(model, split, tmp_path, mlflow_store, min_r2=0.99)
    assert passed is False and texts == {"version": "", "storage_uri": ""}
    assert run.data.tags["passed"] == "false" and run.data.metrics["r2"] == metrics.metadata["r2"]
    assert mlflow.MlflowClient(mlflow_store).search_registered_models() == []


def test_deploy_skips_with_a_reason_off_the_cluster(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    message = deploy.python_func(
        model_name="wine-quality", version="3", storage_uri="s3://mlflow/1/models/m-1/artifacts"
    )
    assert message.startswith("deploy: skipped, not running on a Kubernetes cluster")


@pytest.mark.parametrize(
    "storage_uri",
    ["mlflow-artifacts:/1/models/m-1/artifacts", "file:///mlruns/1/models/m-1/artifacts", "runs:/abc/model"],
)
def test_deploy_refuses_storage_kserve_cannot_read_before_creating_anything(monkeypatch, storage_uri):
    """In a pod (KUBERNETES_SERVICE_HOST set), an MLflow server proxying artifacts hands out URIs KServe's
    storage initializer cannot download: the step stops first, naming the server setting to change."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "9")  # nothing listens: any API call would fail otherwise
    with pytest.raises(RuntimeError, match="nothing was created") as failure:
        deploy.python_func(model_name="wine-quality", version="3", storage_uri=storage_uri)
    message = str(failure.value)
    assert "--default-artifact-root s3://" in message and "--no-serve-artifacts" in message
