"""`jupyter mlops promote FROM TO`: the pull request that moves work one stage on, and nothing else."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import git, run_cli
from tests.org_support import make_main_local, new_local, ok
from tests.standins.github_forks import forks_of


def _project_on_github(tmp_path, gh, env):
    root = tmp_path / "wine"
    ok(run_cli("init", str(root), "--yes", "--set", f"owner={gh.login}", env=env))
    ok(run_cli("push", str(root), "--github-url", gh.api_url, "--yes", env=env))
    return root


def _push(root, gh, env, branch):
    from jupyter_mlops.vcs.remote import header_env

    url = gh.clone_url(gh.login, "wine")
    subprocess.run(
        ["git", "push", "-q", "origin", branch],
        cwd=root,
        check=True,
        env=dict(os.environ, **header_env(url, "x-access-token", env["GITHUB_TOKEN"])),
    )


def test_promote_opens_the_pull_request_once(tmp_path, github_standin, github_env):
    gh = github_standin
    root = _project_on_github(tmp_path, gh, github_env)
    nothing = ok(run_cli("promote", "development", "staging", str(root), "--github-url", gh.api_url, env=github_env))
    assert "Nothing to promote" in nothing.stdout and forks_of(gh).pull_requests(f"{gh.login}/wine") == []

    (root / "src" / "steps" / "notes.md").write_text("a new step idea\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "work on development")
    _push(root, gh, github_env, "development")
    proc = ok(run_cli("promote", "development", "staging", str(root), "--github-url", gh.api_url, env=github_env))
    pulls = forks_of(gh).pull_requests(f"{gh.login}/wine")
    assert [(p.head, p.base, p.title) for p in pulls] == [("development", "staging", "Promote development to staging")]
    assert f"/{gh.login}/wine/pull/1" in proc.stdout
    again = ok(run_cli("promote", "development", "staging", str(root), "--github-url", gh.api_url, env=github_env))
    assert "already open" in again.stdout and len(forks_of(gh).pull_requests(f"{gh.login}/wine")) == 1


def test_promote_refuses_other_directions_before_asking_for_a_token(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    for source, target, why in [
        ("development", "production", "skipped stage"),
        ("staging", "development", "backwards"),
        ("production", "production", "same branch"),
        ("dev", "staging", "not one of the project's branches"),
    ]:
        proc = run_cli("promote", source, target, str(project))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert why in proc.stderr and "development → staging or staging → production" in proc.stderr
    local = run_cli("promote", "development", "staging", str(project), env={"GITHUB_TOKEN": "ghp_unused"})
    assert local.returncode == 2 and "not a GitHub repository" in local.stderr and "git merge" in local.stderr
