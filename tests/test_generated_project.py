"""The generated repository is a product too: its own tests pass, it lints clean, its workflows are valid
GitHub Actions, and its pipeline compiles for every branch — with the example and with the bare skeleton."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jupyter_mlops.scaffold.template import render
from jupyter_mlops.settings.spec import ProjectSpec
from tests.generated_support import actionlint, clean_env, generate, run_entry, workflow_files, workflow_schema


@pytest.fixture(scope="module")
def skeleton_project(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("skeleton"), "plain-project", "example=false")


@pytest.fixture(params=["example", "skeleton"])
def project(request, wine_project, skeleton_project) -> Path:
    return wine_project if request.param == "example" else skeleton_project


def run(args: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=clean_env(tmp_path), timeout=600)


@pytest.mark.slow
def test_generated_project_tests_pass(project, tmp_path):
    proc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout.splitlines()[-1] and "failed" not in proc.stdout.splitlines()[-1]


def test_generated_project_lints_clean(project, tmp_path):
    check = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], project, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run([sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], project, tmp_path)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_example_and_skeleton_have_their_own_steps(wine_project, skeleton_project):
    steps = {p.name for p in (wine_project / "src" / "steps").glob("*.py")}
    assert {"pull_data.py", "preprocess.py", "train.py", "evaluate.py", "deploy.py"} <= steps
    assert not (wine_project / "src" / "steps" / "hello.py").exists()
    assert {p.name for p in (skeleton_project / "src" / "steps").glob("*.py")} == {"__init__.py", "hello.py"}
    assert not (skeleton_project / "src" / "helpers" / "sample_data.py").exists()


@pytest.mark.parametrize("branch", ["development", "staging", "production"])
def test_pipeline_compiles_for_every_branch(wine_project, branch, tmp_path):
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    out = tmp_path / "pipeline.yaml"
    proc = run_entry(wine_project, branch, "--compile-only", "--output", str(out), env=clean_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    spec_doc, platform_doc = yaml.safe_load_all(out.read_text())
    spec = json_format.ParseDict(spec_doc, pipeline_spec_pb2.PipelineSpec())
    json_format.ParseDict(platform_doc, pipeline_spec_pb2.PlatformSpec())
    assert spec.pipeline_info.name == "wine-quality"
    defaults = spec.root.input_definitions.parameters
    # <project>-<branch>: another project, or another branch, never adds versions to this one's model
    assert defaults["model_name"].default_value.string_value == f"wine-quality-{branch}"
    assert defaults["alpha"].default_value.number_value == 0.1
    # deploy runs only under the evaluation's condition
    condition = next(t for name, t in spec.root.dag.tasks.items() if name.startswith("condition"))
    assert "evaluate" in condition.trigger_policy.condition


# ---------------------------------------------------------------- workflows


def write_rendered(spec: ProjectSpec, folder: Path) -> Path:
    for f in render(spec):
        target = folder / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.content)
    return folder


@pytest.fixture(scope="module", params=["environments", "repository"])
def rendered(request, tmp_path_factory):
    spec = ProjectSpec.default("wine-quality")
    spec.set("production.kfp.auth", "token")
    spec.set("staging.data.uri", "s3://datasets/wine/winequality-red.csv")
    spec.secrets_mode = request.param
    return spec, write_rendered(spec, tmp_path_factory.mktemp(request.param))


def test_actionlint_reports_no_error(rendered):
    _, root = rendered
    assert len(workflow_files(root)) >= 4
    proc = actionlint(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_github_workflow_schema_accepts_every_workflow(rendered):
    _, root = rendered
    proc = workflow_schema(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_branch_workflows_read_exactly_the_secrets_push_sets(rendered):
    spec, root = rendered
    for branch, settings in spec.branches.items():
        flow = yaml.safe_load((root / ".github" / "workflows" / f"{branch}.yml").read_text())
        assert flow[True]["push"]["branches"] == [branch]  # "on:" parses as True in YAML 1.1
        job = flow["jobs"]["pipeline"]
        if spec.secrets_mode == "environments":
            assert job["environment"] == branch
        else:
            assert "environment" not in job
        steps = {s.get("name"): s for s in job["steps"]}
        submit = steps["Compile and submit the pipeline"]
        assert submit["run"].startswith(f"python src/pipelines/{branch}/main.py --skip-check")
        # The preflight checks every endpoint: it reads the required names and the optional ones (an MLflow
        # login), which reach the step empty when unset.
        expected = {name: f"${{{{ secrets.{spec.secret_name(branch, name)} }}}}" for name in settings.secret_names()}
        assert {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"} <= set(expected)
        preflight = next(s for s in job["steps"] if str(s.get("name", "")).startswith("Preflight"))
        assert preflight["run"] == f"python src/pipelines/{branch}/main.py --check"
        assert {k: v for k, v in preflight.get("env", {}).items() if "secrets." in str(v)} == expected
        # The submission only talks to KFP: it gets the KFP login and no S3 or MLflow key (least privilege).
        secret_env = {k: v for k, v in submit.get("env", {}).items() if "secrets." in str(v)}
        assert secret_env == {k: v for k, v in expected.items() if k.startswith("KFP_")}
        # After a waited-for run, the inference tests call the deployed model through the gateway (the KFP
        # login), read the registry (the MLflow login) and the registered version's files (the S3 keys, which
        # MLflow's artifacts on MinIO need whatever the data): nothing else.
        inference = steps["Inference tests against the deployed model"]
        assert inference["if"] == "${{ inputs.wait }}"
        assert inference["run"] == f"python src/pipelines/{branch}/main.py --inference-test"
        s3_keys = {
            n: f"${{{{ secrets.{spec.secret_name(branch, n)} }}}}"
            for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        }
        wanted = {k: v for k, v in expected.items() if not k.startswith("REGISTRY_")} | s3_keys
        assert inference["env"] == wanted
        # No other step sees a secret (installing and testing run untrusted code paths).
        for step in job["steps"]:
            if step not in (submit, preflight, inference):
                assert "secrets." not in str(step)
    staging = (root / ".github" / "workflows" / "staging.yml").read_text()
    prefix = "STAGING_" if spec.secrets_mode == "repository" else ""
    assert f"secrets.{prefix}AWS_ACCESS_KEY_ID" in staging and f"secrets.{prefix}KFP_PASSWORD" in staging
    submit = next(
        s for s in yaml.safe_load(staging)["jobs"]["pipeline"]["steps"] if s.get("name", "").startswith("Compile")
    )
    assert set(submit["env"]) == {"KFP_USERNAME", "KFP_PASSWORD", "WAIT", "RUN_INPUTS"}  # staging: Dex login
    assert "secrets.KFP_TOKEN" not in (root / ".github" / "workflows" / "development.yml").read_text()


def test_pull_request_workflow_tests_and_compiles_without_secrets(rendered):
    _, root = rendered
    text = (root / ".github" / "workflows" / "pull-request.yml").read_text()
    flow = yaml.safe_load(text)
    assert flow[True]["pull_request"]["branches"] == ["staging", "production"]
    runs = [s.get("run", "") for s in flow["jobs"]["check"]["steps"]]
    assert any("python -m pytest" in r for r in runs)
    assert 'python "src/pipelines/$TARGET/main.py" --compile-only' in runs
    assert "secrets." not in text and "environment:" not in text


def test_manifest_marks_workflows_org_owned():
    from jupyter_mlops.scaffold.template import ownership

    owners = ownership(ProjectSpec.default("wine-quality"))
    for name in ("development", "staging", "production", "pull-request"):
        assert owners[f".github/workflows/{name}.yml"] == "org"
