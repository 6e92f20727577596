"""Unit tests of the example's steps as plain functions (``.python_func``): no cluster, no KFP run."""

import pickle

import pandas as pd
import pytest
from kfp import dsl

from src.steps.deploy import deploy
from src.steps.evaluate import evaluate
from src.steps.preprocess import preprocess
from src.steps.pull_data import pull_data
from src.steps.train import train


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
    scaler = artifact(dsl.Model, tmp_path, "scaler")
    preprocess.python_func(dataset=pulled, scaler=scaler, test_size=0.25, seed=42, **outputs)
    return outputs


@pytest.fixture
def model(split, tmp_path):
    model = artifact(dsl.Model, tmp_path, "model")
    outputs = train.python_func(train_set=split["train_set"], model=model, alpha=0.1, l1_ratio=0.5)
    assert tuple(outputs) == ("", "")  # no tracking URI: nothing logged, nothing registered
    return model


def test_pull_data_reads_the_semicolon_separated_csv(pulled):
    frame = pd.read_csv(pulled.path)
    assert frame.shape == (400, 12)
    assert "quality" in frame.columns and "alcohol" in frame.columns


def test_pull_data_says_when_the_separator_is_wrong(wine_csv, tmp_path):
    with pytest.raises(ValueError, match="separator"):
        pull_data.python_func(data_uri=str(wine_csv), dataset=artifact(dsl.Dataset, tmp_path, "d"), sep=",")


def test_preprocess_holds_out_a_quarter_and_standardises_the_features(split):
    train_set = pd.read_csv(split["train_set"].path)
    test_set = pd.read_csv(split["test_set"].path)
    assert (len(train_set), len(test_set)) == (300, 100)
    features = train_set.drop(columns=["quality"])
    assert features.mean().abs().max() < 1e-6
    assert ((features.std(ddof=0) - 1).abs() < 1e-6).all()


def test_train_saves_a_fitted_elasticnet(model):
    with open(model.path, "rb") as handle:
        fitted = pickle.load(handle)
    assert type(fitted).__name__ == "ElasticNet"
    assert (fitted.alpha, fitted.l1_ratio) == (0.1, 0.5)


def test_evaluate_passes_the_default_thresholds(model, split, tmp_path):
    metrics = artifact(dsl.Metrics, tmp_path, "metrics")
    passed = evaluate.python_func(model=model, test_set=split["test_set"], metrics=metrics)
    assert passed is True
    assert set(metrics.metadata) == {"rmse", "r2", "mae"}
    assert metrics.metadata["r2"] >= 0.3


def test_evaluate_fails_a_model_below_a_threshold(model, split, tmp_path):
    metrics = artifact(dsl.Metrics, tmp_path, "metrics")
    assert (
        evaluate.python_func(model=model, test_set=split["test_set"], metrics=metrics, min_r2=0.99) is False
    )


def test_deploy_skips_with_a_reason_off_the_cluster(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    message = deploy.python_func(
        model_name="wine-quality", storage_uri="s3://mlflow/1/abc/artifacts/wine-quality"
    )
    assert message.startswith("deploy: skipped, not running on a Kubernetes cluster")
