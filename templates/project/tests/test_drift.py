"""The drift and new-data check (src/helpers/drift.py) on the real red-wine data, offline: the reference is
what train stores with a model (its MLflow run in a file store), the current data held-out or shifted rows."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from kfp import dsl

from src.helpers import drift
from src.helpers.config import ROOT, branches
from src.steps.preprocess import preprocess
from src.steps.pull_data import pull_data
from src.steps.train import train

BRANCH = branches()[0]


@pytest.fixture(scope="module")
def reference_and_held_out(wine_csv, tmp_path_factory):
    """(the reference statistics a run stores with its model, the held-out raw rows): train describes the
    training rows, evaluate adds the data's URI and the version pull_data read."""
    folder = tmp_path_factory.mktemp("drift")
    data = dsl.Dataset(name="data", uri=str(folder / "data"))
    version = pull_data.python_func(data_uri=str(wine_csv), dataset=data)
    split = {name: dsl.Dataset(name=name, uri=str(folder / name)) for name in ("train_set", "test_set")}
    preprocess.python_func(dataset=data, **split)
    described = dsl.Artifact(name="reference", uri=str(folder / "reference"))
    train.python_func(
        train_set=split["train_set"],
        model=dsl.Model(name="model", uri=str(folder / "model")),
        reference=described,
    )
    reference = json.loads(Path(described.path).read_text())
    reference.update(data_uri=str(wine_csv), data_version=version)
    return reference, pd.read_csv(split["test_set"].path)


def test_held_out_rows_of_the_same_data_do_not_drift(reference_and_held_out):
    reference, held_out = reference_and_held_out
    found = drift.compare(reference, held_out)
    assert [f.name for f in found] == list(held_out.drop(columns=["quality"]).columns)
    assert not [f.name for f in found if f.drifted]


@pytest.mark.parametrize("feature, change", [("alcohol", lambda v: v + 1.5), ("pH", lambda v: v * 1.1)])
def test_a_shifted_feature_drifts_and_only_that_one(reference_and_held_out, feature, change):
    reference, held_out = reference_and_held_out
    shifted = held_out.assign(**{feature: change(held_out[feature])})
    found = {f.name: f for f in drift.compare(reference, shifted)}
    assert [name for name, f in found.items() if f.drifted] == [feature]
    assert found[feature].shift > 1 and found[feature].p_value < 1e-20
    assert "DRIFT" in found[feature].line and feature in found[feature].line


@pytest.mark.parametrize("sizes", [(1199, 400), (7, 13), (5, 5), (300, 20_000)])
def test_the_distance_is_scipys_wasserstein_distance(sizes):
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(sum(sizes))
    first, second = rng.normal(size=sizes[0]), rng.normal(0.3, 1.5, size=sizes[1]).round(1)  # ties too
    mine = drift.wasserstein(np.sort(first), np.sort(second))
    assert mine == pytest.approx(stats.wasserstein_distance(first, second), rel=1e-12)


@pytest.mark.parametrize("sizes", [(1199, 400), (300, 20_000), (5000, 100_000), (60, 60), (7, 13)])
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.2, 0.5])
def test_the_test_is_scipys_kolmogorov_smirnov(sizes, shift):
    """The statistic is ks_2samp's; the p-value close to it (scipy's exact test for these sizes, its
    asymptotic one beyond 10,000 values), and the verdict at the Bonferroni limit (0.05 / 11) the same."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(sum(sizes))
    first, second = rng.normal(size=sizes[0]), rng.normal(shift, 1.0, size=sizes[1]).round(2)  # ties too
    statistic, p = drift.kolmogorov_smirnov(np.sort(first), np.sort(second))
    scipy_says = stats.ks_2samp(first, second)
    assert statistic == pytest.approx(scipy_says.statistic, rel=1e-12)
    if scipy_says.pvalue > 1e-10:
        assert p == pytest.approx(scipy_says.pvalue, rel=0.1, abs=0.02)
    else:  # far in the tail both are "no chance"; the asymptotic formula's digits there differ
        assert p < 1e-9
    assert (p < 0.05 / 11) == (scipy_says.pvalue < 0.05 / 11)


def test_a_missing_feature_is_drift(reference_and_held_out):
    reference, held_out = reference_and_held_out
    found = {f.name: f for f in drift.compare(reference, held_out.drop(columns=["sulphates"]))}
    assert found["sulphates"].drifted and "missing" in found["sulphates"].note


def drift_run(*args, data_uri):
    """`main.py --drift` with the branch's data at ``data_uri`` (DATA_URI: the shipped file, offline)."""
    return subprocess.run(
        [sys.executable, f"src/pipelines/{BRANCH}/main.py", "--drift", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DATA_URI": str(data_uri)},
    )


def test_the_command_prints_a_line_per_feature_writes_the_reports_and_exits_1_on_drift(
    reference_and_held_out, wine_csv, tmp_path
):
    reference, held_out = reference_and_held_out
    saved = tmp_path / "reference.json"
    saved.write_text(json.dumps(reference))
    same, shifted = tmp_path / "same.csv", tmp_path / "shifted.csv"
    held_out.to_csv(same, sep=";", index=False)
    held_out.assign(alcohol=held_out["alcohol"] + 1.5).to_csv(shifted, index=False)  # ',' separated

    calm = drift_run("--reference", str(saved), "--current", str(same), data_uri=wine_csv)
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert calm.stdout.count("✓ drift: ") == 12 and "no drift in 11 features" in calm.stdout
    assert "the version the model was trained on" in calm.stdout, "the shipped file: no new data"

    moved = drift_run("--reference", str(saved), "--current", str(shifted), data_uri=wine_csv)
    assert moved.returncode == 1, moved.stdout + moved.stderr
    assert "✗ drift: alcohol: KS p=" in moved.stdout and "1 of 11 features drifted: alcohol" in moved.stdout
    summary = (ROOT / "build" / BRANCH / "drift.md").read_text()
    assert "**drift** in alcohol" in summary and "| alcohol |" in summary
    assert "<td>DRIFT</td>" in (ROOT / "build" / BRANCH / "drift.html").read_text()


def test_new_data_is_a_different_version_in_storage_than_the_model_was_trained_on(
    reference_and_held_out, wine_csv, tmp_path
):
    reference, _ = reference_and_held_out
    assert drift.data_version(str(wine_csv)) == reference["data_version"], "the version pull_data recorded"
    changed = tmp_path / "winequality-red.csv"
    changed.write_bytes(wine_csv.read_bytes())
    same = drift.NewData(
        str(changed), reference["data_version"], str(changed), drift.data_version(str(changed))
    )
    assert not same.new
    with changed.open("a") as handle:
        handle.write("7.4;0.7;0;1.9;0.076;11;34;0.9978;3.51;0.56;9.4;5\n")
    now = drift.data_version(str(changed))
    assert drift.NewData(str(changed), reference["data_version"], str(changed), now).new


def test_options_other_than_drift_refuse_its_companions():
    proc = subprocess.run(
        [sys.executable, f"src/pipelines/{BRANCH}/main.py", "--retrain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--retrain go with --drift" in proc.stderr
