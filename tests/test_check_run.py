"""`jupyter mlops run --local` runs the example pipeline end to end on kfp.local, offline; `jupyter mlops check`
and `jupyter mlops run` run the project's own entry point for a branch, so they behave as CI does."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from jupyter_mlops.errors import InvalidInput, NotFound, RemoteFailure, Unauthenticated
from jupyter_mlops.operations.check import apply_check, plan_check
from jupyter_mlops.operations.run import apply_run, plan_run
from jupyter_mlops.progress import Progress
from tests.conftest import run_cli
from tests.generated_support import clean_env, run_entry
from tests.standins.kfp import KfpStandin

METRICS = re.compile(
    r"^✓ local: the pipeline ran to the end; metrics: mae=(?P<mae>[\d.]+), r2=(?P<r2>[-\d.]+), "
    r"rmse=(?P<rmse>[\d.]+)$",
    re.M,
)


@pytest.fixture(scope="module")
def local_run(wine_project, tmp_path_factory):
    """One local run of the development branch through the tool's CLI: the shipped real data, offline."""
    return run_cli("run", str(wine_project), "--local", env=clean_env(tmp_path_factory.mktemp("home")))


@pytest.mark.slow
def test_local_run_trains_on_the_shipped_real_data_and_prints_the_metrics(local_run):
    assert local_run.returncode == 0, local_run.stdout[-4000:] + local_run.stderr[-2000:]
    out = local_run.stdout
    assert "✓ data: data/example/winequality-red.csv exists (82.2 kB)" in out
    for step in (
        "· mlflow: this local run is not tracked (local runs never log to the branch's MLflow); "
        "to track one: --param mlflow_uri=",
        "pull_data: 1599 rows x 12 columns",
        "preprocess: 1199 training rows, 400 held-out rows",
        "train: StandardScaler + ElasticNet(alpha=0.1, l1_ratio=0.5), 1199 rows",
        "evaluate: not tracked (no MLflow URI for this run)",
        "passed the thresholds",
        "deploy: skipped, not running on a Kubernetes cluster",
    ):
        assert step in out, step
    metrics = METRICS.search(out)
    assert metrics, out[-2000:]
    # The UCI red wines, 75/25 split, seed 42: the numbers the README and the docs quote.
    assert (metrics["rmse"], metrics["r2"], metrics["mae"]) == ("0.642", "0.335", "0.525")


@pytest.mark.slow
def test_local_run_shows_each_task_and_its_own_lines_and_keeps_kfp_local_s_whole_log(local_run, wine_project):
    """kfp.local logs each task's executor input as JSON and its outputs' reprs (hundreds of lines); the run
    shows a line per task start and end instead, with the step's own lines between, and keeps the rest."""
    out = local_run.stdout
    tasks = ("pull-data", "preprocess", "train", "evaluate", "deploy")
    for task in tasks:
        assert re.search(rf"^  ▸ {task}$", out, re.M), task
        assert re.search(rf"^  ✓ {task}  \d+\.\d s$", out, re.M), task
    starts = [out.index(f"▸ {task}\n") for task in tasks]
    assert starts == sorted(starts), "in the pipeline's order"
    assert out.index("▸ train") < out.index("train: StandardScaler + ElasticNet") < out.index("✓ train ")
    assert "  ✓ pipeline wine-quality: success" in out
    for noise in ("executor_input", "KFP Executor", "parameterValues", "Streamed logs", "outputs:"):
        assert noise not in out, noise
    assert len(out.splitlines()) < 40
    assert "  kfp.local's whole log: local_outputs/development/last-run.log" in out
    whole = (wine_project / "local_outputs" / "development" / "last-run.log").read_text()
    assert "Got executor_input:" in whole and "Task 'train' finished with status SUCCESS" in whole


@pytest.mark.slow
def test_local_outputs_stay_out_of_git(local_run, wine_project):
    assert local_run.returncode == 0
    outputs = wine_project / "local_outputs" / "development"
    runs = [p for p in outputs.iterdir() if p.is_dir()]
    assert runs and (runs[0] / "train" / "model").is_file() and (runs[0] / "preprocess" / "test_set").is_file()
    last = json.loads((outputs / "last-run.json").read_text())
    assert last["run"] == runs[0].name and set(last["outputs"]["Output"]) == {"rmse", "r2", "mae"}
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored=no"], cwd=wine_project, capture_output=True, text=True, check=True
    ).stdout
    assert status == "", status


def test_local_run_without_reachable_data_says_what_to_fix(wine_project, tmp_path):
    proc = run_entry(wine_project, "development", "--local", env=clean_env(tmp_path, DATA_URI="data/missing.csv"))
    assert proc.returncode == 1
    assert proc.stdout.startswith("✗ data: data/missing.csv does not exist")
    assert "Fix: create the file or fix data.uri in src/pipelines/development/config.yaml" in proc.stdout


def test_skeleton_runs_locally_without_data(tmp_path):
    from tests.generated_support import generate

    project = generate(tmp_path, "plain", "example=false")
    proc = run_entry(project, "development", "--local", env=clean_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Hello, development!" in proc.stdout
    assert "✓ local: the pipeline ran to the end" in proc.stdout


# ---------------------------------------------------------------- check / run through the tool


def test_check_cli_passes_on_a_reachable_platform(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run_cli("check", str(wine_project), "--branch", "development", env=env)
        assert kfp.state.uploads == []  # a check never uploads
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("✓ data: http://127.0.0.1:")
    assert lines[1].startswith("✓ kfp: ")
    assert "✓ check: the development branch is ready to submit" in proc.stdout


def test_check_cli_takes_credentials_from_the_environment_and_exits_2_when_rejected(
    wine_project, synthetic_data, tmp_path
):
    _, files = synthetic_data
    with KfpStandin("dex", password="right", multi_user=True) as kfp:
        env = clean_env(
            tmp_path,
            KFP_HOST=kfp.host,
            DATA_URI=files.url("winequality-red.synthetic.csv"),
            KFP_USERNAME="user@example.com",
            KFP_PASSWORD="right",
        )
        good = run_cli("check", str(wine_project), "--branch", "staging", env=env)
        env["KFP_PASSWORD"] = "wrong"
        bad = run_cli("check", str(wine_project), "--branch", "staging", env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "accepts dex authentication in namespace kubeflow-user-example-com" in good.stdout
    assert bad.returncode == 2  # Unauthenticated: the user's credential, not a remote failure
    assert "error: The preflight of branch staging failed: credentials are missing or were rejected" in bad.stderr
    assert "rejected the login of 'user@example.com'" in bad.stderr
    assert "wrong" not in bad.stdout + bad.stderr.replace("rejected", "")


def test_run_cli_submits_and_waits_on_the_current_branch(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none", polls_to_finish=1) as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run_cli("run", str(wine_project), "--wait", "--timeout", "60", env=env)
        (run_id,) = kfp.state.runs
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"✓ run: created in experiment wine-quality-development: {kfp.host}/#/runs/details/{run_id}" in proc.stdout
    assert "✓ run: SUCCEEDED" in proc.stdout


def test_run_operation_reports_the_run_url_as_a_link(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        progress = Progress()
        result = apply_run(plan_run(wine_project, "development"), progress, env=env)
        (run_id,) = kfp.state.runs
    assert result.ok and result.run_url == f"{kfp.host}/#/runs/details/{run_id}"
    assert any(e.step == "run" and e.state == "done" and e.link == result.run_url for e in progress.events)
    assert [e.state for e in progress.events if e.step == "data"] == ["done"]


def test_failed_check_maps_to_the_error_taxonomy(wine_project, tmp_path):
    env = clean_env(tmp_path, KFP_HOST="http://127.0.0.1:9", DATA_URI="http://127.0.0.1:9/data.csv")
    with pytest.raises(RemoteFailure) as failure:
        apply_check(plan_check(wine_project, "development"), Progress(), env=env)
    assert failure.value.exit_code == 1
    assert any(d.startswith("data: cannot reach http://127.0.0.1:9/data.csv") for d in failure.value.details)
    with pytest.raises(Unauthenticated):
        apply_check(plan_check(wine_project, "production"), Progress(), env=env)  # KFP_USERNAME not set


def test_bad_input_is_refused_before_anything_runs(wine_project, tmp_path):
    with pytest.raises(InvalidInput, match="the project's branches are development, staging, production"):
        plan_check(wine_project, "main")
    with pytest.raises(NotFound, match="not a jupyter-mlops project"):
        plan_run(tmp_path)
    with pytest.raises(InvalidInput, match="--wait and --timeout are for runs on Kubeflow"):
        plan_run(wine_project, local=True, wait=True)
    proc = run_cli("run", str(wine_project), "--branch", "nope", env=clean_env(tmp_path))
    assert proc.returncode == 2
    assert "error: --branch nope: the project's branches are development, staging, production" in proc.stderr


def tiny_wheel(folder, name: str = "tiny_mlops_dep", version: str = "1.0"):
    """A one-module wheel built by hand (a wheel is a zip with METADATA, WHEEL and RECORD), for pip offline."""
    import base64
    import hashlib
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "VALUE = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def test_a_local_run_checks_the_requirements_first_and_installs_into_the_projects_own_environment(
    tmp_path, new_project
):
    """Given a project whose requirements.txt lists a package this Python lacks, `run --local` says what to
    install and runs nothing; with --install that package goes into <project>/.venv (never into the user's
    environment), the run then goes end to end with that environment, and the next run uses it."""
    project = new_project(name="wine-own-env")
    with open(project / "requirements.txt", "a") as handle:
        handle.write("tiny-mlops-dep==1.0\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    tiny_wheel(wheels)
    env = clean_env(tmp_path / "home", PIP_FIND_LINKS=str(wheels))

    refused = run_cli("run", str(project), "--local", env=env)
    assert refused.returncode == 2
    assert "requirements.txt lists packages this Python" in refused.stderr and "- tiny-mlops-dep==1.0" in refused.stderr
    assert "run again with --install" in refused.stderr
    assert not (project / "local_outputs").exists() and not (project / ".venv").exists()

    installed = run_cli("run", str(project), "--local", "--install", env=env)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    assert f"✓ Installed tiny-mlops-dep==1.0 into {project / '.venv'}" in installed.stdout
    assert "the pipeline ran to the end; metrics:" in installed.stdout
    own = project / ".venv" / "bin" / "python"
    probe = "import tiny_mlops_dep; print(tiny_mlops_dep.VALUE)"
    assert subprocess.run([str(own), "-c", probe], capture_output=True, text=True).stdout.strip() == "42"
    import importlib.util

    assert importlib.util.find_spec("tiny_mlops_dep") is None, "the user's environment is unchanged"
    again = plan_run(project, local=True)
    assert again.python == str(own) and again.missing == []
    assert subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True).stdout == (
        " M requirements.txt\n"
    ), ".venv/ is git-ignored"
