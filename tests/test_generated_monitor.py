"""Option monitor: drift and new data against the deployed model's training data, and the scheduled workflow that
retrains on them, once per data version.

Real parts: the branch's data is an object in a versioned bucket on the S3 server (moto), the model is registered
in a real MLflow server (its artifacts on that S3) by a tracked run of the generated pipeline, and marked @deployed
as deploy does once KServe serves it. The scheduled workflow runs with act (tests/act_support.py) against the KFP
stand-in (tests/standins/kfp.py), which lists and records the runs it is asked to start.
"""

from __future__ import annotations

import io
import re
import subprocess

import pandas as pd
import pytest

from tests.act_support import run_workflow
from tests.conftest import REPO_ROOT
from tests.generated_support import actionlint, clean_env, generate, run_entry, workflow_schema
from tests.standins.kfp import KfpStandin

NAME = "wine-watch"
MODEL = f"{NAME}-development"
BUCKET = "wine-data"
DATA = f"s3://{BUCKET}/winequality-red.csv"
CRON = "0 5 * * *"
SHIPPED = REPO_ROOT / "templates" / "project" / "data" / "example" / "winequality-red.csv"


@pytest.fixture(scope="module")
def data_bucket(s3_server):
    """The branch's data: the UCI red-wine CSV in a versioned bucket (each upload a new object version)."""
    client = s3_server.client()
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket=BUCKET, Key=DATA.split("/", 3)[3], Body=SHIPPED.read_bytes())
    return s3_server


def upload(s3_server, uri: str, body: bytes) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return s3_server.client().put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, data_bucket, mlflow_s3_server):
    return generate(
        tmp_path_factory.mktemp("monitor"),
        NAME,
        "monitor=true",
        f"development.data.uri={DATA}",
        f"development.s3.endpoint={data_bucket.endpoint}",
        f"development.mlflow.uri={mlflow_s3_server.uri}",
        f"development.monitor.schedule={CRON}",
    )


def branch_env(home, server, **extra: str) -> dict[str, str]:
    """What CI's secrets give the branch's steps: the S3 keys (data, MLflow's artifacts); no KFP login (none)."""
    return clean_env(home, **server.env, **extra)


@pytest.fixture(scope="module")
def deployed(project, mlflow_s3_server, tmp_path_factory):
    """Given a tracked run of the pipeline on the branch's S3 data, its version served and marked @deployed:
    (the held-out raw rows, the data version it was trained on)."""
    home = tmp_path_factory.mktemp("home")
    env = branch_env(home, mlflow_s3_server, DATA_URI=DATA)  # local runs read the branch's data, not the shipped file
    proc = run_entry(project, "development", "--local", "--param", f"mlflow_uri={mlflow_s3_server.uri}", env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_s3_server.uri)
    client.set_registered_model_alias(MODEL, "deployed", "1")
    trained_on = client.get_model_version(MODEL, "1").tags["data_version"]
    run = (project / "local_outputs" / "development").glob("*/preprocess/test_set")
    return pd.read_csv(max(run, key=lambda p: p.stat().st_mtime)), trained_on


def drift_check(project, server, home, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return run_entry(project, "development", "--drift", *args, env=branch_env(home, server, **extra))


def test_the_monitor_projects_lint_and_workflows_pass(project, tmp_path):
    assert actionlint(project).returncode == 0, actionlint(project).stdout
    assert workflow_schema(project).returncode == 0, workflow_schema(project).stdout
    flow = (project / ".github" / "workflows" / "development-monitor.yml").read_text()
    assert f'cron: "{CRON}"' in flow and "--drift ${RETRAIN:+--retrain}" in flow
    assert "scipy" in (project / "requirements.txt").read_text()


def test_the_data_the_model_was_trained_on_has_not_drifted_and_is_not_new(
    project, deployed, mlflow_s3_server, tmp_path
):
    _, trained_on = deployed
    assert trained_on.startswith("version:"), "the S3 object's VersionId, recorded by pull_data"
    proc = drift_check(project, mlflow_s3_server, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"against {MODEL} version 1 (@deployed)" in proc.stdout
    assert proc.stdout.count("✓ drift: ") == 12 and "✓ drift: no drift in 11 features" in proc.stdout
    assert f"✓ data: {DATA} is still {trained_on}, the version the model was trained on" in proc.stdout


@pytest.mark.parametrize("feature, change", [("alcohol", lambda v: v + 1.5), ("pH", lambda v: v * 1.1)])
def test_shifted_inference_inputs_drift_naming_the_feature(
    project, deployed, mlflow_s3_server, data_bucket, tmp_path, feature, change
):
    """Given recent inference inputs (the held-out raw rows, no target, ',' separated) with one feature moved,
    then the check names that feature alone, writes the job summary and the HTML report, and exits 1."""
    held_out, _ = deployed
    inputs = held_out.drop(columns=["quality"]).assign(**{feature: change(held_out[feature])})
    current = f"s3://{BUCKET}/inference/{feature}.csv"
    buffer = io.StringIO()
    inputs.to_csv(buffer, index=False)
    upload(data_bucket, current, buffer.getvalue().encode())
    summary = tmp_path / "summary.md"

    proc = drift_check(project, mlflow_s3_server, tmp_path, "--current", current, GITHUB_STEP_SUMMARY=str(summary))

    assert proc.returncode == 1, proc.stdout + proc.stderr
    drifted = re.findall(r"^✗ drift: ([^:]+): KS p=", proc.stdout, flags=re.M)
    assert drifted == [feature]
    assert f"✗ drift: 1 of 11 features drifted: {feature}" in proc.stdout
    text = summary.read_text()
    assert f"### Drift on development: **drift** in {feature}" in text
    assert re.search(rf"^\| {re.escape(feature)} \| [^|]+ \| [^|]+ \| [^|]+ \| \*\*drift\*\* \|$", text, re.M)
    assert "<td>DRIFT</td>" in (project / "build" / "development" / "drift.html").read_text()


def test_a_new_object_version_in_storage_is_new_data(project, deployed, mlflow_s3_server, data_bucket, tmp_path):
    _, trained_on = deployed
    newer = upload(data_bucket, DATA, SHIPPED.read_bytes())  # same rows, uploaded again: a new object version
    proc = drift_check(project, mlflow_s3_server, tmp_path)
    assert proc.returncode == 0, "new data is not drift: " + proc.stdout + proc.stderr
    assert f"! data: new data: {DATA} is version:{newer}; the model was trained on {trained_on}" in proc.stdout


def kfp_runs(kfp: KfpStandin) -> list[str]:
    return sorted(r["display_name"] for r in kfp.state.runs.values())


@pytest.mark.slow
def test_the_schedule_starts_one_training_run_per_new_data_version(
    project, deployed, mlflow_s3_server, data_bucket, tmp_path
):
    """Given new data in storage, when the monitor workflow's schedule fires (act), then one training run of the
    branch starts, named after the trigger and the data version; when it fires again, none more."""
    newer = upload(data_bucket, DATA, SHIPPED.read_bytes())
    remote = tmp_path / "remote.git"
    env = clean_env(tmp_path)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "development", str(remote)], check=True)
    subprocess.run(["git", "push", "-q", str(remote), "--all"], cwd=project, check=True, env=env)
    secrets = {k: v for k, v in data_bucket.env.items() if k.startswith("AWS_") and "KEY" in k}
    with KfpStandin("none") as kfp:

        def schedule_fires():
            run = run_workflow(
                remote,
                "development-monitor.yml",
                "schedule",
                cron=CRON,
                workdir=tmp_path / "ci",
                env={"KFP_HOST": kfp.host},
                secrets=secrets,
            )
            assert run.succeeded, run.log[-6000:]
            return run

        first = schedule_fires()
        (name,) = kfp_runs(kfp)
        assert re.fullmatch(rf"{NAME} development-{first.commit[:12]} \[new-data: data version:{newer}\]", name)
        assert f"! data: new data: {DATA} is version:{newer}" in first.log

        again = schedule_fires()
        assert kfp_runs(kfp) == [name], "not twice for one data version"
        assert f"a run was already started for data version:{newer}: {name}" in again.log
    report = first.artifacts / "drift-development"
    assert [p.name for p in report.rglob("*.html")] == ["drift.html"]


def test_drift_retrains_with_the_drifted_features_in_the_runs_name(
    project, deployed, mlflow_s3_server, data_bucket, tmp_path
):
    """Given the branch's data replaced by a version whose alcohol moved, `--drift --retrain` starts the run with
    the trigger `drift` and the feature in its name; the same version again starts nothing."""
    held_out, _ = deployed
    frame = pd.read_csv(SHIPPED, sep=";")
    buffer = io.StringIO()
    frame.assign(alcohol=frame["alcohol"] + 1.5).to_csv(buffer, sep=";", index=False)
    version = upload(data_bucket, DATA, buffer.getvalue().encode())
    with KfpStandin("none") as kfp:
        first = drift_check(project, mlflow_s3_server, tmp_path, "--retrain", KFP_HOST=kfp.host)
        assert first.returncode == 0, first.stdout + first.stderr
        (name,) = kfp_runs(kfp)
        assert name.endswith(f"[drift: alcohol; data version:{version}]"), name
        (run,) = kfp.state.runs.values()
        assert run["runtime_config"]["parameters"]["trigger"] == f"drift: alcohol; data version:{version}"
        second = drift_check(project, mlflow_s3_server, tmp_path, "--retrain", KFP_HOST=kfp.host)
        assert second.returncode == 0 and kfp_runs(kfp) == [name], second.stdout
        assert "a run was already started for" in second.stdout
