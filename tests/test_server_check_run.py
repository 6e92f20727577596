"""check and run over REST: the project's own entry point as a job, its lines as events, credentials held
by the job only. Data is the generated project's synthetic sample; Kubeflow is the KFP stand-in."""

from __future__ import annotations

import pytest

from tests.generated_support import StaticFiles, write_synthetic_sample
from tests.server_support import check_schema, server_config
from tests.standins.kfp import KfpStandin


@pytest.fixture
def jp_server_config():
    return server_config()


@pytest.fixture
def data_server(tmp_path):
    folder = tmp_path / "sample-data"
    folder.mkdir()
    with StaticFiles(folder) as files:
        yield folder, files


async def make_wine(api, data_server, monkeypatch) -> None:
    """A project made through the API; its data the generated project's synthetic sample over local HTTP
    (the server's environment gives DATA_URI, as CI's does)."""
    done = await api.wait((await api.post("init", {"path": "wine"}))[1])
    assert done["state"] == "succeeded", done["error"]
    folder, files = data_server
    write_synthetic_sample(api.root / "wine", folder / "winequality-red.synthetic.csv")
    monkeypatch.setenv("DATA_URI", files.url("winequality-red.synthetic.csv"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # a local run must never reach for the network


async def test_check_passes_and_streams_each_line_as_an_event(api, data_server, monkeypatch):
    await make_wine(api, data_server, monkeypatch)
    with KfpStandin("none") as kfp:
        monkeypatch.setenv("KFP_HOST", kfp.host)
        status, job = await api.post("check", {"path": "wine", "branch": "development"})
        assert status == 202
        done = await api.wait(job)
    assert done["state"] == "succeeded", done["error"]
    check_schema("EntryResult", done["result"])
    assert done["result"]["ok"] and done["result"]["branch"] == "development"
    steps = {(e["step"], e["state"]) for e in done["all_events"]}
    assert {("data", "done"), ("kfp", "done"), ("check", "done")} <= steps


async def test_check_uses_the_credentials_of_the_request_and_never_shows_them(
    api, data_server, monkeypatch, server_log
):
    await make_wine(api, data_server, monkeypatch)
    with KfpStandin("dex", password="Right-Pass-1", multi_user=True) as kfp:
        monkeypatch.setenv("KFP_HOST", kfp.host)
        good = await api.wait(
            (
                await api.post(
                    "check",
                    {
                        "path": "wine",
                        "branch": "staging",
                        "credentials": {"KFP_USERNAME": "user@example.com", "KFP_PASSWORD": "Right-Pass-1"},
                    },
                )
            )[1]
        )
        bad = await api.wait(
            (
                await api.post(
                    "check",
                    {
                        "path": "wine",
                        "branch": "staging",
                        "credentials": {"KFP_USERNAME": "user@example.com", "KFP_PASSWORD": "Wrong-Pass-2"},
                    },
                )
            )[1]
        )
    assert good["state"] == "succeeded", good["error"]
    assert bad["state"] == "failed" and bad["error"]["reason"] == "unauthenticated"
    assert "credentials are missing or were rejected" in bad["error"]["message"]
    seen = repr(good) + repr(bad) + server_log()
    assert "Right-Pass-1" not in seen and "Wrong-Pass-2" not in seen


async def test_run_local_runs_the_pipeline_to_its_end(api, data_server, monkeypatch):
    await make_wine(api, data_server, monkeypatch)
    status, job = await api.post("run", {"path": "wine", "local": True})
    assert status == 202
    done = await api.wait(job, timeout=300)
    assert done["state"] == "succeeded", done["error"]
    check_schema("EntryResult", done["result"])
    assert any("the pipeline ran to the end" in line for line in done["result"]["lines"])


async def test_run_submits_and_links_the_run(api, data_server, monkeypatch):
    await make_wine(api, data_server, monkeypatch)
    with KfpStandin("none") as kfp:
        monkeypatch.setenv("KFP_HOST", kfp.host)
        done = await api.wait((await api.post("run", {"path": "wine", "branch": "development"}))[1], timeout=300)
        (run_id,) = kfp.state.runs
    assert done["state"] == "succeeded", done["error"]
    url = f"{kfp.host}/#/runs/details/{run_id}"
    assert done["result"]["run_url"] == url
    assert any(e["step"] == "run" and e["link"] == url for e in done["all_events"])


@pytest.mark.parametrize(
    "route, body, code, words",
    [
        ("check", {"path": "wine", "branch": "main"}, 400, "the project's branches are development, staging"),
        ("check", {"path": "wine", "inference": "yes"}, 400, "inference: expected boolean"),
        ("run", {"path": "wine", "local": True, "wait": True}, 400, "--wait and --timeout are for runs on Kubeflow"),
        ("run", {"path": "wine", "timeout": 0}, 400, "timeout: must be above 0"),
        ("check", {"path": "nowhere"}, 404, "not a jupyter-mlops project"),
        ("check", {"path": "../up"}, 400, "'..'"),
        ("run", {"path": "wine", "credentials": {"PYTHONPATH": "/tmp/evil"}}, 400, "PYTHONPATH"),
        ("run", {"path": "wine", "credentials": {"kfp token": "x"}}, 400, "the name 'kfp token' is not allowed"),
    ],
)
async def test_refusals_before_anything_runs(api, data_server, monkeypatch, route, body, code, words):
    await make_wine(api, data_server, monkeypatch)
    status, answer = await api.post(route, body)
    assert status == code and words in answer["message"] + " ".join(answer.get("details", []))
    assert not (api.root / "wine" / "local_outputs").exists()


async def test_check_inference_on_a_project_without_the_example_is_refused_saying_what_to_run(api):
    """Given a skeleton project (example = false: no model, no tests/inference/), when the panel asks for its
    inference tests, then the answer is a 400 (no job) saying why and what to run instead."""
    done = await api.wait((await api.post("init", {"path": "plain", "settings": {"example": False}}))[1])
    assert done["state"] == "succeeded", done["error"]
    status, answer = await api.post("check", {"path": "plain", "inference": True})
    assert status == 400 and "has no tests/inference/" in answer["message"]
    assert "without --inference for the preflight" in answer["message"]


async def test_cancel_stops_a_running_local_run(api, data_server, monkeypatch):
    await make_wine(api, data_server, monkeypatch)
    _, job = await api.post("run", {"path": "wine", "local": True})
    status, cancelled = await api.call("DELETE", f"jobs/{job['id']}")
    assert status == 202 and cancelled["id"] == job["id"]
    done = await api.wait(job, timeout=120)
    assert done["state"] in ("cancelled", "succeeded")  # it may have finished before the request arrived
    if done["state"] == "cancelled":
        assert done["error"]["reason"] == "cancelled"
