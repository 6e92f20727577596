"""Inference tests: the branch's deployed model, called where KServe serves it (src/helpers/inference.py).

Not part of the unit tests (`pytest` leaves this folder out: pyproject.toml's norecursedirs); run them with
`python src/pipelines/<branch>/main.py --inference-test` (or `jupyter mlops check --inference`), or
`pytest tests/inference` (INFERENCE_BRANCH picks the branch; default the checked-out one). They skip, saying
why, when no serving URL is known.
"""

import os
import subprocess

import pytest

from src.helpers import inference
from src.helpers.config import ROOT, branches, load_branch_config


def branch() -> str:
    if os.environ.get("INFERENCE_BRANCH"):
        return os.environ["INFERENCE_BRANCH"]
    current = subprocess.run(
        ["git", "branch", "--show-current"], cwd=ROOT, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    return current if current in branches() else branches()[0]


@pytest.fixture(scope="session")
def config():
    return load_branch_config(branch())


@pytest.fixture(scope="session")
def served(config):
    try:
        return inference.endpoint(config)
    except inference.NoEndpoint as exc:
        pytest.skip(f"no serving URL for the {config.branch} branch: {exc}")


@pytest.fixture(scope="session")
def rows(config):
    return inference.raw_rows(config)


@pytest.fixture(scope="session")
def registered(config, rows, served):
    """(what the registered @deployed version predicts for the rows here, the target's training range)."""
    return inference.expected(config, rows)
