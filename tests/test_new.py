"""`jupyter mlops init --main` and `jupyter mlops new`: the organisation's main config repo, and project
repositories made from it (GitHub fork, or mirror fork), personalised and recorded for `sync --all`."""

from __future__ import annotations

import subprocess

from jupyter_mlops._toml import tomllib
from jupyter_mlops.settings.spec import loads
from tests.conftest import git, run_cli
from tests.org_support import BRANCHES, heads, make_main_local, make_main_on_github, new_local, ok, show
from tests.standins.github_forks import forks_of


def test_init_main_holds_the_org_parts_and_the_ownership_map(tmp_path):
    main, _ = make_main_local(tmp_path)
    spec = loads((main / "mlops.toml").read_text())
    assert spec.kind == "main"
    defaults = tomllib.loads((main / "mlops-defaults.toml").read_text())
    assert defaults["project"]["description"] and set(defaults["branches"]) == set(BRANCHES)
    ownership = tomllib.loads((main / ".mlops" / "ownership.toml").read_text())
    assert "src/pipelines/staging/platform.yaml" in ownership["org"]
    assert ".github/workflows/upstream-sync.yml" in ownership["org"]
    assert "README.md" in ownership["project"] and "src/pipelines/staging/config.yaml" in ownership["project"]
    for b in BRANCHES:
        assert show(main, b, "mlops-defaults.toml"), f"{b} carries the defaults"


def test_new_from_a_local_main_repo_makes_a_personalised_mirror_fork(tmp_path):
    main, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine-quality", bare)

    spec = loads((project / "mlops.toml").read_text())
    assert (spec.name, spec.kind, spec.upstream) == ("wine-quality", "project", str(bare))
    assert spec.remote == str(tmp_path / "remotes" / "wine-quality.git")
    remotes = git(project, "remote", "-v")
    assert f"origin\t{tmp_path / 'remotes' / 'wine-quality.git'}" in remotes and f"upstream\t{bare}" in remotes
    assert git(project, "branch", "--show-current").strip() == "development"
    assert git(project, "status", "--porcelain").strip() == ""
    for b in BRANCHES:
        # main's history is the project's history, plus one personalising commit
        assert subprocess.run(["git", "merge-base", "--is-ancestor", f"upstream/{b}", b], cwd=project).returncode == 0
        assert show(project, b, "README.md").startswith("# wine-quality")
        assert '"wine-quality"' in show(project, b, f"src/pipelines/{b}/config.yaml")
        for org_file in (
            f"src/pipelines/{b}/platform.yaml",
            ".github/workflows/upstream-sync.yml",
            "src/helpers/config.py",
        ):
            assert show(project, b, org_file) == show(main, b, org_file), f"{org_file} is the org's, unchanged"
    remote_heads = heads(tmp_path / "remotes" / "wine-quality.git")
    assert {b: remote_heads[b] for b in BRANCHES} == {b: heads(project)[b] for b in BRANCHES}
    recorded = git(bare, "for-each-ref", "--format=%(refname) %(contents:body)", "refs/mlops/projects")
    assert "refs/mlops/projects/git/wine-quality" in recorded and 'url = "' in recorded


def test_new_run_again_finishes_the_job_and_changes_nothing_more(tmp_path):
    _, bare = make_main_local(tmp_path)
    project = new_local(tmp_path, "wine", bare)
    before = heads(project), heads(tmp_path / "remotes" / "wine.git")
    again = ok(
        run_cli(
            "new",
            "wine",
            "--from",
            str(bare),
            "--remote",
            str(tmp_path / "remotes" / "wine.git"),
            "--yes",
            cwd=tmp_path,
        )
    )
    assert "already" in again.stdout or "Branches already" in again.stdout
    assert (heads(project), heads(tmp_path / "remotes" / "wine.git")) == before


def test_new_refuses_bad_input_and_writes_nothing(tmp_path):
    main, bare = make_main_local(tmp_path)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n")
    cases = [
        (("new", "wine", "--from", str(bare), "--dir", str(tmp_path / "taken")), "exists"),
        (("new", "bad name", "--from", str(bare)), "NAME"),
        (("new", "wine", "--from", str(tmp_path / "nowhere")), "no such folder"),
        (("new", "wine", "--from", str(bare), "--set", "development.kfp.host=https://x.example"), "org-owned"),
    ]
    for args, expected in cases:
        proc = run_cli(*args, "--yes", cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert expected in proc.stderr, proc.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine\n"
    assert not (tmp_path / "wine").exists()
    # a project is not a main repo
    project = new_local(tmp_path, "beer", bare)
    from_project = run_cli("new", "cider", "--from", str(project), "--yes", cwd=tmp_path)
    assert from_project.returncode == 2 and "not a main config repo" in from_project.stderr
    assert not (tmp_path / "cider").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cider")], "no staging folder left behind"


def test_new_settings_and_org_defaults(tmp_path):
    main, bare = make_main_local(tmp_path)
    defaults = main / "mlops-defaults.toml"
    defaults.write_text(defaults.read_text().replace('license = "placeholder"', 'license = "MIT"'))
    git(main, "commit", "-q", "-am", "org: MIT for new projects")
    git(main, "push", "-q", "origin", "development")
    ok(
        run_cli(
            "new",
            "wine",
            "--from",
            str(bare),
            "--remote",
            str(tmp_path / "remotes" / "wine.git"),
            "--description",
            "Red wine quality",
            "--set",
            "staging.data.uri=s3://acme-data/wine.csv",
            "--yes",
            cwd=tmp_path,
        )
    )
    spec = loads((tmp_path / "wine" / "mlops.toml").read_text())
    assert spec.license == "MIT" and spec.description == "Red wine quality"
    assert spec.branches["staging"].data_uri == "s3://acme-data/wine.csv"
    assert "Red wine quality" in (tmp_path / "wine" / "README.md").read_text()
    assert "MIT License" in (tmp_path / "wine" / "LICENSE").read_text()


# ------------------------------------------------------------------ GitHub


def test_new_on_github_forks_polls_and_wires_the_project_as_push_does(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    forks_of(gh).delay = 0.5  # GitHub copies a fork asynchronously: new must wait for the branches
    make_main_on_github(tmp_path, gh, github_env)
    proc = ok(
        run_cli(
            "new", "wine", "--from", "acme/acme-main", "--github-url", gh.api_url, "--yes", cwd=tmp_path, env=github_env
        )
    )
    assert forks_of(gh).parents == {"acme/wine": "acme/acme-main"}
    repo = gh.state.repo("acme", "wine")
    assert set(BRANCHES) <= set(repo.branches())
    assert set(repo.environments) == set(BRANCHES), "environments as push makes them"
    assert repo.default_branch == "development"
    spec = loads(show(repo.path, "development", "mlops.toml"))
    assert (spec.name, spec.kind, spec.upstream) == ("wine", "project", gh.clone_url("acme", "acme-main"))
    project = tmp_path / "wine"
    config = (project / ".git" / "config").read_text()
    assert github_env["GITHUB_TOKEN"] not in config and github_env["GITHUB_TOKEN"] not in proc.stdout + proc.stderr
    assert "upstream" in git(project, "remote")
    recorded = git(gh.state.repo("acme", "acme-main").path, "for-each-ref", "refs/mlops/projects")
    assert "refs/mlops/projects/acme/wine" in recorded


def test_new_falls_back_to_a_mirror_fork_when_the_fork_policy_forbids_it(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    make_main_on_github(tmp_path, gh, github_env)
    forks_of(gh).disable_forking("acme/acme-main")
    proc = ok(
        run_cli(
            "new", "wine", "--from", "acme/acme-main", "--github-url", gh.api_url, "--yes", cwd=tmp_path, env=github_env
        )
    )
    assert "forking is disabled" in proc.stdout + proc.stderr
    assert forks_of(gh).parents == {}
    repo = gh.state.repo("acme", "wine")
    assert repo is not None and repo.private and set(repo.environments) == set(BRANCHES)
    main_repo = gh.state.repo("acme", "acme-main")
    for b in BRANCHES:  # the main repo's history, pushed
        assert (
            subprocess.run(
                ["git", "merge-base", "--is-ancestor", heads(main_repo.path)[b], b], cwd=tmp_path / "wine"
            ).returncode
            == 0
        )


def test_new_refuses_an_existing_repository_that_is_not_its_fork(tmp_path, github_standin, github_env):
    gh = github_standin
    gh.add_org("acme", {gh.login: "admin"})
    make_main_on_github(tmp_path, gh, github_env)
    ok(run_cli("init", str(tmp_path / "other" / "wine"), "--yes", "--set", "owner=acme", env=github_env))
    ok(run_cli("push", str(tmp_path / "other" / "wine"), "--github-url", gh.api_url, "--yes", env=github_env))
    before = heads(gh.state.repo("acme", "wine").path)
    proc = run_cli(
        "new", "wine", "--from", "acme/acme-main", "--github-url", gh.api_url, "--yes", cwd=tmp_path, env=github_env
    )
    assert proc.returncode == 2 and "not a fork of acme/acme-main" in proc.stderr
    assert heads(gh.state.repo("acme", "wine").path) == before and not (tmp_path / "wine").exists()
