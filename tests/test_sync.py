"""`jupyter mlops sync`: the organisation changes its main config repo; every project gets the change
without losing its own work, and a true conflict is reported and left untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.org_support import (
    BRANCHES,
    NEW_HOST,
    change_platform_host,
    commit_on_branches,
    heads,
    make_main_local,
    make_main_on_github,
    new_local,
    ok,
    show,
)
from tests.standins.github_forks import forks_of

PLATFORM = "src/pipelines/{b}/platform.yaml"


def clone(url: str, where: Path, env: dict | None = None) -> Path:
    """A clone as a teammate makes it (token in the environment, never in the URL)."""
    from jupyter_mlops.vcs.remote import header_env

    extra = header_env(url, "x-access-token", env["GITHUB_TOKEN"]) if env else {}
    subprocess.run(["git", "clone", "-q", url, str(where)], check=True, env=dict(os.environ, **extra))
    for b in BRANCHES[1:]:
        git(where, "branch", "-q", b, f"origin/{b}")
    return where


def push_env(url: str, env: dict) -> dict:
    from jupyter_mlops.vcs.remote import header_env

    return dict(os.environ, **header_env(url, "x-access-token", env["GITHUB_TOKEN"]))


# ------------------------------------------------------------------ the organisation story, on GitHub


def test_sync_all_brings_the_main_repo_change_to_every_branch_of_every_project(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    forks_of(gh).delay = 0.2
    main = make_main_on_github(tmp_path, gh, github_env)
    args = ("--github-url", gh.api_url, "--yes")

    # Three projects: a GitHub fork, a second one in the same org (GitHub allows one fork per owner:
    # mirror fork), and one where the fork policy forbids forking (mirror fork).
    ok(run_cli("new", "wine", "--from", "acme/acme-main", *args, cwd=tmp_path, env=github_env))
    ok(run_cli("new", "beer", "--from", "acme/acme-main", *args, cwd=tmp_path, env=github_env))
    forks_of(gh).disable_forking("acme/acme-main")
    cider = run_cli(
        "new", "cider", "--from", "acme/acme-main", "--owner", gh.login, *args, cwd=tmp_path, env=github_env
    )
    ok(cider)
    assert "forking is disabled" in cider.stdout + cider.stderr and "mirror fork" in cider.stdout + cider.stderr
    parents = forks_of(gh).parents
    assert parents == {"acme/wine": "acme/acme-main"}, "only wine is a GitHub fork; beer and cider are mirrors"
    repos = {
        "wine": gh.state.repo("acme", "wine"),
        "beer": gh.state.repo("acme", "beer"),
        "cider": gh.state.repo(gh.login, "cider"),
    }

    # Each project does its own work: wine edits its README (project-owned) on development; beer
    # changes the staging platform host (org-owned) to something else.
    wine = tmp_path / "wine"
    (wine / "README.md").write_text((wine / "README.md").read_text() + "\nOur own notes.\n")
    git(wine, "commit", "-q", "-am", "notes")
    subprocess.run(
        ["git", "push", "-q", "origin", "development"],
        cwd=wine,
        check=True,
        env=push_env(repos["wine"] and gh.clone_url("acme", "wine"), github_env),
    )
    beer = tmp_path / "beer"
    git(beer, "checkout", "-q", "staging")
    change_platform_host(beer, "staging", "https://beer.example/pipeline")
    git(beer, "commit", "-q", "-am", "our own staging platform")
    subprocess.run(
        ["git", "push", "-q", "origin", "staging"],
        cwd=beer,
        check=True,
        env=push_env(gh.clone_url("acme", "beer"), github_env),
    )
    beer_staging_before = heads(repos["beer"].path)["staging"]

    # The organisation changes its platform on every branch (and its own README, which is project-owned).
    commit_on_branches(
        main,
        lambda c, b: (change_platform_host(c, b), (c / "README.md").write_text("# The org's README\n")),
        "platform: the organisation's Kubeflow",
        push=False,
    )
    subprocess.run(
        ["git", "push", "-q", "origin", *BRANCHES],
        cwd=main,
        check=True,
        env=push_env(gh.clone_url("acme", "acme-main"), github_env),
    )

    proc = run_cli("sync", str(main), "--all", "--github-url", gh.api_url, env=github_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # a conflict is waiting for someone
    table = {
        line.split()[0]: line.split()[1:]
        for line in proc.stdout.splitlines()
        if line.split() and line.split()[0] in ("wine", "beer", "cider") and ":" not in line
    }
    assert table["wine"] == ["updated", "updated", "updated"], out
    assert table["cider"] == ["updated", "updated", "updated"], out
    assert table["beer"] == ["updated", "conflict", "updated"], out
    assert "beer staging: conflict" in out and "src/pipelines/staging/platform.yaml  (content)" in out

    for name, repo in repos.items():
        for b in BRANCHES:
            platform = show(repo.path, b, PLATFORM.format(b=b))
            if (name, b) == ("beer", "staging"):
                assert "beer.example" in platform and NEW_HOST not in platform
            else:
                assert NEW_HOST in platform, f"{name} {b} lacks the main repo's change"
            assert "The org's README" not in show(repo.path, b, "README.md"), "README is project-owned"
            assert show(repo.path, b, "mlops.toml").count('name = "' + name + '"') == 1
    assert "Our own notes." in show(repos["wine"].path, "development", "README.md")
    assert heads(repos["beer"].path)["staging"] == beer_staging_before, "the conflicting branch is untouched"

    # Nothing new upstream: a second run changes nothing and still reports the open conflict.
    before = {n: heads(r.path) for n, r in repos.items()}
    again = run_cli("sync", str(main), "--all", "--github-url", gh.api_url, env=github_env)
    assert again.returncode == 1
    assert "2 conflict" not in again.stdout and "1 conflict" in again.stdout and "8 up to date" in again.stdout
    assert {n: heads(r.path) for n, r in repos.items()} == before


def test_sync_pr_opens_one_pull_request_per_branch_and_leaves_the_branches(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    main = make_main_on_github(tmp_path, gh, github_env)
    ok(
        run_cli(
            "new", "wine", "--from", "acme/acme-main", "--github-url", gh.api_url, "--yes", cwd=tmp_path, env=github_env
        )
    )
    commit_on_branches(main, change_platform_host, "platform", push=False)
    subprocess.run(
        ["git", "push", "-q", "origin", *BRANCHES],
        cwd=main,
        check=True,
        env=push_env(gh.clone_url("acme", "acme-main"), github_env),
    )
    repo = gh.state.repo("acme", "wine")
    before = heads(repo.path)
    wine = tmp_path / "wine"
    local_before = heads(wine)

    proc = ok(run_cli("sync", str(wine), "--pr", "--github-url", gh.api_url, env=github_env))
    pulls = forks_of(gh).pull_requests("acme/wine")
    assert sorted((p.head, p.base) for p in pulls) == sorted((f"mlops-sync/{b}", b) for b in BRANCHES)
    after = heads(repo.path)
    assert {b: after[b] for b in BRANCHES} == {b: before[b] for b in BRANCHES}, "only the PR branches moved"
    for b in BRANCHES:
        assert NEW_HOST in show(repo.path, f"mlops-sync/{b}", PLATFORM.format(b=b))
    assert heads(wine) == local_before, "--pr leaves the local branches as they were"
    assert "3 PR opened" in proc.stdout and "/acme/wine/pull/1" in proc.stdout

    ok(run_cli("sync", str(wine), "--pr", "--github-url", gh.api_url, env=github_env))
    assert len(forks_of(gh).pull_requests("acme/wine")) == 3, "a second run opens no duplicate"


# ------------------------------------------------------------------ a project clone, local remotes


def test_sync_in_a_clone_updates_clean_branches_and_leaves_a_conflicting_one_exactly_as_it_was(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    git(main, "remote", "add", "origin", str(bare)) if "origin" not in git(main, "remote") else None
    # The project changes the development platform (org-owned) and has uncommitted work elsewhere.
    change_platform_host(project, "development", "https://ours.example/pipeline")
    git(project, "commit", "-q", "-am", "our platform")
    (project / "notebooks" / "scratch.txt").write_text("work in progress\n")
    (project / "README.md").write_text((project / "README.md").read_text() + "\nunsaved edit\n")
    commit_on_branches(main, change_platform_host, "platform")

    def state():
        files = {
            str(p.relative_to(project)): p.read_bytes()
            for p in project.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(project).parts
        }
        return files, git(project, "status", "--porcelain"), heads(project), git(project, "rev-parse", "HEAD")

    before = state()
    proc = run_cli("sync", str(project))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "development: conflict" in out and "src/pipelines/development/platform.yaml" in out
    after = state()
    assert after[0] == before[0] and after[1] == before[1], "work tree and index exactly as they were"
    assert after[2]["development"] == before[2]["development"], "the conflicting branch did not move"
    for b in ("staging", "production"):
        assert NEW_HOST in show(project, b, PLATFORM.format(b=b))
        assert NEW_HOST in show(bare.parent / "wine.git", b, PLATFORM.format(b=b)), "pushed to origin"
        assert git(project, "rev-parse", f"{b}^1").strip() == before[2][b], "no commit lost: a merge on top"


def test_sync_of_the_checked_out_branch_updates_the_work_tree(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    commit_on_branches(main, change_platform_host, "platform")
    ok(run_cli("sync", str(project)))
    assert NEW_HOST in (project / PLATFORM.format(b="development")).read_text()
    assert git(project, "status", "--porcelain").strip() == ""
    second = ok(run_cli("sync", str(project)))
    assert second.stdout.count("up to date") >= 3


def test_project_owned_file_changed_upstream_keeps_the_project_version_and_records_the_merge(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    readme = show(project, "development", "README.md")
    commit_on_branches(
        main,
        lambda c, b: (c / "src/pipelines" / b / "config.yaml").write_text("org: yes\n"),
        "org edits a project-owned file",
    )
    ok(run_cli("sync", str(project)))
    for b in BRANCHES:
        assert "org: yes" not in show(project, b, f"src/pipelines/{b}/config.yaml")
        assert git(project, "rev-list", "--count", f"upstream/{b}", f"^{b}").strip() == "0", "upstream merged"
    assert show(project, "development", "README.md") == readme


def test_sync_refuses_what_it_cannot_do_with_a_message_and_exit_2(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    in_main = run_cli("sync", str(main))
    assert in_main.returncode == 2 and "sync --all" in in_main.stderr
    all_in_project = run_cli("sync", str(project), "--all")
    assert all_in_project.returncode == 2 and "main repo" in all_in_project.stderr
    pr_local = run_cli("sync", str(project), "--pr", env={"GITHUB_TOKEN": "ghp_x"})
    assert pr_local.returncode == 2 and "not on" in pr_local.stderr
    nowhere = run_cli("sync", str(tmp_path / "nothing-here"))
    assert nowhere.returncode == 2


# ------------------------------------------------------------------ the scheduled upstream check


@pytest.mark.slow
def test_upstream_check_workflow_lints_and_its_script_opens_pull_requests(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    main = make_main_on_github(tmp_path, gh, github_env)
    workflow = main / ".github" / "workflows" / "upstream-sync.yml"
    lint = subprocess.run(["actionlint", str(workflow)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    schema = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr

    ok(
        run_cli(
            "new", "wine", "--from", "acme/acme-main", "--github-url", gh.api_url, "--yes", cwd=tmp_path, env=github_env
        )
    )
    commit_on_branches(
        main, lambda c, b: (change_platform_host(c, b), (c / "README.md").write_text("org\n")), "platform", push=False
    )
    subprocess.run(
        ["git", "push", "-q", "origin", *BRANCHES],
        cwd=main,
        check=True,
        env=push_env(gh.clone_url("acme", "acme-main"), github_env),
    )
    # The runner's checkout: a fresh clone, authenticated as actions/checkout does (an extra header).
    runner = clone(gh.clone_url("acme", "wine"), tmp_path / "runner", github_env)
    env = dict(
        push_env(gh.clone_url("acme", "wine"), github_env),
        GITHUB_API_URL=gh.api_url,
        GITHUB_REPOSITORY="acme/wine",
        GH_TOKEN=github_env["GITHUB_TOKEN"],
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
    )
    run = subprocess.run(
        [sys.executable, ".mlops/upstream_check.py"], cwd=runner, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    pulls = forks_of(gh).pull_requests("acme/wine")
    assert sorted(p.base for p in pulls) == sorted(BRANCHES)
    repo = gh.state.repo("acme", "wine")
    for b in BRANCHES:
        assert NEW_HOST in show(repo.path, f"mlops-sync/{b}", PLATFORM.format(b=b))
        assert "org" != show(repo.path, f"mlops-sync/{b}", "README.md").strip(), "project-owned file kept"
    assert "README.md" in pulls[0].body and "kept" in pulls[0].body
    assert "| development |" in (tmp_path / "summary.md").read_text()
    again = subprocess.run(
        [sys.executable, ".mlops/upstream_check.py"], cwd=runner, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and len(forks_of(gh).pull_requests("acme/wine")) == 3


def test_the_upstream_check_against_a_main_repo_that_never_answers_stops_at_its_limit(new_project, silent_server):
    """Given a project whose main config repo hangs (accepts the connection, never answers), when the scheduled
    upstream check runs, then it stops after MLOPS_GIT_REMOTE_TIMEOUT and names the fetch that did not answer."""
    root = new_project()
    env = dict(os.environ, UPSTREAM_URL=silent_server, GIT_TERMINAL_PROMPT="0", MLOPS_GIT_REMOTE_TIMEOUT="2")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, ".mlops/upstream_check.py"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "git fetch mlops-upstream did not answer within 2 s: check that the remote answers" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 15
