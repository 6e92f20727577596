"""What started a run (recorded in its name), and a manual run's parameters."""

import json
import time

import pytest

from src.helpers import submit, trigger
from src.helpers.config import ConfigError
from src.helpers.local_run import apply_overrides
from src.helpers.report import StepFailed
from src.pipelines.pipeline import pipeline


def push_event(tmp_path, *changed):
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"commits": [{"added": [], "modified": list(changed), "removed": []}]}))
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path), "GITHUB_SHA": "ab" * 20}


def test_a_push_changing_only_data_is_a_data_trigger(tmp_path):
    found = trigger.detect(push_event(tmp_path, "data/wine.csv.dvc"))
    assert found.kind == "data" and "data/wine.csv.dvc" in found.label


def test_a_push_changing_code_is_a_code_trigger(tmp_path):
    assert trigger.detect(push_event(tmp_path, "data/wine.csv.dvc", "src/steps/__init__.py")).kind == "code"


@pytest.mark.parametrize(
    "event, kind", [("schedule", "schedule"), ("workflow_dispatch", "manual"), ("", "local")]
)
def test_other_triggers(event, kind):
    assert trigger.detect({"GITHUB_EVENT_NAME": event} if event else {}).kind == kind


def test_a_scheduled_run_names_the_checked_out_commit_not_the_default_branchs():
    head = trigger.git("rev-parse", "HEAD")
    scheduled = {"GITHUB_EVENT_NAME": "schedule", "GITHUB_SHA": "f" * 40}
    assert trigger.commit(scheduled) == head
    assert submit.version_name("main", scheduled) == f"main-{head[:12]}"
    assert trigger.commit({"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": "f" * 40}) == "f" * 40


def test_a_git_that_hangs_stops_at_its_time_limit_and_says_which_command(monkeypatch):
    # A stuck file-system monitor hook makes `git status` wait (here 5 s; a real one may never return).
    for name, value in {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "sleep 5")
    monkeypatch.setenv("MLOPS_GIT_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(StepFailed, match=r"`git status --porcelain` did not answer within 1 s") as failed:
        submit.version_name("main", {})
    assert time.monotonic() - started < 4
    assert "MLOPS_GIT_TIMEOUT" in failed.value.fix


def test_dispatch_inputs_keep_filled_in_parameters_only():
    inputs = json.dumps({"wait": True, "alpha": "0.2", "seed": ""})
    assert trigger.dispatch_inputs({"RUN_INPUTS": inputs}) == {"alpha": "0.2"}
    assert trigger.dispatch_inputs({"RUN_INPUTS": "null"}) == {}


def test_overrides_take_the_parameters_type():
    name, spec = next(iter((pipeline.component_spec.inputs or {}).items()))
    value = {"Float": "0.25", "Integer": "7", "String": "other", "Boolean": "true"}[str(spec.type)]
    overridden = apply_overrides({}, {name: value}, pipeline)
    assert str(overridden[name]) == str({"0.25": 0.25, "7": 7, "true": True}.get(value, value))
    with pytest.raises(ConfigError, match="not one the pipeline takes"):
        apply_overrides({}, {"no_such_parameter": "1"}, pipeline)
