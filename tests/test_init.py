"""`jupyter mlops init`: the story of a data scientist creating a project, and everything that can go wrong."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlops.settings.spec import loads
from tests.conftest import git, run_cli

BRANCHES = ["development", "staging", "production"]
LAYOUT = [
    "README.md",
    "requirements.txt",
    ".gitignore",
    "LICENSE",
    "mlops.toml",
    "data/README.md",
    "models/README.md",
    "notebooks/README.md",
    "docs/README.md",
    "src/steps/__init__.py",
    "src/pipelines/pipeline.py",
    "src/helpers/config.py",
    "tests/test_steps.py",
]


def tree(repo: Path, ref: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", ref).split())


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under folder (including .git) with its mtime and content: 'nothing changed' means equal."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = (p.stat().st_mtime_ns, p.read_bytes())
    return out


# ------------------------------------------------------------------ the happy path


def test_init_creates_the_agreed_layout_on_three_branches(new_project):
    root = new_project()
    assert git(root, "branch", "--show-current").strip() == "development"
    heads = {b: git(root, "rev-parse", b).strip() for b in BRANCHES}
    assert len(set(heads.values())) == 1, "all branches start from the same commit"
    assert git(root, "rev-list", "--count", "development").strip() == "1"
    for branch in BRANCHES:
        files = tree(root, branch)
        missing = [f for f in LAYOUT if f not in files]
        assert not missing, f"{branch} lacks {missing}"
        for b in BRANCHES:  # every branch carries every branch's folder, so promotion merges stay clean
            for name in ("main.py", "config.yaml", "platform.yaml"):
                assert f"src/pipelines/{b}/{name}" in files
    assert git(root, "status", "--porcelain") == "", "nothing is left uncommitted"


def test_mlops_toml_records_the_answers_and_template_version(new_project):
    from jupyter_mlops import __version__

    root = new_project(
        "--set", "description=Predict wine quality", "--set", "staging.kfp.auth=token", "--set", "owner=acme-ml"
    )
    spec = loads((root / "mlops.toml").read_text())
    assert spec.name == "wine-quality"
    assert spec.description == "Predict wine quality"
    assert spec.owner == "acme-ml"
    assert spec.branches["staging"].kfp_auth == "token"
    assert spec.template_version == __version__
    assert "KFP_TOKEN" in (root / "src/pipelines/staging/platform.yaml").read_text()


def test_data_and_models_readmes_say_how_data_is_pointed_to(new_project):
    root = new_project("--set", "production.data.uri=s3://wine-data/red.csv")
    data = (root / "data/README.md").read_text()
    assert "s3://wine-data/red.csv" in data and "AWS_SECRET_ACCESS_KEY" in data
    models = (root / "models/README.md").read_text()
    assert "MLflow" in models and "s3://mlflow/" in models
    assert "AWS_ACCESS_KEY_ID" in (root / "src/pipelines/production/platform.yaml").read_text()


@pytest.mark.parametrize(
    "choice,needle",
    [
        ("placeholder", "Apache-2.0"),
        ("MIT", "MIT License"),
        ("Apache-2.0", "Version 2.0, January 2004"),
        ("BSD-3-Clause", "BSD 3-Clause License"),
    ],
)
def test_license_choice(tmp_path, choice, needle):
    root = tmp_path / "p"
    proc = run_cli("init", str(root), "--yes", "--set", f"license={choice}", "--set", "owner=acme")
    assert proc.returncode == 0, proc.stderr
    text = (root / "LICENSE").read_text()
    assert needle in text
    if choice == "placeholder":
        for option in ("MIT", "BSD-3-Clause", "Proprietary"):
            assert option in text
    elif choice != "Apache-2.0":
        assert "acme" in text


@pytest.mark.slow
def test_generated_project_passes_its_own_tests_and_compiles_every_branch(new_project):
    root = new_project("--set", "example=false", name="skeleton")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for branch in BRANCHES:
        out = root / "out" / f"{branch}.yaml"
        proc = subprocess.run(
            [sys.executable, f"src/pipelines/{branch}/main.py", "--compile-only", "--output", str(out)],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert "pipelineInfo" in out.read_text()


def test_config_file_and_set_precedence(tmp_path):
    config = tmp_path / "team.toml"
    config.write_text('description = "From the file"\npython = "3.12"\n[branches.staging.kfp]\nauth = "token"\n')
    root = tmp_path / "proj"
    proc = run_cli("init", str(root), "--yes", "--config", str(config), "--set", "python=3.10")
    assert proc.returncode == 0, proc.stderr
    spec = loads((root / "mlops.toml").read_text())
    assert (spec.description, spec.python, spec.branches["staging"].kfp_auth) == ("From the file", "3.10", "token")


def test_json_config_file(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"name": "from-json", "development.kfp.namespace": "team-a"}))
    proc = run_cli("init", str(tmp_path / "x"), "--yes", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    spec = loads((tmp_path / "x" / "mlops.toml").read_text())
    assert spec.name == "from-json" and spec.branches["development"].kfp_namespace == "team-a"


def test_custom_branch_names(tmp_path):
    root = tmp_path / "p"
    proc = run_cli(
        "init",
        str(root),
        "--yes",
        "--set",
        "branches=dev,prod",
        "--set",
        "prod.kfp.auth=incluster",
        "--set",
        "prod.kfp.host=",
    )
    assert proc.returncode == 0, proc.stderr
    assert git(root, "branch", "--format=%(refname:short)").split() == ["dev", "prod"]
    assert "auth: incluster" in (root / "src/pipelines/prod/platform.yaml").read_text()


# ------------------------------------------------------------------ dry run, idempotency, never losing work


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    root = tmp_path / "proj"
    proc = run_cli("init", str(root), "--yes", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "create  src/pipelines/staging/main.py" in proc.stdout
    assert "branch  production" in proc.stdout and "commit" in proc.stdout
    assert not root.exists()
    assert list(tmp_path.iterdir()) == []


def test_second_init_changes_nothing_and_says_so(new_project):
    root = new_project()
    before = snapshot(root)
    proc = run_cli("init", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "Nothing to do" in proc.stdout
    assert snapshot(root) == before


def test_rerun_restores_only_missing_files_and_keeps_edits(new_project):
    root = new_project()
    (root / "README.md").write_text("# My own README\n")
    git(root, "commit", "-qam", "my readme")
    (root / "data/README.md").unlink()
    git(root, "commit", "-qam", "drop data readme")
    proc = run_cli("init", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (root / "README.md").read_text() == "# My own README\n"
    assert "README.md" in proc.stdout and "kept" in proc.stdout
    assert (root / "data/README.md").exists()
    last = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert last == ["data/README.md"]


def test_refuses_a_folder_whose_files_would_be_overwritten(tmp_path):
    root = tmp_path / "notes"
    root.mkdir()
    (root / "README.md").write_text("my notes\n")
    (root / "requirements.txt").write_text("numpy\n")
    before = snapshot(root)
    proc = run_cli("init", str(root), "--yes")
    assert proc.returncode == 2
    assert "README.md" in proc.stderr and "requirements.txt" in proc.stderr and "nothing was written" in proc.stderr
    assert snapshot(root) == before


def test_adopts_a_folder_with_unrelated_files(tmp_path):
    root = tmp_path / "analysis"
    root.mkdir()
    (root / "scratch.py").write_text("print('mine')\n")
    proc = run_cli("init", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (root / "scratch.py").read_text() == "print('mine')\n"
    assert "scratch.py" not in tree(root, "development"), "the user's own files are not committed for them"
    assert "mlops.toml" in tree(root, "staging")


def test_existing_git_repository_gets_development_from_its_head(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "analysis.py").write_text("x = 1\n")
    git(root, "add", "analysis.py")
    git(root, "commit", "-qm", "first")
    first = git(root, "rev-parse", "HEAD").strip()
    proc = run_cli("init", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert git(root, "branch", "--show-current").strip() == "development"
    assert git(root, "rev-parse", "development~1").strip() == first, "history is kept"
    assert git(root, "rev-parse", "main").strip() == first, "the user's branch is untouched"
    assert {"analysis.py", "mlops.toml"} <= tree(root, "production")


def test_empty_current_folder(tmp_path):
    root = tmp_path / "here"
    root.mkdir()
    proc = run_cli("init", "--yes", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert loads((root / "mlops.toml").read_text()).name == "here"
    assert (root / ".git").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["here"], "no temp folder is left behind"


# ------------------------------------------------------------------ bad input: exit 2, clear message, nothing written

BAD = [
    (["--name", "my project"], "characters GitHub does not allow"),
    (["--name", "x" * 101], "at most 100"),
    (["--name", "model.git"], ".git"),
    (["--set", "branches=dev,feature..x"], "not a valid git branch name"),
    (["--set", "branches=dev,-x"], "starts with '-'"),
    (["--set", "staging.kfp.host=ftp://example.org"], "not an http(s) URL"),
    (["--set", "development.data.uri=gs://bucket/x"], "scheme"),
    (["--set", "staging.kfp.auth=kerberos"], "none, token, dex, incluster"),
    (["--set", "colour=blue"], "unknown setting"),
    (["--set", "qa.kfp.host=http://x"], "no branch 'qa'"),
    (["--set", "owner=-bad-"], "GitHub user or organisation"),
    (["--set", "python=2.7"], "3.9 to 3.14"),
    (["--set", "example=maybe"], "true or false"),
    (["--set", "novalue"], "key=value"),
    (["--config", "/nonexistent/team.toml"], "cannot read it"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[str(a) for a, _ in BAD])
def test_bad_input_is_refused_with_exit_2_and_nothing_written(tmp_path, args, message):
    root = tmp_path / "proj"
    proc = run_cli("init", str(root), "--yes", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not root.exists()


def test_malformed_config_file(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("description = \n")
    proc = run_cli("init", str(tmp_path / "p"), "--yes", "--config", str(config))
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
    assert not (tmp_path / "p").exists()


def test_missing_git_identity_names_the_fix_and_writes_nothing(tmp_path, monkeypatch):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    root = tmp_path / "proj"
    proc = run_cli("init", str(root), "--yes", env={"GIT_CONFIG_GLOBAL": str(empty), "EMAIL": ""})
    assert proc.returncode == 2
    assert "git config --global user.email" in proc.stderr
    assert not root.exists()


# ------------------------------------------------------------------ the terminal prompts


def test_prompts_on_a_terminal_with_defaults_and_reasks_invalid_answers(tmp_path):
    """On a TTY without --yes every setting is asked, page by page, with its default; Enter keeps it."""
    import pty

    root = tmp_path / "asked"
    master, slave = pty.openpty()
    answers = ["", "Churn model", "2.7", "3.12"] + [""] * 40
    os.write(master, ("\n".join(answers) + "\n").encode())
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops", "init", str(root)],
        stdin=slave,
        capture_output=True,
        text=True,
        timeout=120,
    )
    os.close(slave)
    os.close(master)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Project name [asked]:" in proc.stdout
    assert "staging KFP auth [dex]:" in proc.stdout
    assert "3.9 to 3.14" in proc.stderr, "an invalid answer is explained and asked again"
    spec = loads((root / "mlops.toml").read_text())
    assert (spec.name, spec.description, spec.python) == ("asked", "Churn model", "3.12")


# ------------------------------------------------------------------ the CLI itself


def _verbs():
    from jupyter_mlops.cli import available_verbs

    return [m.__name__.rsplit(".", 1)[1].removesuffix("_cmd") for m in available_verbs()]


@pytest.mark.parametrize("verb", _verbs())
def test_every_verb_has_help(verb):
    proc = run_cli(verb, "--help")
    assert proc.returncode == 0 and "usage: jupyter mlops" in proc.stdout


def test_help_imports_nothing_heavy():
    code = (
        "import sys\nfrom jupyter_mlops.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('kfp', 'github', 'git', 'tornado', 'ipywidgets', 'jinja2') if m in sys.modules]\n"
        "print(heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_jupyter_dispatches_to_the_mlops_command():
    exe = Path(sys.executable).with_name("jupyter")
    proc = subprocess.run([str(exe), "mlops", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "jupyter-mlops" in proc.stdout


def test_missing_identity_leaves_no_parent_folders_behind(tmp_path):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    proc = run_cli(
        "init", str(tmp_path / "a" / "b" / "proj"), "--yes", env={"GIT_CONFIG_GLOBAL": str(empty), "EMAIL": ""}
    )
    assert proc.returncode == 2
    assert not (tmp_path / "a").exists()


def test_an_identity_in_the_environment_signs_the_first_commit(tmp_path):
    # Given no identity in git's config, but one in the environment (as CI jobs and scripts set it)
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    env = {"GIT_CONFIG_GLOBAL": str(empty), "EMAIL": "", "GIT_COMMITTER_NAME": "CI Bot"}
    env["GIT_COMMITTER_EMAIL"] = "ci@example.org"
    # When init runs
    proc = run_cli("init", str(tmp_path / "proj"), "--yes", env=env)
    # Then the first commit is signed with it
    assert proc.returncode == 0, proc.stderr
    log = subprocess.run(
        ["git", "log", "-1", "--format=%cn <%ce>"], cwd=tmp_path / "proj", capture_output=True, text=True, check=True
    )
    assert log.stdout.strip() == "CI Bot <ci@example.org>"


def test_the_project_folder_gets_the_mode_the_umask_gives_a_new_folder(tmp_path):
    # Given the user's umask (022 makes folders rwxr-xr-x), when init creates the project folder
    mask = os.umask(0)
    os.umask(mask)
    root = tmp_path / "proj"
    assert run_cli("init", str(root), "--yes").returncode == 0
    # Then it is readable as any folder the user makes (it is built aside and moved in: not a private temp folder)
    assert stat.S_IMODE(root.stat().st_mode) == 0o777 & ~mask


def test_a_plan_that_started_git_and_is_dropped_leaves_nothing(tmp_path):
    # Given a caller that plans a new project to apply it next, so its git work starts during planning
    from jupyter_mlops.operations.init import build_spec, plan_init

    root = tmp_path / "a" / "b" / "proj"
    plan = plan_init(root, build_spec(root), start_git=True)
    assert any(tmp_path.iterdir()), "the repository is being built beside the folder"
    # When it is dropped instead (Ctrl-C, an error before apply), then nothing is left, not even the parents
    plan.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_plan_that_fails_after_git_started_leaves_nothing(tmp_path, monkeypatch):
    # Given rendering that fails after the git work started (a broken template, Ctrl-C while rendering)
    from jupyter_mlops.operations import init as init_op

    def broken(spec):
        raise KeyboardInterrupt

    monkeypatch.setattr(init_op, "iter_render", broken)
    root = tmp_path / "proj"
    with pytest.raises(KeyboardInterrupt):
        init_op.plan_init(root, init_op.build_spec(root), start_git=True)
    # Then the folder the repository was being built in is gone
    assert list(tmp_path.iterdir()) == []


def test_the_command_ends_with_its_exit_code_and_all_its_output(tmp_path):
    # The process skips Python's teardown (cli.run): its output still arrives whole and its exit code unchanged
    proc = run_cli("schema", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["properties"]
    assert run_cli("--version").returncode == 0
    proc = run_cli("init", str(tmp_path / "p"), "--yes", "--set", "python=2.7")
    assert proc.returncode == 2 and "python" in proc.stderr
    assert run_cli("no-such-verb").returncode == 2


NAMES = [
    "development",
    "feature/x",
    "a..b",
    "-x",
    "x.lock",
    "x/.y",
    "x y",
    "x~1",
    "x^",
    "x:y",
    "x?",
    "x*",
    "x[",
    "x\\y",
    "x.",
    "a@{b",
    "/x",
    "x/",
    "a//b",
    "release-1.2",
    "ünïcode",
    "@x",
]


@pytest.mark.parametrize("name", NAMES)
def test_branch_name_rules_match_git(name, tmp_path):
    from jupyter_mlops.settings.spec import check_branch_name

    # `git branch` accepts NAME when refs/heads/NAME is a valid ref and NAME does not start with '-'. Ours is
    # git's rule within an allow-list (letters, digits, . _ - /): never looser than git, and equal inside it.
    proc = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, cwd=tmp_path)
    git_accepts = proc.returncode == 0 and not name.startswith("-")
    allowed_characters = re.fullmatch(r"[A-Za-z0-9._/-]+", name) is not None
    assert (check_branch_name(name) is None) == (git_accepts and allowed_characters), name


def test_branch_named_at_is_refused_though_git_allows_it():
    """'@' means HEAD in git's revision syntax; a branch of that name breaks every script that uses it."""
    from jupyter_mlops.settings.spec import check_branch_name

    assert "'@'" in check_branch_name("@")


def test_settings_given_to_an_existing_project_are_reported_not_silently_dropped(new_project):
    root = new_project()
    proc = run_cli("init", str(root), "--yes", "--set", "staging.kfp.auth=token")
    assert proc.returncode == 0
    assert "staging.kfp.auth stayed as recorded" in proc.stderr
    assert "auth: dex" in (root / "src/pipelines/staging/platform.yaml").read_text()
