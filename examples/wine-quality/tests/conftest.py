"""Shared fixtures: a small SYNTHETIC wine-quality sample (generated, the real file's schema)."""

import pytest

from src.helpers.sample_data import write_sample


@pytest.fixture(scope="session")
def wine_csv(tmp_path_factory):
    """400 generated rows, ';'-separated like winequality-red.csv; never the real data, never downloaded."""
    return write_sample(tmp_path_factory.mktemp("data") / "winequality-red.synthetic.csv", rows=400, seed=7)
