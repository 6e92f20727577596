"""The REST API on a real Jupyter server: forms, plan, init as a job, jobs, errors, paths.

Every answer is checked against jupyter_mlops/server/openapi.yaml (see tests/server_support.py).
"""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from jupyter_mlops.operations.jobs import INTERNAL_ERROR, Job
from jupyter_mlops.settings.forms import json_schema
from tests.server_support import server_config


@pytest.fixture
def jp_server_config():
    return server_config()


# ---------------------------------------------------------------- defaults, schema, validate


async def test_defaults_follow_the_name_and_branches(api):
    status, body = await api.get("defaults", name="churn", branches="dev,prod")
    assert status == 200
    assert body["branches"] == ["dev", "prod"] and body["default_branch"] == "dev"
    assert body["settings"]["dev.kfp.experiment"] == "churn-dev"
    assert body["settings"]["dev.kfp.auth"] == "none"  # the first branch gets the laptop defaults
    assert body["settings"]["prod.kfp.auth"] == "dex"
    assert body["required_secrets"] == {"dev": [], "prod": ["KFP_USERNAME", "KFP_PASSWORD"]}


async def test_defaults_name_the_project_after_its_folder(api):
    status, body = await api.get("defaults", path="projects/wine-quality")
    assert status == 200 and body["name"] == "wine-quality"
    assert body["branches"] == ["development", "staging", "production"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"name": "bad name"}, "name"),
        ({"branches": "dev,..bad"}, "branches"),
        ({"path": "../outside"}, "path"),
    ],
)
async def test_defaults_refuse_bad_input_with_400(api, params, field):
    status, body = await api.get("defaults", **params)
    assert status == 400
    assert field in body["message"] and body["reason"] in ("invalid_input", "invalid_path")


async def test_schema_is_the_spec_schema_for_the_branches(api):
    status, body = await api.get("schema")
    assert status == 200 and body == json_schema()
    status, body = await api.get("schema", branches="main")
    assert "main.kfp.host" in body["properties"] and "staging.kfp.host" not in body["properties"]


async def test_schema_refuses_bad_branch_names(api):
    status, body = await api.get("schema", branches="dev,dev")
    assert status == 400 and "branch names repeat" in body["message"]


async def test_validate_reports_each_bad_field_with_what_to_do(api):
    status, body = await api.post(
        "validate",
        {
            "settings": {
                "name": "wine quality",
                "staging.kfp.host": "ftp://host",
                "staging.kfp.auth": "magic",
                "development.kfp.namespace": "Kubeflow_User",
                "owner": "my-org",
            }
        },
    )
    assert status == 200 and body["valid"] is False
    assert set(body["errors"]) == {"name", "staging.kfp.host", "staging.kfp.auth", "development.kfp.namespace"}
    assert "letters, digits" in body["errors"]["name"]
    assert "http(s) URL" in body["errors"]["staging.kfp.host"]


async def test_validate_accepts_good_settings_and_names_the_secrets_they_need(api):
    status, body = await api.post(
        "validate",
        {"settings": {"name": "wine", "staging.kfp.auth": "token", "production.data.uri": "s3://bucket/wine.csv"}},
    )
    assert status == 200 and body == {
        "valid": True,
        "errors": {},
        "required_secrets": {
            "development": [],
            "staging": ["KFP_TOKEN"],
            "production": ["KFP_USERNAME", "KFP_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        },
        # and those CI passes on when set: the login of an MLflow server that asks for one (every branch tracks)
        "optional_secrets": {
            b: ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]
            for b in ("development", "staging", "production")
        },
    }


async def test_validate_catches_whole_spec_rules(api):
    status, body = await api.post("validate", {"settings": {"development.kfp.host": ""}})
    assert status == 200 and body["errors"] == {
        "development.kfp.host": "empty; give the KFP URL, or set development.kfp.auth=incluster"
    }


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"{not json", "not JSON"),
        ({"settings": {"name": 3}}, "settings.name: expected string or boolean"),
        ({"settings": {}, "extra": 1}, "'extra' was unexpected"),
        ([1, 2], "body: expected object"),
    ],
)
async def test_malformed_bodies_are_400_never_500(api, raw, words):
    status, body = await api.post("validate", raw)
    assert status == 400 and body["reason"] == "invalid_input"
    assert words in body["message"] + " ".join(body.get("details", []))


# ---------------------------------------------------------------- plan and init


async def test_plan_lists_files_and_branches_and_writes_nothing(api):
    status, plan = await api.post("plan", {"path": "wine-quality", "settings": {"license": "MIT"}})
    assert status == 200
    assert plan["path"] == "wine-quality" and plan["mode"] == "new" and plan["git_init"] is True
    paths = {f["path"] for f in plan["files"]}
    assert {"mlops.toml", "LICENSE", "src/pipelines/staging/main.py"} <= paths
    assert plan["branches"]["create"] == ["staging", "production"]
    assert any("create  mlops.toml" in line for line in plan["describe"])
    assert not (api.root / "wine-quality").exists()


async def test_init_job_creates_the_project_and_reports_progress(api):
    status, job = await api.post("init", {"path": "projects/wine-quality", "settings": {"owner": "my-org"}})
    assert status == 202 and job["state"] in ("queued", "running", "succeeded")
    assert api.last_headers["Location"].endswith(f"/jupyter-mlops/api/jobs/{job['id']}")
    done = await api.wait(job)
    assert done["state"] == "succeeded" and done["error"] is None
    assert done["result"]["path"] == "projects/wine-quality" and done["result"]["mode"] == "new"
    steps = [(e["step"], e["state"]) for e in done["all_events"]]
    assert ("init", "done") in steps and [e["index"] for e in done["all_events"]] == list(range(len(steps)))
    root = api.root / "projects" / "wine-quality"
    assert 'owner = "my-org"' in (root / "mlops.toml").read_text()
    branches = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(branches) == ["development", "production", "staging"]


async def test_second_init_changes_nothing_and_says_so(api):
    done = await api.wait((await api.post("init", {"path": "p"}))[1])
    assert done["state"] == "succeeded"
    status, plan = await api.post("plan", {"path": "p"})
    assert status == 200 and plan["nothing_to_do"] is True and plan["mode"] == "update"
    again = await api.wait((await api.post("init", {"path": "p"}))[1])
    assert again["state"] == "succeeded" and again["all_events"][-1]["state"] == "skip"


async def test_init_with_bad_settings_is_400_before_any_job(api):
    status, body = await api.post("init", {"path": "p", "settings": {"staging.kfp.auth": "magic"}})
    assert status == 400 and body["reason"] == "invalid_input"
    assert any(d.startswith("staging.kfp.auth:") for d in body["details"])
    assert not (api.root / "p").exists()


async def test_init_refuses_to_overwrite_files_with_409(api):
    folder = api.root / "mine"
    folder.mkdir()
    (folder / "README.md").write_text("my notes\n")
    status, body = await api.post("init", {"path": "mine"})
    assert status == 409 and body["reason"] == "conflict" and body["details"] == ["README.md"]
    assert (folder / "README.md").read_text() == "my notes\n"


async def test_init_main_repo_is_recorded_as_main(api):
    done = await api.wait((await api.post("init", {"path": "org-main", "main": True}))[1])
    assert done["state"] == "succeeded"
    assert 'kind = "main"' in (api.root / "org-main" / "mlops.toml").read_text()


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize("path", ["../escape", "/etc", "a/../../b", "~/x", "C:\\\\x", "a\x00b", "a\nb", "x" * 300])
async def test_paths_outside_the_root_are_refused(api, path):
    for route in ("plan", "init"):
        status, body = await api.post(route, {"path": path})
        assert status == 400 and body["reason"] == "invalid_path", (route, body)
    assert not (api.root.parent / "escape").exists()


async def test_a_symlink_out_of_the_root_is_refused(api, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, api.root / "link")
    status, body = await api.post("init", {"path": "link/project"})
    assert status == 400 and body["reason"] == "invalid_path" and "outside" in body["message"]
    assert list(outside.iterdir()) == []


# ---------------------------------------------------------------- jobs


async def test_unknown_job_is_404(api):
    status, body = await api.get("jobs/0123456789abcdef0123456789abcdef")
    assert status == 404 and body["reason"] == "not_found"
    status, body = await api.call("DELETE", "jobs/0123456789abcdef0123456789abcdef")
    assert status == 404


async def test_job_polling_with_a_bad_since_is_400(api):
    _, job = await api.post("init", {"path": "p"})
    status, body = await api.get(f"jobs/{job['id']}", since="-1")
    assert status == 400 and "since" in body["message"]
    await api.wait(job)


async def test_cancelling_a_finished_job_is_409(api):
    done = await api.wait((await api.post("init", {"path": "p"}))[1])
    status, body = await api.call("DELETE", f"jobs/{done['id']}")
    assert status == 409 and body["reason"] == "conflict"


async def test_unknown_routes_under_the_api_are_json_404(api, jp_fetch):
    resp = await jp_fetch("jupyter-mlops", "api", "nope", raise_error=False)
    assert resp.code == 404 and b'"reason": "not_found"' in resp.body


async def test_an_unexpected_error_is_a_generic_500_and_a_log_line_without_the_token(api, monkeypatch, server_log):
    from jupyter_mlops.server import actions

    token = "ghp_" + "Unexpected9" * 3

    def broken(root_dir, path, env, github_url, token, hosts):
        raise RuntimeError(f"bug while holding {token}")

    monkeypatch.setattr(actions, "secrets_list", broken)
    status, body = await api.call(
        "GET", "secrets", params={"path": "p"}, headers={"X-GitHub-Token": token}, validate=False
    )
    assert status == 500 and body == {"message": INTERNAL_ERROR, "reason": "internal_error"}
    logged = server_log()
    assert "RuntimeError: bug while holding ********" in logged and "500 GET" in logged
    assert token not in logged


async def test_a_second_job_on_a_busy_folder_is_409_before_any_planning(api, monkeypatch):
    from jupyter_mlops.server import actions, handlers

    gate = threading.Event()

    def held_init(root_dir, body):  # an init job that runs until the test lets it go
        return Job("init", lambda progress: {"released": gate.wait(30)}, path=body["path"])

    monkeypatch.setattr(handlers.InitHandler, "action", staticmethod(held_init))
    planned = []
    monkeypatch.setattr(actions, "push_job", lambda *a: planned.append(a))
    _, first = await api.post("init", {"path": "p"})
    for route in ("init", "push"):
        status, body = await api.post(route, {"path": "p"})
        assert status == 409 and body["reason"] == "conflict" and first["id"] in body["message"]
    assert planned == []
    gate.set()
    assert (await api.wait(first))["state"] == "succeeded"
    status, _ = await api.post("init", {"path": "other"})
    assert status == 202  # another folder is never blocked
