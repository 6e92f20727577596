"""`jupyter mlops secrets set|import|list`: CI credentials reach GitHub sealed, and only there."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.push_support import SECRETS_FILE


@pytest.fixture
def pushed(new_project, github_standin):
    """A project pushed to the GitHub stand-in (environments mode), no secrets set yet."""
    root = new_project()
    proc = run_cli(
        "push",
        str(root),
        "--owner",
        "octo",
        "--github-url",
        github_standin.api_url,
        "--yes",
        env={"GITHUB_TOKEN": github_standin.token},
    )
    assert proc.returncode == 0, proc.stderr
    github_standin.reset_calls()
    return root


def secrets_cli(gh, *args, input=None, token=True):
    return run_cli("secrets", *args, env={"GITHUB_TOKEN": gh.token} if token else {}, input=input)


def env_values(gh, environment):
    return {n: s.value for n, s in gh.state.repo("octo", "wine-quality").environments[environment].secrets.items()}


def test_set_reads_the_value_from_stdin_and_seals_it_for_one_environment(pushed, github_standin):
    gh = github_standin
    value = "line one\nline two with spaces  "
    proc = secrets_cli(gh, "set", "KFP_PASSWORD", "--env", "staging", str(pushed), input=value + "\n")
    assert proc.returncode == 0, proc.stderr
    assert env_values(gh, "staging") == {"KFP_PASSWORD": value}
    assert env_values(gh, "production") == {}
    assert value.splitlines()[0] not in proc.stdout + proc.stderr
    # a second set replaces the value
    assert secrets_cli(gh, "set", "KFP_PASSWORD", "--env", "staging", str(pushed), input="new").returncode == 0
    assert env_values(gh, "staging") == {"KFP_PASSWORD": "new"}


def test_set_without_env_goes_to_the_branches_that_need_it(pushed, github_standin):
    gh = github_standin
    proc = secrets_cli(gh, "set", "KFP_USERNAME", str(pushed), input="user@example.com\n")
    assert proc.returncode == 0, proc.stderr
    assert env_values(gh, "staging") == {"KFP_USERNAME": "user@example.com"}
    assert env_values(gh, "production") == {"KFP_USERNAME": "user@example.com"}
    assert env_values(gh, "development") == {}, "development uses no login (auth none)"


def test_import_sets_every_value_of_a_dotenv_file(pushed, github_standin, tmp_path):
    gh = github_standin
    env_file = tmp_path / "ci.env"
    env_file.write_text("# credentials\n" + SECRETS_FILE + 'export MODEL_REGISTRY_KEY="abc def"\n')
    proc = secrets_cli(gh, "import", str(env_file), str(pushed))
    assert proc.returncode == 0, proc.stderr
    assert env_values(gh, "staging") == {
        "KFP_USERNAME": "user@example.com",
        "KFP_PASSWORD": "shared-pw",
        "MODEL_REGISTRY_KEY": "abc def",
    }
    assert env_values(gh, "production")["KFP_PASSWORD"] == "prod-pw"
    assert env_values(gh, "development") == {"MODEL_REGISTRY_KEY": "abc def"}, "a name no branch needs goes to all"
    assert "shared-pw" not in proc.stdout + proc.stderr


def test_list_shows_names_and_times_and_what_is_missing(pushed, github_standin):
    gh = github_standin
    secrets_cli(gh, "set", "KFP_PASSWORD", "--env", "staging", str(pushed), input="pw")
    proc = secrets_cli(gh, "list", str(pushed))
    assert proc.returncode == 0, proc.stderr
    assert "staging" in proc.stdout and "KFP_PASSWORD" in proc.stdout and "updated 20" in proc.stdout
    assert "pw" not in proc.stdout.replace("KFP_PASSWORD", "")
    assert "staging: KFP_USERNAME is needed" in proc.stdout
    listing = json.loads(secrets_cli(gh, "list", "--env", "staging", "--json", str(pushed)).stdout)
    assert [e["name"] for e in listing["secrets"]] == ["KFP_PASSWORD"]
    assert listing["missing"] == {"staging": ["KFP_USERNAME"]}
    assert gh.write_calls() == [] or all(c.method == "PUT" for c in gh.write_calls())


@pytest.mark.parametrize(
    "name, problem",
    [
        ("GITHUB_TOKEN", "reserves"),
        ("1PASSWORD", "starts with a digit"),
        ("KFP-TOKEN", "letters, digits and '_'"),
    ],
)
def test_invalid_names_are_refused_before_any_call(pushed, github_standin, name, problem):
    proc = secrets_cli(github_standin, "set", name, str(pushed), input="x")
    assert proc.returncode == 2 and problem in proc.stderr
    assert github_standin.calls == []


def test_bad_input_is_refused_with_what_to_do(pushed, github_standin, tmp_path):
    gh = github_standin
    proc = secrets_cli(gh, "set", "KFP_TOKEN", "--env", "qa", str(pushed), input="x")
    assert proc.returncode == 2 and "development, staging, production" in proc.stderr
    proc = secrets_cli(gh, "set", "KFP_TOKEN", "--env", "staging", str(pushed), input="")
    assert proc.returncode == 2 and "empty value" in proc.stderr
    bad = tmp_path / "bad.env"
    bad.write_text("JUST_A_NAME\n")
    proc = secrets_cli(gh, "import", str(bad), str(pushed))
    assert proc.returncode == 2 and "JUST_A_NAME" in proc.stderr
    proc = secrets_cli(gh, "import", str(tmp_path / "missing.env"), str(pushed))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert gh.write_calls() == []


def test_a_project_not_on_github_yet(new_project, github_standin):
    root = new_project()
    proc = secrets_cli(github_standin, "set", "KFP_TOKEN", str(root), input="x")
    assert proc.returncode == 2 and "jupyter mlops push --owner" in proc.stderr


def test_repository_mode_uses_branch_prefixed_repository_secrets(new_project, github_standin_factory):
    gh = github_standin_factory(plan="free")
    root = new_project()
    proc = run_cli(
        "push", str(root), "--owner", "octo", "--github-url", gh.api_url, "--yes", env={"GITHUB_TOKEN": gh.token}
    )
    assert proc.returncode == 0, proc.stderr
    proc = secrets_cli(gh, "set", "KFP_PASSWORD", "--env", "staging", str(root), input="pw")
    assert proc.returncode == 0, proc.stderr
    repo = gh.state.repo("octo", "wine-quality")
    assert {n: s.value for n, s in repo.secrets.items()} == {"STAGING_KFP_PASSWORD": "pw"}
    listing = json.loads(secrets_cli(gh, "list", "--json", str(root)).stdout)
    assert listing["secrets"][0]["github_name"] == "STAGING_KFP_PASSWORD"
    assert listing["secrets"][0]["name"] == "KFP_PASSWORD"


def test_environment_deleted_on_github_says_to_push_again(pushed, github_standin):
    gh = github_standin
    del gh.state.repo("octo", "wine-quality").environments["staging"]
    proc = secrets_cli(gh, "set", "KFP_PASSWORD", "--env", "staging", str(pushed), input="pw")
    assert proc.returncode == 2 and "jupyter mlops push" in proc.stderr


def test_mlflow_login_secrets_are_optional_and_go_to_the_branches_that_track(new_project, github_standin, tmp_path):
    """Given development without MLflow tracking and staging/production tracking to a server with login,
    when the MLflow credentials are imported without --env, then only the tracking branches get them, and
    `list` names them as optional (never as missing)."""
    gh = github_standin
    root = new_project("--set", "development.mlflow.uri=")
    platform = (root / "src/pipelines/staging/platform.yaml").read_text()
    assert "optional_secrets:\n  - MLFLOW_TRACKING_USERNAME\n  - MLFLOW_TRACKING_PASSWORD\n" in platform
    assert "optional_secrets: []" in (root / "src/pipelines/development/platform.yaml").read_text()
    proc = run_cli(
        "push", str(root), "--owner", "octo", "--github-url", gh.api_url, "--yes", env={"GITHUB_TOKEN": gh.token}
    )
    assert proc.returncode == 0, proc.stderr
    assert "MLFLOW" not in proc.stdout + proc.stderr, "push does not ask for or warn about optional secrets"
    env_file = tmp_path / "mlflow.env"
    env_file.write_text("MLFLOW_TRACKING_USERNAME=ana\nMLFLOW_TRACKING_PASSWORD=mlflow-pw\n")
    proc = secrets_cli(gh, "import", str(env_file), str(root))
    assert proc.returncode == 0, proc.stderr
    for branch in ("staging", "production"):
        assert env_values(gh, branch) == {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": "mlflow-pw"}
    assert env_values(gh, "development") == {}
    listing = json.loads(secrets_cli(gh, "list", "--json", str(root)).stdout)
    assert {(e["branch"], e["name"], e["required"]) for e in listing["secrets"]} >= {
        ("staging", "MLFLOW_TRACKING_PASSWORD", False)
    }
    assert "MLFLOW_TRACKING_PASSWORD" not in str(listing["missing"])
    assert listing["optional"] == {"staging": ["MLFLOW_TRACKING_TOKEN"], "production": ["MLFLOW_TRACKING_TOKEN"]}
    shown = secrets_cli(gh, "list", str(root)).stdout
    assert "· staging: not set, needed only by an MLflow server with login: MLFLOW_TRACKING_TOKEN" in shown
    assert "mlflow-pw" not in shown
