"""Security: writes stay inside the project folder, credentials stay where they belong.

Replays issue 13's findings: init following a symlink out of the root (and its rollback leaving folders
and .git behind), a project made inside another repository's .git, a main repo committing a link that
new would write through, BASH_ENV let through as a "credential", redaction that missed a secret's
pieces and encodings.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from jupyter_mlops.operations.jobs import REDACTED, redact
from tests.conftest import git, run_cli
from tests.org_support import make_main_local, ok
from tests.server_support import server_config
from tests.test_security_git import files_in


@pytest.fixture
def jp_server_config():
    return server_config()


# ---------------------------------------------------------------- symbolic links


def adopt_folder_with_a_link_out(base: Path, outside: Path) -> Path:
    """A folder to adopt whose ``src`` is a link to a folder elsewhere (the sweep's ``adopt_sym``)."""
    folder = base / "adopt_sym"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    outside.mkdir()
    os.symlink(outside, folder / "src")
    return folder


def test_init_refuses_to_write_through_a_link_out_of_the_folder_and_writes_nothing(tmp_path):
    folder = adopt_folder_with_a_link_out(tmp_path, tmp_path / "elsewhere")
    before = files_in(tmp_path)
    proc = run_cli("init", str(folder), "--yes")
    assert proc.returncode == 2, proc.stderr
    assert "outside" in proc.stderr and "remove or replace the link" in proc.stderr
    assert f"src/pipelines/development/main.py → {tmp_path / 'elsewhere'}" in proc.stderr
    assert files_in(tmp_path) == before  # no .git, no folders, nothing through the link


async def test_rest_init_through_a_link_out_of_the_root_is_409_and_leaves_nothing(api, tmp_path):
    folder = adopt_folder_with_a_link_out(api.root, tmp_path / "outside-root")
    before = files_in(api.root), files_in(tmp_path / "outside-root")
    for route in ("plan", "init"):
        status, body = await api.post(route, {"path": "adopt_sym"})
        assert status == 409 and body["reason"] == "conflict", body
        assert any(d.startswith("src/helpers/") for d in body["details"])
    assert (files_in(api.root), files_in(tmp_path / "outside-root")) == before
    assert not (folder / ".git").exists()


def test_a_failed_adopt_removes_the_folders_and_the_git_repository_it_made(tmp_path, monkeypatch):
    """The rollback leaves the folder as it was: no files, folders or .git of the failed run."""
    from jupyter_mlops.operations import init as init_op
    from jupyter_mlops.vcs import gitcli

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    spec = init_op.build_spec(folder)
    plan = init_op.plan_init(folder, spec)
    assert plan.mode == "adopt" and plan.git_init
    real = gitcli.git

    def failing_add(args, cwd, **kw):
        if args[0] == "add":
            raise gitcli.GitError("git add failed (simulated)")
        return real(args, cwd, **kw)

    monkeypatch.setattr(gitcli, "git", failing_add)
    with pytest.raises(gitcli.GitError):
        init_op.apply_init(plan)
    assert files_in(folder) == {"notes.txt"}


@pytest.mark.parametrize("path", ["proj1/.git", "proj1/.git/hooks", "proj1/.GIT"])
async def test_rest_paths_into_a_git_folder_are_refused(api, path):
    (api.root / "proj1" / ".git").mkdir(parents=True)
    status, body = await api.post("init", {"path": path})
    assert status == 400 and body["reason"] == "invalid_path" and ".git folder" in body["message"]
    assert files_in(api.root / "proj1") == {".git"}


def test_cli_init_inside_a_git_folder_is_refused(tmp_path):
    git(tmp_path, "init", "-q", "repo")
    proc = run_cli("init", str(tmp_path / "repo" / ".git" / "proj"), "--yes")
    assert proc.returncode == 2 and ".git folder" in proc.stderr
    assert not (tmp_path / "repo" / ".git" / "proj").exists()


def test_new_never_writes_through_a_link_the_main_repo_committed(tmp_path):
    """A main repo whose README.md is a link to a file of the user's: new keeps the link, never writes
    through it."""
    main, bare = make_main_local(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n")
    for branch in ("development", "staging", "production"):
        git(main, "checkout", "-q", branch)
        (main / "README.md").unlink()
        os.symlink(victim, main / "README.md")
        git(main, "commit", "-qam", "link")
    git(main, "checkout", "-q", "development")
    ok(run_cli("push", str(main), "--yes"))
    proc = run_cli("new", "proj", "--from", str(bare), "--remote", str(tmp_path / "proj.git"), "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "kept the main repo's version of development:README.md" in proc.stdout
    assert victim.read_text() == "the user's own file\n"


def test_committing_on_the_checked_out_branch_refuses_a_path_through_a_link_out(tmp_path):
    """The one writer of work-tree files for push, new and sync's personalising commits checks first."""
    from jupyter_mlops.errors import Conflict
    from jupyter_mlops.vcs.branchedit import commit_on_branches

    repo, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-qm", "a")
    os.symlink(outside, repo / "notes")
    before = git(repo, "rev-parse", "main")
    with pytest.raises(Conflict) as refused:
        commit_on_branches(repo, {"main": {"notes/x.txt": b"x\n"}}, "edit")
    assert f"notes/x.txt → {outside / 'x.txt'}" in refused.value.details
    assert list(outside.iterdir()) == [] and git(repo, "rev-parse", "main") == before


# ---------------------------------------------------------------- credentials for check / run


@pytest.mark.parametrize("name", ["BASH_ENV", "PYTHONSTARTUP", "LD_PRELOAD", "ENV", "PROMPT_COMMAND", "GITHUB_TOKEN"])
async def test_only_credential_names_the_entry_point_reads_are_passed(api, name):
    done = await api.wait((await api.post("init", {"path": "wine"}))[1])
    assert done["state"] == "succeeded"
    status, body = await api.post("check", {"path": "wine", "credentials": {name: "/tmp/evil.sh"}})
    assert status == 400 and name in body["message"] and "KFP_TOKEN" in body["message"]


# ---------------------------------------------------------------- redaction


SECRET = "ghp_Sup3rSecretTok3n_0123456789abcdef"


@pytest.mark.parametrize(
    "shown",
    [
        SECRET,
        SECRET[:16],  # cut short by a message limit
        SECRET[8:30],
        quote(SECRET + "/+ &", safe=""),
        quote_plus("pw with spaces&" + SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(f"x-access-token:{SECRET}".encode()).decode(),  # an Authorization: Basic header
        base64.urlsafe_b64encode(b"ab" + SECRET.encode()).decode(),
        '{"token": "' + SECRET + '"}',
    ],
)
def test_redaction_covers_pieces_and_encodings_of_every_secret(shown):
    text = redact(f"git said: {shown} (exit 128)", [SECRET, "pw with spaces&" + SECRET])
    assert REDACTED in text and text.startswith("git said: ") and text.endswith(" (exit 128)")
    for piece in (SECRET[i : i + 10] for i in range(len(SECRET) - 9)):
        assert piece not in text


def test_redaction_leaves_ordinary_text_alone():
    text = "Pushed development, staging to https://github.com/acme/wine (3 branches)"
    assert redact(text, [SECRET, "user@example.com", "s3cr3t"]) == text
