"""Security of the REST face: what a holder of a Jupyter token can send, and what the server does with it.

Replays the REST findings of issue 13 on a real Jupyter server: a remote that ran a command while
push planned, a hang no one could cancel (and that let a second push on the folder in), 500s on
deep JSON and malformed URLs, NaN, the server's GitHub token sent to any host.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.server_support import server_config

POST_ROUTES = {
    "validate": {"settings": {}},
    "plan": {"path": "p"},
    "init": {"path": "p"},
    "push": {"path": "p"},
    "secrets": {"path": "p", "secrets": {"A": "b"}},
    "check": {"path": "p"},
    "run": {"path": "p"},
    "sync": {"path": "p"},
}


@pytest.fixture
def jp_server_config():
    return server_config()


async def make_project(api, path: str = "wine") -> None:
    done = await api.wait((await api.post("init", {"path": path}))[1])
    assert done["state"] == "succeeded", done["error"]


@pytest.mark.parametrize(
    "remote, words",
    [
        ("--upload-pack=touch {marker}", "starts with '-'"),
        ("--exec=touch {marker}", "starts with '-'"),
        ("ext::sh -c touch% {marker}", "'ext' transport"),
        ("fd::17", "'fd' transport"),
        ("", "the URL is empty"),
    ],
)
async def test_push_refuses_a_remote_that_is_no_git_url_before_any_job(api, tmp_path, remote, words):
    await make_project(api)
    marker = tmp_path / "PWNED"
    status, body = await api.post("push", {"path": "wine", "remote": remote.format(marker=marker)})
    assert status == 400 and body["reason"] == "invalid_input"
    assert body["message"].startswith("remote: ") and words in body["message"]
    assert not marker.exists()


async def test_a_push_that_waits_on_a_remote_is_a_job_that_holds_the_folder_and_can_be_cancelled(
    api,
    silent_server,
):
    await make_project(api)
    status, job = await api.post("push", {"path": "wine", "remote": silent_server})
    assert status == 202  # planning (ls-remote) runs in the job
    status, body = await api.post("push", {"path": "wine"})
    assert status == 409 and job["id"] in body["message"]  # one job per folder, even while it plans
    await asyncio.sleep(0.5)
    started = time.monotonic()
    status, _ = await api.call("DELETE", f"jobs/{job['id']}")
    assert status == 202
    done = await api.wait(job, timeout=30)
    assert done["state"] == "cancelled" and time.monotonic() - started < 10
    status, job = await api.post("push", {"path": "wine"})
    assert status == 202  # the folder is free again
    assert (await api.wait(job))["state"] == "succeeded"


@pytest.mark.parametrize("route", sorted(POST_ROUTES))
async def test_deeply_nested_json_is_400_on_every_post_route(api, route):
    status, body = await api.post(route, "[" * 100_000 + "]" * 100_000)
    assert status == 400 and "nests deeper" in body["message"]
    status, body = await api.post(route, '{"path": ' + '{"a": ' * 50 + "1" + "}" * 51)
    assert status == 400 and "nests deeper" in body["message"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_nan_and_infinity_are_400(api, number):
    status, body = await api.post("run", f'{{"path": "p", "wait": true, "timeout": {number}}}')
    assert status == 400 and "finite number" in body["message"]


@pytest.mark.parametrize("url", ["http://[::1/api/v3", "https://ghe.example:70000/api/v3", "ftp://ghe/api/v3"])
async def test_a_malformed_github_url_is_400_on_push_secrets_and_sync(api, url):
    await make_project(api)
    for route, body in (
        ("push", {"path": "wine", "owner": "acme", "token": "ghp_x", "github_url": url}),
        ("secrets", {"path": "wine", "secrets": {"A": "b"}, "token": "ghp_x", "github_url": url}),
        ("sync", {"path": "wine", "token": "ghp_x", "github_url": url}),
    ):
        status, answer = await api.post(route, body)
        assert status == 400 and "--github-url" in answer["message"], (route, answer)
    status, answer = await api.get("secrets", path="wine", github_url=url)
    assert status == 400


async def test_the_servers_token_is_not_sent_to_a_host_the_admin_did_not_allow(api, github_standin, monkeypatch):
    await make_project(api)
    monkeypatch.setenv("GITHUB_TOKEN", github_standin.token)
    github_standin.reset_calls()
    status, body = await api.post("push", {"path": "wine", "owner": "octo", "github_url": github_standin.api_url})
    assert status == 400 and "c.MlopsExtension.github_hosts" in body["message"]
    assert github_standin.calls == []


@pytest.mark.parametrize(
    "params, words",
    [
        ({"branches": "a" * 1001}, "branches is too long (at most 1000"),
        ({"name": "n" * 201}, "name is too long (at most 200"),
    ],
)
async def test_over_long_query_values_are_400(api, params, words):
    route = "schema" if "branches" in params and len(params) == 1 else "defaults"
    status, body = await api.get(route, **params)
    assert status == 400 and words in body["message"]


@pytest.mark.parametrize("since", ["9" * 5000, "²", "-1"])
async def test_odd_since_values_are_400(api, since):
    status, body = await api.get("jobs/0123456789abcdef0123456789abcdef", since=since)
    assert status == 400 and "since" in body["message"]
