"""Shared fixtures: the real UCI red-wine data shipped in data/example/ (offline, never downloaded)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def wine_csv() -> Path:
    """1,599 red wines, ';'-separated as published (data/README.md: source, licence, citation)."""
    return ROOT / "data" / "example" / "winequality-red.csv"


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A throw-away MLflow tracking store and model registry in a folder (no server; MLflow keeps its file
    store behind MLFLOW_ALLOW_FILE_STORE)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()
