"""The init options of the generated repository: retraining triggers (push paths, per-branch schedule, manual
dispatch with parameters, the trigger recorded in the run's name), DVC-versioned data, steps packaged as
container images, and the model-comparison sweep. Each option's repository passes its own tests, lint and
workflow checks; each option does what its docs promise, offline (local DVC remote, MLflow file store,
kfp.local, the KFP stand-in).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jupyter_mlops.scaffold.template import render
from jupyter_mlops.settings.spec import ProjectSpec, dumps, loads
from tests.conftest import git, run_cli
from tests.generated_support import (
    StaticFiles,
    actionlint,
    clean_env,
    generate,
    run_entry,
    workflow_schema,
    write_synthetic_sample,
)
from tests.standins.kfp import KfpStandin

NAME = "wine-options"
OPTIONS = (
    "data.dvc=true",
    "containers=true",
    "compare=true",
    "monitor=true",
    "production.schedule=0 3 * * 1",
    "staging.schedule=*/30 6-18 * * MON-FRI",
)
S3_KEYS = {"AWS_ACCESS_KEY_ID": "minio", "AWS_SECRET_ACCESS_KEY": "minio123"}
S3_KEYS_ARGS = {"aws_access_key_id": "minio", "aws_secret_access_key": "minio123"}
EXAMPLE_PARAMS = [
    "model_name",
    "alpha",
    "l1_ratio",
    "test_size",
    "seed",
    "max_rmse",
    "min_r2",
    "max_mae",
    "ready_timeout",
]


def dvc_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment for DVC: no usage analytics, no update check (both would reach the network)."""
    config = home / ".config" / "dvc" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[core]\n    analytics = false\n    check_update = false\n")
    return clean_env(home, DVC_NO_ANALYTICS="1", **extra)


@pytest.fixture(scope="module")
def remote(tmp_path_factory) -> Path:
    """The development branch's DVC remote: a local folder (offline stand-in for its MinIO bucket)."""
    return tmp_path_factory.mktemp("dvc-remote")


@pytest.fixture(scope="module")
def s3():
    """An S3 API on 127.0.0.1 (moto's server: the S3 REST API as AWS documents it, like the platform's MinIO)
    with the bucket the DVC remotes default to; yields its endpoint."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_KEYS_ARGS).create_bucket(Bucket="mlflow")
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def options_project(tmp_path_factory, remote, s3) -> Path:
    """Every option on: DVC data (development's remote a local folder, staging's the default bucket on the
    S3 stand-in), the train step as an image, the comparison sweep, schedules on staging and production."""
    return generate(
        tmp_path_factory.mktemp("options"),
        NAME,
        *OPTIONS,
        f"development.data.remote={remote}",
        f"staging.s3.endpoint={s3}",
    )


@pytest.fixture(scope="module")
def skeleton_options(tmp_path_factory) -> Path:
    """The bare skeleton with its hello step as an image, a custom registry and a development schedule."""
    return generate(
        tmp_path_factory.mktemp("skeleton-options"),
        "plain-options",
        "example=false",
        "containers=true",
        "registry=registry.example.org:5000/ml",
        "development.schedule=15 4 * * *",
    )


@pytest.fixture(scope="module")
def sample(options_project, tmp_path_factory):
    """The synthetic sample (the project's own generator) served over HTTP: yields (path, StaticFiles)."""
    folder = tmp_path_factory.mktemp("sample")
    path = write_synthetic_sample(options_project, folder / "winequality-red.synthetic.csv")
    with StaticFiles(folder) as files:
        yield path, files


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


def workflow(project: Path, name: str) -> dict:
    return yaml.safe_load((project / ".github" / "workflows" / f"{name}.yml").read_text())


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "setting, message",
    [
        ("production.schedule=61 3 * * 1", "production.schedule: '61 3 * * 1': minute 61 is outside 0–59"),
        ("production.schedule=0 3 * *", "has 4 field(s); write 5 fields (minute hour day-of-month month day-of-week"),
        ("staging.schedule=0 3 * * FUN", "day of week 'FUN' is not a number or a name"),
        ("development.schedule=*/0 * * * *", "minute step '0' must be a number from 1 to 60"),
        ("registry=https://ghcr.io", "give the registry without a scheme, e.g. ghcr.io"),
        ("registry=GHCR.io/Team", "image names are lower-case"),
        ("staging.data.remote=bucket/dvc", "give s3://bucket/prefix (MinIO/S3, with the branch's s3.endpoint)"),
        ("data.dvc=maybe", "data.dvc: 'maybe' is not true or false"),
    ],
)
def test_a_bad_option_is_refused_with_what_to_write(tmp_path, setting, message):
    target = tmp_path / "refused"
    proc = run_cli("init", str(target), "--yes", "--set", setting)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert not target.exists()  # nothing half-written


def test_comparison_without_the_example_is_refused(tmp_path):
    proc = run_cli("init", str(tmp_path / "p"), "--yes", "--set", "example=false", "--set", "compare=true")
    assert proc.returncode == 2
    assert "compare: the model comparison sweeps the example pipeline's parameters" in proc.stderr


def test_options_round_trip_through_mlops_toml():
    spec = ProjectSpec.default(NAME)
    spec.update(dict(s.split("=", 1) for s in OPTIONS) | {"registry": "registry.example.org:5000/ml"})
    again = loads(dumps(spec))
    assert again.flat() == spec.flat()
    assert again.branches["production"].schedule == "0 3 * * 1"
    assert "[project.data]\ndvc = true" in dumps(spec)
    # DVC on S3 needs the AWS_* keys, a registry other than ghcr.io its login, on every branch.
    assert again.branches["development"].required_secrets() == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "REGISTRY_USERNAME",
        "REGISTRY_PASSWORD",
    ]


def test_the_defaults_add_no_option_files():
    spec = ProjectSpec.default("wine-quality")
    assert (spec.data_dvc, spec.containers, spec.registry, spec.compare) == (False, False, "ghcr.io", False)
    files = {f.path: f.content.decode() for f in render(spec)}
    assert not [p for p in files if p.startswith(".dvc") or p.endswith(("Dockerfile", "sweep.yaml", "images.py"))]
    assert "notebooks/03-compare-models.ipynb" not in files and "src/steps/train.py" in files
    assert "dvc" not in files["requirements.txt"] and "matplotlib" not in files["requirements.txt"]
    for branch in spec.branch_names:
        flow = yaml.safe_load(files[f".github/workflows/{branch}.yml"])
        assert "schedule" not in flow[True] and list(flow["jobs"]) == ["pipeline"]
        assert spec.branches[branch].required_secrets() == (
            [] if branch == "development" else ["KFP_USERNAME", "KFP_PASSWORD"]
        )


# ---------------------------------------------------------------- the generated repositories are products


@pytest.fixture(params=["options", "skeleton"])
def option_project(request, options_project, skeleton_options) -> Path:
    return options_project if request.param == "options" else skeleton_options


@pytest.mark.slow
def test_option_project_passes_its_own_tests(option_project, tmp_path):
    proc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], option_project, dvc_env(tmp_path))
    last = proc.stdout.splitlines()[-1] if proc.stdout else ""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in last and "failed" not in last and "skipped" not in last


def test_option_project_lints_clean(option_project, tmp_path):
    check = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], option_project, clean_env(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], option_project, clean_env(tmp_path)
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_option_project_workflows_pass_actionlint_and_the_schema(option_project):
    linted = actionlint(option_project)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    schema = workflow_schema(option_project)
    assert schema.returncode == 0, schema.stdout + schema.stderr


# ---------------------------------------------------------------- triggers


def test_workflows_trigger_on_code_and_data_paths_schedules_and_dispatch(options_project):
    schedules = {"development": None, "staging": "*/30 6-18 * * MON-FRI", "production": "0 3 * * 1"}
    params = yaml.safe_load((options_project / "src/pipelines/development/config.yaml").read_text())["params"]
    assert list(params) == EXAMPLE_PARAMS
    for branch, cron in schedules.items():
        on = workflow(options_project, branch)[True]
        assert on["push"]["branches"] == [branch]
        assert {
            "src/**",
            "data/**",
            "tests/**",
            "requirements.txt",
            ".dvc/config",
            f".github/workflows/{branch}.yml",
        } <= set(on["push"]["paths"])
        assert not any(p.startswith(("docs", "notebooks", "README")) for p in on["push"]["paths"])
        assert on.get("schedule") == ([{"cron": cron}] if cron else None)
        # Run workflow: wait, and every pipeline parameter of config.yaml (empty keeps config.yaml's).
        inputs = on["workflow_dispatch"]["inputs"]
        assert list(inputs) == ["wait", *params]
        assert all(
            inputs[p]
            == {
                "description": f"Pipeline parameter {p} (empty keeps config.yaml's)",
                "type": "string",
                "required": False,
                "default": "",
            }
            for p in params
        )
        job = workflow(options_project, branch)["jobs"]["pipeline"]
        checkout = job["steps"][0]
        assert checkout["with"]["ref"] == f"${{{{ github.event_name == 'push' && github.sha || '{branch}' }}}}"
        submit = next(s for s in job["steps"] if s.get("name") == "Compile and submit the pipeline")
        assert submit["env"]["RUN_INPUTS"] == "${{ toJSON(inputs) }}"


def submit_with_event(project: Path, env: dict[str, str], kfp: KfpStandin, *args: str) -> dict:
    proc = run_entry(project, "development", "--skip-check", *args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = proc.stdout.split("/#/runs/details/")[1].split()[0]
    return kfp.state.runs[run_id] | {"stdout": proc.stdout}


@pytest.mark.slow
def test_the_run_records_what_started_it(options_project, sample, tmp_path):
    _, files = sample
    head = git(options_project, "rev-parse", "HEAD").strip()
    event = tmp_path / "event.json"
    base = dict(
        DATA_URI=files.url("winequality-red.synthetic.csv"),
        GITHUB_ACTIONS="true",
        GITHUB_REPOSITORY=f"Acme/{NAME}",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_ACTOR="octocat",
    )
    with KfpStandin("none") as kfp:
        env = dict(clean_env(tmp_path, KFP_HOST=kfp.host), **base)

        event.write_text(
            json.dumps({"commits": [{"added": [], "removed": [], "modified": ["data/winequality-red.csv.dvc"]}]})
        )
        data = submit_with_event(options_project, dict(env, GITHUB_EVENT_NAME="push", GITHUB_SHA=head), kfp)
        assert data["display_name"] == f"{NAME} development-{head[:12]} [data: data/winequality-red.csv.dvc]"
        assert "  run: started by data: data/winequality-red.csv.dvc" in data["stdout"]

        event.write_text(
            json.dumps(
                {
                    "commits": [
                        {"added": ["src/steps/extra.py"], "removed": [], "modified": ["data/winequality-red.csv.dvc"]}
                    ]
                }
            )
        )
        code = submit_with_event(options_project, dict(env, GITHUB_EVENT_NAME="push", GITHUB_SHA=head), kfp)
        assert code["display_name"].endswith("[code]")

        # A schedule runs on the default branch's GITHUB_SHA; the run names the commit checked out instead.
        event.write_text(json.dumps({"schedule": "0 3 * * 1"}))
        scheduled = submit_with_event(
            options_project, dict(env, GITHUB_EVENT_NAME="schedule", GITHUB_SHA="f" * 40), kfp
        )
        assert scheduled["display_name"] == f"{NAME} development-{head[:12]} [schedule: 0 3 * * 1]"

        # Run workflow: the form's filled-in fields become the run's parameters, typed as the pipeline declares.
        event.write_text("{}")
        inputs = json.dumps({"wait": False, "alpha": "0.3", "seed": "7", "l1_ratio": ""})
        manual = submit_with_event(
            options_project,
            dict(env, GITHUB_EVENT_NAME="workflow_dispatch", GITHUB_SHA="e" * 40, RUN_INPUTS=inputs),
            kfp,
        )
        assert manual["display_name"].endswith("[manual: octocat]")
        parameters = manual["runtime_config"]["parameters"]
        assert parameters["alpha"] == 0.3 and parameters["seed"] == 7 and parameters["l1_ratio"] == 0.5
        # One pipeline version per commit, reused by every run of it.
        assert [v["display_name"] for v in kfp.state.versions.values()].count(f"development-{head[:12]}") == 1

        bad = run_entry(
            options_project,
            "development",
            "--skip-check",
            "--param",
            "alpha=lots",
            env=dict(env, GITHUB_EVENT_NAME="workflow_dispatch"),
        )
        assert bad.returncode == 2
        assert "✗ config: parameter alpha: 'lots' is not a float" in bad.stdout
        assert len(kfp.state.runs) == 4


# ---------------------------------------------------------------- DVC


@pytest.fixture
def dvc_clone(options_project, tmp_path):
    """A clone of the options project to version data in (the module's project stays as generated), its
    branches reading data/winequality-red.csv as the docs say (data.uri in config.yaml)."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(options_project), str(clone))
    default_uri = json.dumps(ProjectSpec.default(NAME).branches["development"].data_uri)
    for config in (clone / "src/pipelines").glob("*/config.yaml"):
        config.write_text(config.read_text().replace(default_uri, '"data/winequality-red.csv"'))
    return clone


def new_data_version(clone: Path, env: dict[str, str], rows: int) -> None:
    """What the docs tell a user: write the file, `dvc add` it, commit the pointer (not yet pushed)."""
    proc = run(
        [sys.executable, "-m", "src.helpers.sample_data", "data/winequality-red.csv", "--rows", str(rows)], clone, env
    )
    assert proc.returncode == 0, proc.stderr
    added = run([sys.executable, "-m", "dvc", "add", "-q", "data/winequality-red.csv"], clone, env)
    assert added.returncode == 0, added.stdout + added.stderr
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", f"data: {rows} rows")
    changed = git(clone, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert "data/winequality-red.csv.dvc" in changed and "data/winequality-red.csv" not in changed


@pytest.mark.slow
def test_a_data_change_pushed_with_dvc_is_what_the_next_run_reads(dvc_clone, remote, tmp_path):
    env = dvc_env(tmp_path)
    new_data_version(dvc_clone, env, rows=400)
    # Not pushed yet: the preflight stops the run and says which command uploads the version.
    missing = run_entry(dvc_clone, "development", "--local", env=env)
    assert missing.returncode == 1
    line = missing.stdout.splitlines()[0]
    assert line.startswith("✗ data: data/winequality-red.csv at the version this commit pins (md5 ")
    assert f"is not in DVC remote 'development' ({remote}/files/md5/" in line
    assert line.endswith(
        "Fix: upload it from a checkout of this commit: `dvc push -r development` "
        "(after `dvc add`, the version is in your local DVC cache)"
    )
    assert "pull_data:" not in missing.stdout  # nothing ran

    pushed = run([sys.executable, "-m", "dvc", "push", "-q"], dvc_clone, env)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    first = run_entry(dvc_clone, "development", "--local", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "✓ data: data/winequality-red.csv (md5 " in first.stdout and "is in DVC remote 'development'" in first.stdout
    assert "pull_data: 400 rows x 12 columns from " + str(remote) in first.stdout

    # A new version: data change → dvc push → the run reads it, with no code change.
    new_data_version(dvc_clone, env, rows=250)
    assert run([sys.executable, "-m", "dvc", "push", "-q"], dvc_clone, env).returncode == 0
    second = run_entry(dvc_clone, "development", "--local", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "pull_data: 250 rows x 12 columns" in second.stdout
    # The older commit still reads its own version.
    git(dvc_clone, "checkout", "-q", "HEAD~1")
    again = run_entry(dvc_clone, "development", "--local", env=env)
    assert "pull_data: 400 rows x 12 columns" in again.stdout


@pytest.mark.slow
def test_dvc_data_on_the_branchs_s3_bucket(dvc_clone, s3, tmp_path):
    """staging's remote is the default bucket on its s3.endpoint: what CI checks, submits and the step reads."""
    new_data_version(dvc_clone, dvc_env(tmp_path), rows=300)
    with KfpStandin("dex", username="user@example.com", password="12341234", multi_user=True) as kfp:
        ci = dvc_env(tmp_path, KFP_HOST=kfp.host, KFP_USERNAME="user@example.com", KFP_PASSWORD="12341234")
        keyless = run_entry(dvc_clone, "staging", "--check", env=ci)
        assert keyless.returncode == 3
        assert "needs AWS_ACCESS_KEY_ID, which is not set" in keyless.stdout
        assert f"s3://mlflow/dvc/{NAME}/files/md5/" in keyless.stdout

        ci.update(S3_KEYS)
        missing = run_entry(dvc_clone, "staging", "--check", env=ci)
        assert missing.returncode == 1
        assert (
            "is not in DVC remote 'staging' (s3://mlflow/dvc/" in missing.stdout
            and "`dvc push -r staging`" in missing.stdout
        ), missing.stdout
        assert "✓ kfp: " in missing.stdout  # every check ran; the data one stopped the job
        assert kfp.state.uploads == []

        pushed = run([sys.executable, "-m", "dvc", "push", "-q", "-r", "staging"], dvc_clone, ci)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        submitted = run_entry(dvc_clone, "staging", env=ci)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        (run_,) = kfp.state.runs.values()
    md5 = yaml.safe_load((dvc_clone / "data/winequality-red.csv.dvc").read_text())["outs"][0]["md5"]
    url = f"s3://mlflow/dvc/{NAME}/files/md5/{md5[:2]}/{md5[2:]}"
    assert f"✓ data: data/winequality-red.csv (md5 {md5[:8]}) is readable (" in submitted.stdout
    assert run_["runtime_config"]["parameters"]["data_uri"] == url  # the pods read this version, no DVC needed
    assert run_["runtime_config"]["parameters"]["s3_endpoint"] == s3
    assert "minio123" not in submitted.stdout + submitted.stderr

    local = run_entry(dvc_clone, "staging", "--local", env=dvc_env(tmp_path, **S3_KEYS))
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    assert f"pull_data: 300 rows x 12 columns from {url}" in local.stdout


def test_dvc_remotes_follow_each_branchs_bucket_and_endpoint(options_project, remote, s3, tmp_path):
    proc = run([sys.executable, "-m", "dvc", "remote", "list"], options_project, dvc_env(tmp_path))
    listed = dict(line.split()[:2] for line in proc.stdout.splitlines())
    assert listed == {
        "development": str(remote),
        "staging": f"s3://mlflow/dvc/{NAME}",
        "production": f"s3://mlflow/dvc/{NAME}",
    }
    for branch, endpoint in (
        ("staging", s3),
        ("production", ProjectSpec.default(NAME).branches["production"].s3_endpoint),
    ):
        shown = run(
            [sys.executable, "-m", "dvc", "config", f"remote.{branch}.endpointurl"], options_project, dvc_env(tmp_path)
        )
        assert shown.stdout.strip() == endpoint
    # S3 remotes are read with the branch's AWS_* secrets by the preflight; the submission only names the
    # version's URL (the pods read it with the Kubernetes secret), so it gets no AWS key.
    steps = workflow(options_project, "staging")["jobs"]["pipeline"]["steps"]
    preflight = next(s for s in steps if str(s.get("name")).startswith("Preflight"))
    assert preflight["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    submit = next(s for s in steps if s.get("name") == "Compile and submit the pipeline")
    assert not any(name.startswith("AWS_") for name in submit["env"])


# ---------------------------------------------------------------- containerised steps


def image_of(compiled: Path, executor: str) -> str:
    spec = next(yaml.safe_load_all(compiled.read_text()))
    return spec["deploymentSpec"]["executors"][executor]["container"]["image"]


@pytest.mark.slow
def test_the_compiled_pipeline_runs_the_image_built_from_the_steps_folder(options_project, tmp_path):
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(options_project), str(work))
    env = clean_env(tmp_path, GITHUB_REPOSITORY=f"Acme/{NAME.title()}")
    folder_commit = git(work, "log", "-1", "--format=%H", "--", "src/steps/train/").strip()

    proc = run_entry(work, "development", "--compile-only", "--output", str(tmp_path / "a.yaml"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = f"ghcr.io/acme/{NAME}/train:{folder_commit}"
    assert image_of(tmp_path / "a.yaml", "exec-train") == expected
    assert f"  compile: step train runs image {expected}" in proc.stdout
    assert image_of(tmp_path / "a.yaml", "exec-evaluate") == "python:3.11-slim"  # lightweight, as before

    # A commit elsewhere keeps the image; a commit in the step's folder names a new one.
    (work / "docs" / "notes.md").write_text("notes\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "docs")
    run_entry(work, "development", "--compile-only", "--output", str(tmp_path / "b.yaml"), env=env)
    assert image_of(tmp_path / "b.yaml", "exec-train") == expected
    component = work / "src/steps/train/component.py"
    component.write_text(component.read_text().replace("train: StandardScaler", "train: fitted StandardScaler"))
    git(work, "commit", "-q", "-am", "train: wording")
    run_entry(work, "development", "--compile-only", "--output", str(tmp_path / "c.yaml"), env=env)
    head = git(work, "rev-parse", "HEAD").strip()
    assert image_of(tmp_path / "c.yaml", "exec-train") == f"ghcr.io/acme/{NAME}/train:{head}"


def test_the_build_job_runs_only_when_a_steps_folder_changed(options_project, tmp_path):
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(options_project), str(work))
    env = clean_env(tmp_path)

    def changed(before: str) -> list[str]:
        proc = run(["python3", "-m", "src.helpers.images", "changed", "--before", before], work, env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    start = git(work, "rev-parse", "HEAD").strip()
    (work / "src/steps/preprocess.py").write_text((work / "src/steps/preprocess.py").read_text() + "\n# note\n")
    git(work, "commit", "-q", "-am", "preprocess (not an image step)")
    assert changed(start) == []
    middle = git(work, "rev-parse", "HEAD").strip()
    (work / "src/steps/train/requirements.txt").write_text("kfp>=2.14,<3\npandas>=2,<4\nscikit-learn>=1.3,<2\n")
    git(work, "commit", "-q", "-am", "train image: fewer packages")
    assert changed(middle) == ["train"] and changed(start) == ["train"]
    assert changed("0" * 40) == ["train"]  # a new branch's first push: build it

    jobs = workflow(options_project, "development")["jobs"]
    assert list(jobs) == ["image-changes", "images", "pipeline"]
    detect = jobs["image-changes"]["steps"][-1]
    assert "python3 -m src.helpers.images changed --before" in detect["run"]
    assert detect["env"]["BEFORE"] == "${{ github.event_name == 'push' && github.event.before || 'HEAD' }}"
    build = jobs["images"]
    assert build["if"] == "needs.image-changes.outputs.steps != '[]'"
    assert build["strategy"]["matrix"]["step"] == "${{ fromJSON(needs.image-changes.outputs.steps) }}"
    assert build["permissions"] == {"contents": "read", "packages": "write"}
    login, push = build["steps"][1], build["steps"][2]
    assert login["env"] == {
        "REGISTRY_USERNAME": "${{ github.actor }}",
        "REGISTRY_PASSWORD": "${{ secrets.GITHUB_TOKEN }}",
    }
    assert 'IMAGE="$(python3 -m src.helpers.images tag "$STEP")"' in push["run"]
    assert 'docker build --tag "$IMAGE" "src/steps/$STEP"' in push["run"] and 'docker push "$IMAGE"' in push["run"]
    assert jobs["pipeline"]["needs"] == "images" and jobs["pipeline"]["if"] == "${{ !failure() && !cancelled() }}"


def test_another_registry_logs_in_with_the_branchs_secrets(skeleton_options, tmp_path):
    for branch in ("development", "staging", "production"):
        build = workflow(skeleton_options, branch)["jobs"]["images"]
        assert build["environment"] == branch
        assert build["steps"][1]["env"] == {
            "REGISTRY_USERNAME": "${{ secrets.REGISTRY_USERNAME }}",
            "REGISTRY_PASSWORD": "${{ secrets.REGISTRY_PASSWORD }}",
        }
        pipeline_steps = json.dumps(workflow(skeleton_options, branch)["jobs"]["pipeline"])
        assert "REGISTRY_" not in pipeline_steps  # only the build job sees the registry login
    host = run(["python3", "-m", "src.helpers.images", "host"], skeleton_options, clean_env(tmp_path))
    assert host.stdout.strip() == "registry.example.org:5000"
    tag = run(
        ["python3", "-m", "src.helpers.images", "tag", "hello"],
        skeleton_options,
        clean_env(tmp_path, GITHUB_REPOSITORY="acme/plain-options"),
    )
    commit = git(skeleton_options, "log", "-1", "--format=%H", "--", "src/steps/hello/").strip()
    assert tag.stdout.strip() == f"registry.example.org:5000/ml/acme/plain-options/hello:{commit}"


@pytest.mark.slow
def test_the_images_folder_is_what_kfp_runs_inside_the_image(options_project, sample, tmp_path):
    """Lay out /app as the Dockerfile's COPY lines do and run KFP's executor there, as the pod would."""
    import pandas as pd

    folder = options_project / "src/steps/train"
    app = tmp_path / "app"
    app.mkdir()
    for line in (folder / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "requirements.txt" not in line:
            for name in line.split()[1:-1]:
                shutil.copy(folder / name, app / name)
    path, _ = sample
    pd.read_csv(path, sep=";").to_csv(tmp_path / "train.csv", index=False)
    executor_input = {
        "inputs": {
            "parameterValues": {
                "alpha": 0.1,
                "l1_ratio": 0.5,
                "target": "quality",
                "seed": 42,
            },
            "artifacts": {
                "train_set": {
                    "artifacts": [
                        {
                            "name": "train_set",
                            "uri": str(tmp_path / "train.csv"),
                            "type": {"schemaTitle": "system.Dataset"},
                        }
                    ]
                }
            },
        },
        "outputs": {
            "artifacts": {
                "model": {
                    "artifacts": [
                        {"name": "model", "uri": str(tmp_path / "model"), "type": {"schemaTitle": "system.Model"}}
                    ]
                },
                "reference": {
                    "artifacts": [
                        {
                            "name": "reference",
                            "uri": str(tmp_path / "reference"),
                            "type": {"schemaTitle": "system.Artifact"},
                        }
                    ]
                },
            },
            "outputFile": str(tmp_path / "executor_output.json"),
        },
    }
    compiled = tmp_path / "p.yaml"
    run_entry(options_project, "development", "--compile-only", "--output", str(compiled), env=clean_env(tmp_path))
    container = next(yaml.safe_load_all(compiled.read_text()))["deploymentSpec"]["executors"]["exec-train"]["container"]
    args = [json.dumps(executor_input) if a == "{{$}}" else a for a in container["args"]]
    proc = run([sys.executable, *container["command"][1:], *args], app, clean_env(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "train: StandardScaler + ElasticNet(alpha=0.1, l1_ratio=0.5), 400 rows" in proc.stdout
    assert (tmp_path / "model").stat().st_size > 0
    assert json.loads((tmp_path / "reference").read_text())["rows"] == 400, "the training data's description"


# ---------------------------------------------------------------- model comparison


@pytest.mark.slow
def test_the_comparison_notebook_runs_the_sweep_and_shows_one_row_per_trial(options_project, sample, monkeypatch):
    import mlflow

    from tests.test_generated_notebooks import execute, text_of

    path, _ = sample
    for name in ("KFP_HOST", "MLFLOW_TRACKING_URI", "KF_PIPELINES_SA_TOKEN_PATH", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_URI", str(path))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    notebook = execute(options_project / "notebooks" / "03-compare-models.ipynb")
    out = text_of(notebook)
    trials = [t["name"] for t in yaml.safe_load((options_project / "src/pipelines/sweep.yaml").read_text())["trials"]]
    store = options_project / "local_outputs" / "mlruns"
    assert f"tracked in {store.as_uri()}" in out
    assert any("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))

    table = (options_project / "local_outputs" / "development" / "comparison.csv").read_text().splitlines()
    rows = [line.split(",") for line in table[1:]]
    assert table[0].split(",")[:6] == ["trial", "alpha", "l1_ratio", "rmse", "r2", "mae"]
    assert sorted(r[0] for r in rows) == sorted(trials)
    # Each row is an MLflow run of its own: the logged parameters and metrics are the table's.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(store.as_uri())
    runs = mlflow.search_runs(experiment_names=[f"{NAME}-development-sweep"])
    assert len(runs) == len(trials)
    for trial, alpha, l1_ratio, rmse, *_ in rows:
        logged = runs[runs["tags.trial"] == trial].iloc[0]
        assert logged["params.alpha"] == alpha and logged["params.l1_ratio"] == l1_ratio
        assert abs(logged["metrics.rmse"] - float(rmse)) < 1e-9
    assert len({r[3] for r in rows}) == len(trials)  # different parameters, different models


def test_the_same_sweep_is_submitted_to_kubeflow_one_run_per_trial(options_project, sample, tmp_path):
    _, files = sample
    sweep = yaml.safe_load((options_project / "src/pipelines/sweep.yaml").read_text())
    with KfpStandin("none") as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        proc = run([sys.executable, "-m", "src.helpers.sweep", "development", "--submit"], options_project, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs = list(kfp.state.runs.values())
        versions = [v["display_name"] for v in kfp.state.versions.values()]
    head = git(options_project, "rev-parse", "HEAD").strip()
    assert versions.count(f"development-{head[:12]}") == 1  # one upload, one run per trial
    assert proc.stdout.startswith("✓ data: ") and "✓ kfp: " in proc.stdout
    assert len(runs) == len(sweep["trials"])
    for trial, created in zip(sweep["trials"], runs, strict=True):
        assert created["display_name"].endswith(f"[sweep {sweep['name']}: {trial['name']}]")
        parameters = created["runtime_config"]["parameters"]
        assert {k: parameters[k] for k in trial["params"]} == trial["params"]
        assert parameters["model_name"] == f"{NAME}-development"  # the branch's own params underneath
