"""Data versioned with DVC: a run reads the version its commit pins, from the branch's remote; the
preflight says what to do when that version was never pushed. Offline: a local folder remote."""

import os
import subprocess

import pytest

from src.helpers.config import BranchConfig, branches, load_branch_config
from src.helpers.data_version import check_pinned, pinned
from src.helpers.report import StepFailed


@pytest.fixture
def dvc_repo(tmp_path):
    """A DVC repository with data/sample.csv tracked (its pointer written, not yet pushed), a local remote."""
    from dvc.repo import Repo

    root, remote = tmp_path / "repo", tmp_path / "remote"
    root.mkdir()
    remote.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    repo = Repo.init(str(root))
    with repo.config.edit() as conf:
        conf["remote"]["development"] = {"url": str(remote)}
        conf["core"]["remote"] = "development"
    (root / "data").mkdir()
    (root / "data" / "sample.csv").write_text("a;quality\n1;5\n")
    repo.add(str(root / "data" / "sample.csv"))
    config = BranchConfig("development", "", "none", "", "e", "p", data_uri="data/sample.csv")
    yield repo, root, config
    repo.close()


def test_the_run_reads_the_pinned_version_from_the_remote(dvc_repo):
    repo, root, config = dvc_repo
    found = pinned(config, root)
    assert found.remote == "development"
    assert found.url.endswith(f"files/md5/{found.md5[:2]}/{found.md5[2:]}")


def test_a_version_never_pushed_fails_the_preflight_with_the_push_to_run(dvc_repo):
    repo, root, config = dvc_repo
    with pytest.raises(StepFailed, match="not in DVC remote 'development'") as failed:
        check_pinned(config, os.environ, local=True, root=root)
    assert "dvc push -r development" in failed.value.fix
    repo.push()
    assert check_pinned(config, os.environ, local=True, root=root).md5 == pinned(config, root).md5


def test_every_branch_has_a_dvc_remote():
    from dvc.repo import Repo

    with Repo() as repo:
        remotes = repo.config["remote"]
    assert set(branches()) <= set(remotes)
    for branch in branches():
        assert load_branch_config(branch)  # and its config still loads
