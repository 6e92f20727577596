"""`jupyter mlops status`: where the project stands, read from local git and mlops.toml (no network)."""

from __future__ import annotations

import json

from jupyter_mlops.operations.status import project_status
from tests.conftest import git, run_cli
from tests.push_support import BRANCHES, local_heads


def test_a_fresh_project_has_branches_and_no_remote(new_project):
    root = new_project()
    proc = run_cli("status", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "no remote yet" in proc.stdout and "secrets mode: environments" in proc.stdout
    status = json.loads(run_cli("status", str(root), "--json").stdout)
    assert [b["name"] for b in status["branches"]] == BRANCHES
    heads = local_heads(root)
    for b in status["branches"]:
        assert b["commit"] == heads[b["name"]] and b["subject"].startswith("Scaffold wine-quality")
        assert b["remote"] == "no remote"
    assert status["current_branch"] == "development" and status["uncommitted"] == []
    staging = next(b for b in status["branches"] if b["name"] == "staging")
    assert staging["environment"] == "staging" and staging["secrets"] == ["KFP_USERNAME", "KFP_PASSWORD"]
    # The MLflow login is offered as optional (a server without login needs none), and status says where to see
    # whether it is set (GitHub knows; status stays offline).
    login = ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]
    assert staging["optional_secrets"] == login
    assert f"optional CI secrets (environment staging): {', '.join(login)}" in proc.stdout
    assert "which are set on GitHub: jupyter mlops secrets list" in proc.stdout


def test_after_an_embedded_push_then_a_new_commit(new_project, tmp_path):
    root = new_project()
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert run_cli("push", str(root), "--yes", env=env).returncode == 0
    (root / "notes.md").write_text("x\n")
    git(root, "add", "notes.md")
    git(root, "commit", "-q", "-m", "Add notes")
    (root / "README.md").write_text("changed\n")
    status = json.loads(run_cli("status", str(root), "--json", env=env).stdout)
    assert status["remote"]["kind"] == "embedded"
    assert status["remote"]["url"].endswith("jupyter-mlops/remotes/wine-quality.git")
    by_name = {b["name"]: b for b in status["branches"]}
    assert by_name["development"]["remote"] == "ahead 1"
    assert by_name["development"]["subject"] == "Add notes"
    assert by_name["staging"]["remote"] == "in sync"
    assert status["uncommitted"] == ["README.md"]
    text = run_cli("status", str(root), env=env).stdout
    assert "[ahead 1]" in text and "1 uncommitted change(s): README.md" in text


def test_after_a_github_push_in_repository_mode(new_project, github_standin_factory):
    gh = github_standin_factory(plan="free")
    root = new_project()
    proc = run_cli(
        "push", str(root), "--owner", "octo", "--github-url", gh.api_url, "--yes", env={"GITHUB_TOKEN": gh.token}
    )
    assert proc.returncode == 0, proc.stderr
    result = project_status(root)
    assert result.remote.kind == "github" and result.remote.repository == "octo/wine-quality"
    assert result.remote.web_url == f"{gh.base_url}/octo/wine-quality"
    assert result.secrets_mode == "repository"
    staging = next(b for b in result.branches if b.name == "staging")
    assert staging.environment is None and staging.secrets == ["STAGING_KFP_USERNAME", "STAGING_KFP_PASSWORD"]
    assert staging.optional_secrets[0] == "STAGING_MLFLOW_TRACKING_USERNAME"
    assert all(b.remote == "in sync" for b in result.branches)
    assert "octo/wine-quality" in "\n".join(result.describe())


def test_a_missing_branch_is_reported(new_project):
    root = new_project()
    git(root, "branch", "-D", "production")
    result = project_status(root)
    production = next(b for b in result.branches if b.name == "production")
    assert not production.exists
    assert "production   missing" in "\n".join(result.describe())


def test_status_outside_a_project(tmp_path):
    proc = run_cli("status", str(tmp_path))
    assert proc.returncode == 2 and "jupyter mlops init" in proc.stderr


def test_secret_names_follow_the_branch_platform_file_after_a_sync_or_edit(new_project):
    """CI reads src/pipelines/<branch>/platform.yaml on that branch: when the org switches staging to token
    auth (sync) the status, secrets and push commands ask for KFP_TOKEN, not the Dex pair mlops.toml recorded."""
    root = new_project()
    git(root, "checkout", "-q", "staging")
    platform = root / "src/pipelines/staging/platform.yaml"
    platform.write_text(platform.read_text().replace("auth: dex", "auth: token"))
    git(root, "commit", "-qam", "org: staging uses a bearer token")
    git(root, "checkout", "-q", "development")
    proc = run_cli("status", str(root))
    assert proc.returncode == 0, proc.stderr
    staging = proc.stdout.split("staging", 1)[1].split("production", 1)[0]
    assert "KFP_TOKEN" in staging and "KFP_PASSWORD" not in staging
    production = proc.stdout.split("production", 1)[1]
    assert "KFP_USERNAME" in production
