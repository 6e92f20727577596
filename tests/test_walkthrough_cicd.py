"""The generated repository's CI/CD, run for real with act: a push, a manual run and a schedule each run the
branch's own workflow file (tests, preflight, compile, submit) and reach the KFP API stand-in.

The first test is the second walkthrough itself (docs/record_cicd.py's flow, typed into a terminal, not
recorded): change alpha, commit, `git push`, and the branch's CI/CD submits the pipeline.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from tests.act_support import bare_remote, install_push_trigger, run_workflow
from tests.conftest import REPO_ROOT
from tests.generated_support import StaticFiles, clean_env, generate, write_synthetic_sample
from tests.standins.kfp import KfpStandin


def load_recording_script():
    spec = importlib.util.spec_from_file_location("record_cicd", REPO_ROOT / "docs" / "record_cicd.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["record_cicd"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_walkthrough_change_alpha_commit_push_and_ci_submits_the_run(tmp_path):
    record_cicd = load_recording_script()

    # Given a generated, pushed project whose development branch points at a Kubeflow (the stand-in),
    # when the data scientist sets alpha 0.2, commits and pushes (typed into a terminal, as recorded)
    result = record_cicd.walkthrough(tmp_path / "walkthrough", key_delay=0, after_command=0.1)
    screen = record_cicd.terminal.plain(result.screen)

    # then the recording script would accept the run: every step passed, nothing shows an error
    record_cicd.terminal.check(result.screen, record_cicd.expected_on_screen(result.commit), record_cicd.ERROR_MARKERS)
    for step in ("Install requirements", "Unit tests and lint", "Preflight (data, Kubeflow, MLflow)"):
        assert f"Success - Main {step}" in screen, step
    assert re.search(r"\d+ passed", screen) and "All checks passed!" in screen

    # and Kubeflow received the pushed commit's pipeline version and a run named after it and its trigger,
    # with the new alpha
    kfp = result.kfp
    pushed = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=result.project, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert result.commit == pushed
    version_name = f"development-{pushed[:12]}"
    (run,) = kfp.runs.values()
    assert kfp.versions[run["pipeline_version_reference"]["pipeline_version_id"]]["display_name"] == version_name
    assert run["display_name"] == f"wine-quality {version_name} [code]"
    assert run["runtime_config"]["parameters"]["alpha"] == 0.2
    assert {"pull-data", "preprocess", "train", "evaluate"} <= set(kfp.uploads[-1]["spec"].root.dag.tasks)

    # and the runner kept the compiled pipeline as the workflow's artifact
    (kept,) = (tmp_path / "walkthrough" / "runner").glob("run-*/artifacts/pipeline-development/build/development/*")
    assert kept.name == "pipeline.yaml" and "alpha" in kept.read_text()

    # and `jupyter mlops status`, typed last, shows development at the pushed commit, in sync with the remote
    last_status = screen.rsplit("jupyter mlops status", 1)[1]
    assert re.search(rf"\*development\s+{pushed[:8]} .*development: try alpha 0\.2\s+\[in sync\]", last_status)


# ---------------------------------------------------------------- the harness, for other events


@pytest.fixture(scope="module")
def token_project(tmp_path_factory):
    """development with bearer-token auth (a secret) and a weekly schedule, pushed to a bare repository."""
    parent = tmp_path_factory.mktemp("ci")
    project = generate(parent, "wine-ci", "development.kfp.auth=token", "development.schedule=0 3 * * 1")
    remote = bare_remote(project, parent / "wine-ci.git")
    data = parent / "data"
    data.mkdir()
    write_synthetic_sample(project, data / "winequality-red.synthetic.csv")
    with StaticFiles(data) as files:
        yield project, remote, files.url("winequality-red.synthetic.csv")


def submit_with_act(token_project, workdir, event: str, token: str, **options):
    """Run development's workflow for ``event`` against a token-protected KFP stand-in: (run, submitted run)."""
    _, remote, data_url = token_project
    with KfpStandin("token", token=token) as kfp:
        env = {"KFP_HOST": kfp.host, "DATA_URI": data_url}
        run = run_workflow(
            remote, "development.yml", event, env=env, secrets={"KFP_TOKEN": token}, workdir=workdir, **options
        )
        assert run.succeeded, run.log[-4000:]
        (submitted,) = kfp.state.runs.values()
        assert {r.authorization for r in kfp.api_requests} == {f"Bearer {token}"}
    return run, submitted


@pytest.mark.slow
def test_a_manual_run_with_a_parameter_and_a_secret(token_project, tmp_path):
    run, submitted = submit_with_act(
        token_project,
        tmp_path,
        "workflow_dispatch",
        "s3cr3t-t0ken",
        branch="development",
        inputs={"alpha": "0.3", "wait": False},
    )
    assert re.fullmatch(r"wine-ci development-[0-9a-f]{12} \[manual: .+\]", submitted["display_name"])
    assert submitted["runtime_config"]["parameters"]["alpha"] == 0.3
    # The secret reached the step that maps it (the bearer token above), and nothing of the run wrote it down.
    assert "s3cr3t-t0ken" not in run.log
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert b"s3cr3t-t0ken" not in path.read_bytes(), path


@pytest.mark.slow
def test_a_schedule_runs_the_default_branch_and_names_the_cron(token_project, tmp_path):
    run, submitted = submit_with_act(token_project, tmp_path, "schedule", "t", cron="0 3 * * 1")
    remote = token_project[1]
    head = subprocess.run(["git", "rev-parse", "development"], cwd=remote, capture_output=True, text=True).stdout
    assert run.commit == head.strip()
    assert submitted["display_name"] == f"wine-ci development-{run.commit[:12]} [schedule: 0 3 * * 1]"


@pytest.mark.slow
def test_nothing_downloads_a_missing_requirement_fails_the_run(token_project, tmp_path):
    """PIP_NO_INDEX on the runner: the workflow's `pip install -r requirements.txt` must be satisfied by what is
    installed; a requirement that is not fails the job at that step instead of reaching for the network."""
    _, shared, _ = token_project
    remote, clone = tmp_path / "own.git", tmp_path / "clone"
    env = clean_env(tmp_path)
    subprocess.run(["git", "clone", "-q", "--bare", str(shared), str(remote)], check=True, env=env)
    subprocess.run(["git", "clone", "-q", "-b", "development", str(remote), str(clone)], check=True, env=env)
    with (clone / "requirements.txt").open("a") as f:
        f.write("surely-not-installed-package-xyz==1.0\n")
    subprocess.run(["git", "commit", "-qam", "needs a new package"], cwd=clone, check=True, env=env)
    subprocess.run(["git", "push", "-q"], cwd=clone, check=True, env=env)

    run = run_workflow(remote, "development.yml", "push", branch="development", workdir=tmp_path / "ci")

    assert not run.succeeded and run.returncode != 0
    assert "❌  Failure - Main Install requirements" in run.log
    assert "No matching distribution found for surely-not-installed-package-xyz" in run.log
    assert "Run Main Unit tests and lint" not in run.log  # the job stopped there


def test_a_push_that_changes_no_filtered_path_runs_nothing(tmp_path):
    """on.push.paths, which act ignores, is applied by the push trigger as GitHub does: a push touching only
    the notebooks runs no workflow; one touching src/ runs the branch's."""
    project = generate(tmp_path, "wine-paths")
    remote = tmp_path / "wine-paths.git"
    env = clean_env(tmp_path)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "development", str(remote)], check=True)
    subprocess.run(["git", "push", "-q", str(remote), "--all"], cwd=project, check=True, env=env)
    install_push_trigger(remote, tmp_path / "runner")
    (project / "notebooks" / "README.md").write_text("Notes only.\n")
    subprocess.run(["git", "commit", "-qam", "notes"], cwd=project, check=True, env=env)

    push = subprocess.run(
        ["git", "push", str(remote), "development"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )

    assert push.returncode == 0, push.stderr
    assert "remote: act: no workflow's on.push filters match this push to development; nothing runs" in push.stderr
    assert not (tmp_path / "runner").exists()


def test_the_recording_script_refuses_a_run_that_shows_an_error():
    record_cicd = load_recording_script()
    shown = "remote: [pipeline]   ❌  Failure - Main Preflight (data, Kubeflow, MLflow)\n"
    with pytest.raises(SystemExit, match="did not go as expected"):
        record_cicd.terminal.check(shown, [], record_cicd.ERROR_MARKERS)
    with pytest.raises(SystemExit, match="missing"):
        record_cicd.terminal.check("all quiet", record_cicd.expected_on_screen("0" * 40), record_cicd.ERROR_MARKERS)
