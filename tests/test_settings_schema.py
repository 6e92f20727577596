"""The settings table describes the forms: the JSON schema every face renders, exported from the one table.

The lab panel (test_lab_browser.py), the ipywidgets wizard (test_wizard.py) and VS Code render their pages
from this schema; here: its shape, the CLI that prints it, `--set` reaching mlops.toml for every key it lists,
and a setting added to the table at test time showing up with no other change.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from jupyter_mlops.cli import main as cli_main
from jupyter_mlops.settings import forms, spec
from jupyter_mlops.settings.table import GROUPS, TABLE
from tests.conftest import run_cli
from tests.forms_support import as_text, settable_rounds, target_value, toml_values

# ---------------------------------------------------------------- the schema's shape


def test_each_field_says_its_page_place_dependency_and_help():
    schema = forms.json_schema()
    fields = schema["properties"]
    # Given the default branches, every project-wide row appears once and every per-branch row once per branch
    assert schema["x-branches"] == ["development", "staging", "production"]
    assert [g["id"] for g in schema["x-groups"]] == ["project", "options", "platform", "github"]
    assert [g.get("x-per-branch", False) for g in schema["x-groups"]] == [False, False, True, False]
    assert set(fields) == {s.key for s in TABLE if not s.per_branch} | {
        f"{b}.{s.key}" for b in schema["x-branches"] for s in TABLE if s.per_branch
    }
    # The dependencies the issue names, resolved for the branch the field belongs to
    assert fields["registry"]["x-when"] == {"containers": True}
    assert fields["staging.data.remote"]["x-when"] == {"data.dvc": True}
    assert fields["compare"]["x-when"] == {"example": True}
    assert "x-when" not in fields["name"]
    # Per-branch fields name their branch and the key without it; the defaults are the branch's own
    assert fields["staging.kfp.auth"]["x-branch"] == "staging"
    assert fields["staging.kfp.auth"]["x-setting"] == "kfp.auth"
    assert fields["development.kfp.auth"]["default"] == "none" and fields["staging.kfp.auth"]["default"] == "dex"
    assert fields["staging.kfp.auth"]["enum"] == ["none", "token", "dex", "incluster"]
    assert fields["owner"]["x-group"] == "github" and fields["example"]["x-group"] == "options"
    for key, field in fields.items():
        assert field["title"] and field["description"], key
        assert field["x-group"] in {g.id for g in GROUPS}, key


def test_every_example_is_valid_and_differs_from_the_default():
    fields = forms.json_schema()["properties"]
    for key, field in fields.items():
        value = target_value(field)
        if key != "branches":
            assert value != field["default"], f"{key}: its example is its default"
        errors, _ = forms.field_errors({key: value, **field.get("x-when", {})})
        assert key not in errors, f"{key}={value!r}: {errors}"


def test_pages_have_a_strict_order():
    for group in GROUPS:
        orders = [s.order for s in spec.on_page(group)]
        assert len(orders) == len(set(orders)), f"two fields share a place on {group.id}: {orders}"


def test_secrets_table_lists_what_each_branch_needs_and_when():
    secrets = {s["name"]: s for s in forms.json_schema()["x-secrets"]}
    assert secrets["KFP_TOKEN"]["x-when"] == {"<branch>.kfp.auth": "token"}
    assert secrets["KFP_PASSWORD"]["x-when"] == {"<branch>.kfp.auth": "dex"}
    assert secrets["AWS_ACCESS_KEY_ID"]["x-when-any"] == [
        {"<branch>.data.uri": {"pattern": "^s3://"}},
        {"data.dvc": True, "<branch>.data.remote": {"pattern": "^s3://"}},
    ]
    assert all(s["x-optional"] is False for s in secrets.values() if s["name"].startswith(("KFP_", "AWS_")))
    # The same rows decide what validate lists per branch
    _, project = forms.field_errors(
        {"staging.kfp.auth": "token", "production.data.uri": "s3://bucket/wine.csv", "containers": True}
    )
    needed = forms.required_secrets(project)
    assert needed["staging"] == ["KFP_TOKEN"]
    assert needed["production"] == ["KFP_USERNAME", "KFP_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    _, project = forms.field_errors({"containers": True, "registry": "registry.example.org/ml"})
    assert forms.required_secrets(project)["development"] == ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]


def test_a_hidden_field_is_not_judged_or_applied():
    # registry only applies with containers: a bad registry typed before unticking containers blocks nothing
    errors, project = forms.field_errors({"containers": False, "registry": "Not A Registry"})
    assert errors == {} and project.registry == "ghcr.io"
    errors, _ = forms.field_errors({"containers": True, "registry": "Not A Registry"})
    assert "registry" in errors


# ---------------------------------------------------------------- the CLI prints it


def test_schema_verb_prints_the_same_document_as_the_rest_route():
    proc = run_cli("schema", "--json", "--branches", "dev,prod")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == forms.json_schema("dev,prod")
    assert "dev.kfp.host" in json.loads(proc.stdout)["properties"]


def test_schema_verb_lists_pages_for_people_and_refuses_bad_branches():
    proc = run_cli("schema")
    assert proc.returncode == 0
    assert "Options: " in proc.stdout and "  registry = ghcr.io  (Image registry; when containers=true)" in proc.stdout
    proc = run_cli("schema", "--json", "--branches", "dev,dev")
    assert proc.returncode == 2 and "branch names repeat" in proc.stderr


# ---------------------------------------------------------------- every key, from the CLI


def test_every_settable_key_of_the_schema_reaches_mlops_toml_through_set(tmp_path):
    schema = forms.json_schema(target_value(forms.json_schema()["properties"]["branches"]))
    rounds = settable_rounds(schema)
    covered = set()
    for i, values in enumerate(rounds):
        project = tmp_path / f"round-{i}"
        sets = [arg for key, value in values.items() for arg in ("--set", f"{key}={as_text(value)}")]
        proc = run_cli("init", str(project), "--yes", *sets)
        assert proc.returncode == 0, proc.stderr
        assert toml_values(project, values) == values
        covered |= set(values)
    assert covered == set(schema["properties"])


# ---------------------------------------------------------------- a new row is all it takes


def test_a_setting_added_to_the_table_is_in_the_schema_set_and_mlops_toml(added_setting, tmp_path):
    fields = forms.json_schema("dev,prod")["properties"]
    assert fields["prod.monitor.drift"] == {
        "type": "string",
        "title": "Drift threshold",
        "description": "Alert when the input drift score exceeds it",
        "default": "0.5",
        "examples": ["0.3"],
        "x-group": "platform",
        "x-order": 95,
        "x-when": {"example": True},
        "x-branch": "prod",
        "x-setting": "monitor.drift",
    }
    errors, _ = forms.field_errors({"staging.monitor.drift": "high"})
    assert errors == {"staging.monitor.drift": "'high' is not a number, e.g. 0.3"}

    # The CLI in this process (the row exists only here): --set takes it, mlops.toml records it
    assert cli_main(["init", str(tmp_path / "p"), "--yes", "--set", "staging.monitor.drift=0.25"]) == 0
    text = (tmp_path / "p" / "mlops.toml").read_text()
    # in the branch's [monitor] table, as users write it (beside the table's own monitor.* rows)
    assert re.search(r'^\[branches\.staging\.monitor\]\n(?:\w+ = .*\n)*drift = "0\.25"$', text, re.M)
    assert toml_values(tmp_path / "p", ["staging.monitor.drift", "production.monitor.drift"]) == {
        "staging.monitor.drift": "0.25",
        "production.monitor.drift": "0.5",
    }


def test_schema_piped_into_a_reader_that_stops_early_ends_quietly():
    """`jupyter mlops schema | head -1`: head closes the pipe; the CLI stops without a traceback."""
    proc = subprocess.run(
        f"{sys.executable} -m jupyter_mlops schema --json | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout == "{"
    assert proc.stderr == ""
