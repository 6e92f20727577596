"""Crash matrix: the CLI killed with SIGKILL at each step of init, push (GitHub stand-in) and sync.

A SIGKILL runs no cleanup (no finally, no atexit): what a power cut, an OOM kill or a closed laptop lid
leaves. For each step an uninterrupted run reports (its progress events), the same command is started
with the test hook ``JUPYTER_MLOPS_TEST_CRASH_AT=STEP:STATE`` (jupyter_mlops/progress.py: the process
kills itself as that event is emitted; inert unless set), then run again as a user would. The re-run
must reach the state an uninterrupted run reaches, keep the user's files, and leave no temporary folder.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from jupyter_mlops.progress import CRASH_VARIABLE, Progress
from tests.conftest import git, run_cli
from tests.org_support import change_platform_host, commit_on_branches, make_main_local, new_local, ok
from tests.push_support import SECRETS_FILE, expected_state, remote_state

pytestmark = pytest.mark.slow


def steps_of(events) -> list[str]:
    """Each distinct STEP:STATE of a run, in the order they first happen."""
    seen: list[str] = []
    for event in events:
        key = f"{event.step}:{event.state}"
        if key not in seen:
            seen.append(key)
    return seen


def killed(proc) -> None:
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


def tree(root: Path) -> dict[str, bytes]:
    """The work tree as the user sees it (git's own folder aside)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def branch_trees(root: Path | str) -> dict[str, str]:
    out = git(root, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
    return {
        name: git(root, "rev-parse", f"{sha}^{{tree}}").strip() for name, sha in (ln.split() for ln in out.splitlines())
    }


SCRATCH = (".mlops-", "mlops-sync-", "mlops-index-")


def leftovers(*folders: Path) -> list[str]:
    """Scratch entries this tool makes (staging folders, throw-away indexes, sync work folders)."""
    return [str(p) for f in folders if f.exists() for p in f.iterdir() if any(s in p.name for s in SCRATCH)]


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """A TMPDIR of the test's own, so leftovers in it are this test's."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


# ---------------------------------------------------------------- init


@pytest.mark.parametrize("mode", ["new", "adopt"])
def test_init_killed_at_each_step_then_run_again_is_as_if_never_interrupted(tmp_path, scratch, mode):
    from jupyter_mlops.operations.init import apply_init, build_spec, plan_init

    def folder(label: str) -> Path:
        root = tmp_path / label / "wine"
        root.mkdir(parents=True)
        if mode == "adopt":
            (root / "notes.txt").write_text("the user's notes\n")
        return root

    reference = folder("reference")
    progress = Progress()
    apply_init(plan_init(reference, build_spec(reference)), progress)
    steps = steps_of(progress.events)
    assert {"files:done", "git:done", "init:done"} <= set(steps)

    for i, step in enumerate(steps):
        root = folder(f"crash-{i}")
        killed(run_cli("init", str(root), "--yes", env={CRASH_VARIABLE: step}))
        ok(run_cli("init", str(root), "--yes"))
        assert tree(root) == tree(reference), step
        assert branch_trees(root) == branch_trees(reference), step
        assert git(root, "status", "--porcelain") == git(reference, "status", "--porcelain"), step
        assert git(root, "branch", "--show-current") == "development\n", step
        assert leftovers(root.parent, scratch) == [], step


# ---------------------------------------------------------------- push


def test_push_killed_at_each_step_then_run_again_reaches_the_finished_setup(
    new_project, github_standin, tmp_path, scratch
):
    from jupyter_mlops.github.client import GitHubClient
    from jupyter_mlops.operations.push import apply_push, plan_push, require_project
    from jupyter_mlops.operations.secrets import assign_to_branches, read_env_file

    gh = github_standin
    (tmp_path / "ci.env").write_text(SECRETS_FILE)

    def project(name: str) -> Path:
        root = new_project(name=name)
        (root / "my-notes.txt").write_text("not committed, mine\n")
        return root

    reference = project("wine-reference")
    progress = Progress()
    spec_secrets = assign_to_branches(read_env_file(str(tmp_path / "ci.env")), require_project(reference))
    plan = plan_push(
        reference,
        token=gh.token,
        owner="octo",
        github_url=gh.api_url,
        secrets=spec_secrets,
        client=GitHubClient(gh.token, gh.api_url),
        progress=progress,
    )
    apply_push(plan, progress)
    assert remote_state(gh, "octo", "wine-reference") == expected_state(reference)
    steps = steps_of(progress.events)
    assert len(steps) >= 6, steps

    for i, step in enumerate(steps):
        root = project(f"wine-{i}")
        args = ["push", str(root), "--owner", "octo", "--github-url", gh.api_url, "--secrets-file"]
        args += [str(tmp_path / "ci.env"), "--yes"]
        env = {"GITHUB_TOKEN": gh.token}
        killed(run_cli(*args, env={**env, CRASH_VARIABLE: step}))
        ok(run_cli(*args, env=env))
        assert remote_state(gh, "octo", f"wine-{i}") == expected_state(root), step
        assert (root / "my-notes.txt").read_text() == "not committed, mine\n", step
        assert git(root, "status", "--porcelain") == "?? my-notes.txt\n", step
        assert git(root, "remote", "get-url", "origin").strip().endswith(f"/octo/wine-{i}.git"), step
        assert leftovers(root / ".git", root.parent, scratch) == [], step
        again = run_cli(*args, env=env)
        assert again.returncode == 0 and "Nothing to do" in again.stdout, step


# ---------------------------------------------------------------- sync


def test_sync_killed_at_each_step_then_run_again_is_as_if_never_interrupted(tmp_path, scratch):
    from jupyter_mlops.operations.sync import apply_sync, plan_sync

    main, main_bare = make_main_local(tmp_path)
    template = new_local(tmp_path, "wine", main_bare)
    template_bare = tmp_path / "remotes" / "wine.git"
    (template / "my-notes.txt").write_text("mine\n")
    commit_on_branches(main, change_platform_host, "New Kubeflow host")  # the update every project syncs

    def copy(label: str) -> Path:
        """A copy of the project clone and of its origin (a bare repository)."""
        root, bare = tmp_path / label / "wine", tmp_path / label / "wine.git"
        shutil.copytree(template, root, symlinks=True)
        shutil.copytree(template_bare, bare, symlinks=True)
        git(root, "remote", "set-url", "origin", str(bare))
        return root

    reference = copy("reference")
    progress = Progress()
    apply_sync(plan_sync(reference), progress)
    steps = steps_of(progress.events)
    assert {"fetch:done", "merge:done", "push:done"} <= set(steps), steps

    for i, step in enumerate(steps):
        root = copy(f"crash-{i}")
        killed(run_cli("sync", str(root), "--yes", env={CRASH_VARIABLE: step}))
        ok(run_cli("sync", str(root), "--yes"))
        assert branch_trees(root) == branch_trees(reference), step
        origin = branch_trees(root.parent / "wine.git")
        assert origin == branch_trees(reference.parent / "wine.git") == branch_trees(root), step
        assert tree(root) == tree(reference), step
        assert (root / "my-notes.txt").read_text() == "mine\n", step
        assert leftovers(root / ".git", scratch) == [], step
        ok(run_cli("sync", str(root), "--yes"))
        assert branch_trees(root) == branch_trees(reference), step
