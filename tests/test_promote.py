"""`jupyter mlops promote FROM TO`: the pull request that moves work one stage on, and nothing else."""

from __future__ import annotations

import os
import subprocess

import pytest

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


def test_promote_shows_the_evidence_and_puts_it_in_the_pull_request(
    tmp_path, github_standin, github_env, mlflow_server, monkeypatch
):
    """Given development and staging whose deployed models are in a real MLflow registry, when development
    trains with alpha 0.2 and its train step changes, then `promote --dry-run` shows, and the pull request's
    body holds, the parameter, the changed step and both deployed models side by side."""
    gh = github_standin
    root = tmp_path / "wine"
    settings = [f"owner={gh.login}", f"development.mlflow.uri={mlflow_server.uri}"]
    settings.append(f"staging.mlflow.uri={mlflow_server.uri}")
    ok(run_cli("init", str(root), "--yes", *[a for s in settings for a in ("--set", s)], env=github_env))
    ok(run_cli("push", str(root), "--github-url", gh.api_url, "--yes", env=github_env))
    client = mlflow_server.client(monkeypatch)
    for branch, (r2, data) in {"development": ("0.341", "version:dev-2"), "staging": ("0.335", "version:st-1")}.items():
        model = f"wine-{branch}"
        client.create_registered_model(model)
        version = client.create_model_version(
            model, "s3://mlflow/1/models/m-1/artifacts", tags={"r2": r2, "data_version": data}
        )
        client.set_registered_model_alias(model, "deployed", version.version)

    config = root / "src" / "pipelines" / "development" / "config.yaml"
    config.write_text(config.read_text().replace("alpha: 0.1", "alpha: 0.2"))
    train = root / "src" / "steps" / "train.py"
    step = "ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=seed)"
    train.write_text(train.read_text().replace(step, step[:-1] + ", max_iter=5000)"))
    git(root, "commit", "-q", "-am", "development: alpha 0.2, more iterations")
    _push(root, gh, github_env, "development")

    args = ("promote", "development", "staging", str(root), "--github-url", gh.api_url)
    shown = ok(run_cli(*args, "--dry-run", env=github_env)).stdout
    ok(run_cli(*args, env=github_env))

    (pull,) = forks_of(gh).pull_requests(f"{gh.login}/wine")
    for text in (shown, pull.body):
        assert "### Promotion evidence: development → staging" in text
        assert "| params.alpha | 0.2 | 0.1 |" in text, "the parameter, each branch's value"
        assert "| train | changed: code (+1 -1 lines) |" in text, "the changed step"
        assert "| alpha | 0.2 | 0.1 |" in text, "the compiled pipelines' parameter defaults"
        assert (
            '+            ("regress", ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=seed, max_iter=5000)),'
            in text
        )
        assert "| r2 | 0.341 | 0.335 |" in text and "| data version | version:dev-2 | version:st-1 |" in text
        assert "| version | 1 | 1 |" in text and "| model | wine-development | wine-staging |" in text
        assert "M src/steps/train.py" in text
    assert "(dry run: nothing was changed)" in shown


@pytest.mark.slow
def test_the_pull_request_workflow_writes_the_evidence_without_secrets(tmp_path):
    """Given a pull request development → staging whose development changed alpha, when GitHub runs the
    pull-request workflow (act, on its test merge commit), then its evidence step shows the parameter (and
    writes it to the job summary: act removes that file after the run; the project's own test_promotion.py
    reads it), and the models are left out (the workflow has no secrets)."""
    from tests.act_support import run_workflow
    from tests.generated_support import clean_env, generate

    project = generate(tmp_path, "wine-pr")
    env = clean_env(tmp_path)
    config = project / "src" / "pipelines" / "development" / "config.yaml"
    config.write_text(config.read_text().replace("alpha: 0.1", "alpha: 0.2"))
    git(project, "commit", "-q", "-am", "development: alpha 0.2")
    remote = tmp_path / "wine-pr.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "development", str(remote)], check=True)
    subprocess.run(["git", "push", "-q", str(remote), "--all"], cwd=project, check=True, env=env)

    run = run_workflow(
        remote, "pull-request.yml", "pull_request", branch="development", base="staging", workdir=tmp_path / "ci"
    )

    assert run.succeeded, run.log[-6000:]
    assert "### Promotion evidence: development → staging" in run.log
    assert "| params.alpha | 0.2 | 0.1 |" in run.log and "| alpha | 0.2 | 0.1 |" in run.log
    assert "| note | not read (--no-registry) | not read (--no-registry) |" in run.log
