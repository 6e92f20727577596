"""The REST routes that reach remotes — push, secrets, status, sync — against real git and the GitHub stand-in.

Answers are checked against the OpenAPI document (tests/server_support.py); job results against the
component the document names for their kind.
"""

from __future__ import annotations

import pytest

from tests.conftest import git
from tests.server_support import check_schema, server_config


@pytest.fixture
def jp_server_config():
    return server_config()


async def make_project(api, path: str = "wine", **settings) -> None:
    done = await api.wait((await api.post("init", {"path": path, "settings": settings}))[1])
    assert done["state"] == "succeeded", done["error"]


# ---------------------------------------------------------------- status


async def test_status_of_a_new_project(api):
    await make_project(api, "projects/wine", **{"staging.kfp.auth": "token"})
    status, body = await api.get("status", path="projects/wine")
    assert status == 200 and body["path"] == "projects/wine" and body["name"] == "wine"
    assert [b["name"] for b in body["branches"]] == ["development", "staging", "production"]
    assert all(b["exists"] and len(b["commit"]) == 40 and b["remote"] == "no remote" for b in body["branches"])
    assert body["remote"]["kind"] == "none" and body["secrets_mode"] == "environments"
    assert body["branches"][1]["secrets"] == ["KFP_TOKEN"]


@pytest.mark.parametrize(
    "params, code, reason",
    [
        ({"path": "nowhere"}, 404, "not_found"),
        ({}, 400, "invalid_input"),
        ({"path": "../x"}, 400, "invalid_path"),
    ],
)
async def test_status_refusals(api, params, code, reason):
    status, body = await api.get("status", **params)
    assert status == code and body["reason"] == reason


# ---------------------------------------------------------------- push


async def test_push_without_an_owner_goes_to_the_embedded_default(api):
    await make_project(api)
    status, job = await api.post("push", {"path": "wine"})
    assert status == 202
    done = await api.wait(job)
    assert done["state"] == "succeeded", done["error"]
    check_schema("PushResult", done["result"])
    assert done["result"]["target"] == "embedded"
    assert sorted(done["result"]["pushed"]) == ["development", "production", "staging"]
    status, body = await api.get("status", path="wine")
    assert body["remote"]["kind"] == "embedded" and {b["remote"] for b in body["branches"]} == {"in sync"}


async def test_push_to_github_creates_the_repository_with_sealed_secrets(api, github_standin, server_log):
    await make_project(api)
    body = {
        "path": "wine",
        "owner": "octo",
        "github_url": github_standin.api_url,
        "token": github_standin.token,
        "secrets": {"staging": {"KFP_USERNAME": "user@example.com", "KFP_PASSWORD": "pw-Staging-123"}},
    }
    status, job = await api.post("push", body)
    assert status == 202, job
    done = await api.wait(job)
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    check_schema("PushResult", result)
    assert result["target"] == "github" and result["repo_url"].endswith("/octo/wine")
    assert result["secrets_set"]["staging"] == ["KFP_USERNAME", "KFP_PASSWORD"]
    assert github_standin.secret_value("octo", "wine", "KFP_PASSWORD", environment="staging") == "pw-Staging-123"
    assert sorted(github_standin.state.repo("octo", "wine").branches()) == ["development", "production", "staging"]

    # The credentials are in no answer, job event or log line, nor in the project's git config.
    status, snapshot = await api.get(f"jobs/{job['id']}")
    logged = server_log()
    assert "202 POST" in logged and "push" in logged  # the log did capture this request
    seen = repr(snapshot) + repr(job) + logged
    for secret in (github_standin.token, "pw-Staging-123"):
        assert secret not in seen
        assert secret not in (api.root / "wine" / ".git" / "config").read_text()


async def test_push_with_a_rejected_token_fails_its_job_before_any_write(api, github_standin):
    await make_project(api)
    status, job = await api.post(
        "push", {"path": "wine", "owner": "octo", "token": "ghp_wrong", "github_url": github_standin.api_url}
    )
    assert status == 202  # the preflight talks to GitHub: it runs in the job, where it can be cancelled
    done = await api.wait(job)
    assert done["state"] == "failed" and done["error"]["reason"] == "unauthenticated"
    assert "Create a token" in done["error"]["message"]
    assert github_standin.write_calls() == [] and "ghp_wrong" not in repr(done)


@pytest.mark.parametrize(
    "body, code, words",
    [
        ({"path": "wine", "owner": "-bad-"}, 400, "GitHub user or organisation"),
        ({"path": "wine", "owner": "octo", "remote": "/tmp/x.git"}, 400, "not both"),
        ({"path": "wine", "secrets": {"nightly": {"A": "value"}}}, 400, "branches the project does not have"),
        ({"path": "nowhere"}, 404, "not a jupyter-mlops project"),
        ({"path": "wine", "token": 5}, 400, "token: expected string"),
    ],
)
async def test_push_refusals_are_4xx(api, body, code, words):
    await make_project(api)
    status, answer = await api.post("push", body)
    assert status == code and words in answer["message"] + " ".join(answer.get("details", []))


# ---------------------------------------------------------------- secrets


async def pushed_to_github(api, github_standin) -> None:
    await make_project(api, **{"staging.kfp.auth": "token"})
    done = await api.wait(
        (
            await api.post(
                "push",
                {"path": "wine", "owner": "octo", "token": github_standin.token, "github_url": github_standin.api_url},
            )
        )[1]
    )
    assert done["state"] == "succeeded", done["error"]


async def test_secrets_set_then_list_names_only(api, github_standin):
    await pushed_to_github(api, github_standin)
    status, body = await api.post(
        "secrets",
        {
            "path": "wine",
            "env": "staging",
            "secrets": {"KFP_TOKEN": "kfp-Tok-9"},
            "token": github_standin.token,
            "github_url": github_standin.api_url,
        },
    )
    assert status == 200 and body["secrets"] == {"staging": {"KFP_TOKEN": "created"}}
    assert github_standin.secret_value("octo", "wine", "KFP_TOKEN", environment="staging") == "kfp-Tok-9"

    status, body = await api.call(
        "GET",
        "secrets",
        params={"path": "wine", "github_url": github_standin.api_url},
        headers={"X-GitHub-Token": github_standin.token},
    )
    assert status == 200 and "kfp-Tok-9" not in repr(body)
    assert [(s["branch"], s["name"], s["required"]) for s in body["secrets"]] == [("staging", "KFP_TOKEN", True)]
    assert body["missing"] == {"production": ["KFP_USERNAME", "KFP_PASSWORD"]}


async def test_secrets_use_the_servers_token_on_the_hosts_the_admin_allows(
    api, github_standin, monkeypatch, jp_serverapp
):
    await pushed_to_github(api, github_standin)
    monkeypatch.setenv("GITHUB_TOKEN", github_standin.token)
    extension = jp_serverapp.web_app.settings["jupyter_mlops"]
    # Given the default allow-list (github.com only), the server's own token is not sent to another host.
    github_standin.reset_calls()
    status, body = await api.get("secrets", path="wine", env="staging", github_url=github_standin.api_url)
    assert status == 400 and "c.MlopsExtension.github_hosts" in body["message"]
    assert "Send your own token" in body["message"] and github_standin.calls == []
    # When the admin allows the host, the server's token is used there.
    monkeypatch.setattr(extension, "github_hosts", [github_standin.api_url.split("/")[2]])
    status, body = await api.get("secrets", path="wine", env="staging", github_url=github_standin.api_url)
    assert status == 200 and body["repository"] == "octo/wine"
    # A request bringing its own token may name any host.
    monkeypatch.setattr(extension, "github_hosts", ["github.com"])
    status, body = await api.call(
        "GET",
        "secrets",
        params={"path": "wine", "env": "staging", "github_url": github_standin.api_url},
        headers={"X-GitHub-Token": github_standin.token},
    )
    assert status == 200


@pytest.mark.parametrize(
    "secrets, words",
    [
        ({"1BAD": "x"}, "1BAD"),
        ({"GITHUB_TOKEN": "x"}, "GITHUB_"),
    ],
)
async def test_bad_secret_names_are_400_and_nothing_is_sent(api, github_standin, secrets, words):
    await pushed_to_github(api, github_standin)
    github_standin.reset_calls()
    status, body = await api.post(
        "secrets",
        {"path": "wine", "secrets": secrets, "token": github_standin.token, "github_url": github_standin.api_url},
    )
    assert status == 400 and words in body["message"] + " ".join(body.get("details", []))
    assert github_standin.write_calls() == []


@pytest.mark.parametrize(
    "params, code, words",
    [
        ({"path": "nowhere"}, 404, "not a jupyter-mlops project"),
        ({}, 400, "'path' is missing"),
        ({"path": "wine", "env": "nightly"}, 400, "no such branch"),
    ],
)
async def test_secrets_list_refusals(api, params, code, words):
    await make_project(api, owner="octo")
    status, body = await api.call("GET", "secrets", params=params, headers={"X-GitHub-Token": "ghp_unused0"})
    assert status == code and words in body["message"]


async def test_secrets_for_a_project_not_on_github_is_400(api):
    await make_project(api)
    status, body = await api.post("secrets", {"path": "wine", "secrets": {"KFP_TOKEN": "v"}, "token": "ghp_x"})
    assert status == 400 and "Push it first" in body["message"] and "ghp_x" not in repr(body)


# ---------------------------------------------------------------- sync


async def test_sync_without_an_upstream_is_400(api):
    await make_project(api)
    status, body = await api.post("sync", {"path": "wine"})
    assert status == 400 and "no upstream" in body["message"]


async def test_sync_merges_the_main_repos_update_into_every_branch(api, tmp_path):
    # A main repo, and a project that is a clone of it (what `new` makes), with the main repo as upstream.
    await make_project(api, "org-main")
    main = api.root / "org-main"
    (main / "mlops.toml").write_text((main / "mlops.toml").read_text().replace('kind = "project"', 'kind = "main"'))
    git(main, "commit", "-qam", "main repo")
    for branch in ("staging", "production"):
        git(main, "branch", "-f", branch, "development")
    git(api.root, "clone", "-q", str(main), "proj")
    proj = api.root / "proj"
    git(proj, "remote", "rename", "origin", "upstream")
    text = (proj / "mlops.toml").read_text().replace('kind = "main"', 'kind = "project"')
    (proj / "mlops.toml").write_text(text)
    git(proj, "commit", "-qam", "project")
    for branch in ("staging", "production"):
        git(proj, "branch", "-f", branch, "development")
    # The main repo changes an org-owned file on every branch.
    for branch in ("development", "staging", "production"):
        git(main, "checkout", "-q", branch)
        with open(main / ".gitignore", "a") as fh:
            fh.write("# org update\n")
        git(main, "commit", "-qam", f"org update on {branch}")

    status, job = await api.post("sync", {"path": "proj"})
    assert status == 202, job
    done = await api.wait(job)
    assert done["state"] == "succeeded", done["error"]
    check_schema("SyncResult", done["result"])
    statuses = {b["branch"]: b["status"] for b in done["result"]["projects"][0]["branches"]}
    assert statuses == {"development": "updated", "staging": "updated", "production": "updated"}
    for branch in ("development", "staging", "production"):
        assert "# org update" in git(proj, "show", f"{branch}:.gitignore")
