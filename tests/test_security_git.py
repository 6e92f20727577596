"""Security: no value becomes a git option or a command, and nothing git does can hang for good.

Each test replays a finding of the attacker sweep in issue 13 (a `--upload-pack` remote that ran a
command, `fd::17` that hung a push nobody could cancel, the token in git's environment…) and checks
what the user sees instead: a refusal that says what to give, exit 2 / 400, nothing run, nothing written.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.settings.validators import check_git_url
from jupyter_mlops.vcs import remote
from tests.conftest import git, run_cli
from tests.org_support import make_main_local

INJECTIONS = [
    "--upload-pack=touch {marker}",
    "--exec=touch {marker}",
    "ext::sh -c touch% {marker}",
    "fd::17",
    "-oProxyCommand=touch {marker}",
    "ssh://-oProxyCommand=touch%20{marker}/x",
    "git@-oProxyCommand=id:x",
]


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def pushed_project(new_project, tmp_path):
    """A project that already has an origin (true after any first push): where the sweep ran its commands."""
    root = new_project()
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert run_cli("push", str(root), "--remote", str(bare), "--yes").returncode == 0
    return root


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_remote_that_reads_as_an_option_or_a_transport_runs_nothing(pushed_project, tmp_path, value):
    marker = tmp_path / "PWNED"
    proc = run_cli("push", str(pushed_project), f"--remote={value.format(marker=marker)}", "--yes")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--remote:" in proc.stderr and "git@host:owner/repo.git" in proc.stderr  # what to give instead
    assert "Traceback" not in proc.stderr
    assert not marker.exists()


def test_an_empty_remote_is_a_mistake_not_origin(pushed_project):
    before = git(pushed_project, "for-each-ref")
    proc = run_cli("push", str(pushed_project), "--remote=", "--yes")
    assert proc.returncode == 2 and "the URL is empty" in proc.stderr
    assert git(pushed_project, "for-each-ref") == before


def test_new_with_an_option_like_remote_runs_nothing_and_leaves_no_folder(tmp_path):
    _, bare = make_main_local(tmp_path)
    marker = tmp_path / "PWNED"
    proc = run_cli("new", "proj", "--from", str(bare), f"--remote=--upload-pack=touch {marker}", "--yes", cwd=tmp_path)
    assert proc.returncode == 2 and "starts with '-'" in proc.stderr
    assert not marker.exists() and not (tmp_path / "proj").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".proj.mlops-")]


def test_new_from_an_option_like_source_runs_nothing(tmp_path):
    marker = tmp_path / "PWNED"
    proc = run_cli("new", "proj", f"--from=--upload-pack=touch {marker}", "--yes", cwd=tmp_path)
    assert proc.returncode == 2 and "--from:" in proc.stderr
    assert not marker.exists() and not (tmp_path / "proj").exists()


def test_new_from_a_missing_path_says_so_and_asks_for_no_token(tmp_path):
    proc = run_cli("new", "proj", "--from", "/nonexistent", "--yes", cwd=tmp_path, input="")
    assert proc.returncode == 2 and "no such folder" in proc.stderr
    assert "token" not in proc.stderr.lower()


def test_a_hand_made_ext_origin_is_refused_by_git_itself(pushed_project, tmp_path):
    """Defence in depth: an origin someone wrote into .git/config by hand never reaches a command either,
    because every git child may use only file, git, http(s) and ssh."""
    marker = tmp_path / "PWNED"
    git(pushed_project, "remote", "set-url", "origin", f"ext::sh -c touch% {marker}")
    proc = run_cli("push", str(pushed_project), "--yes")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert not marker.exists()


def test_the_git_layer_refuses_an_option_even_when_validation_is_bypassed(pushed_project, tmp_path):
    marker = tmp_path / "PWNED"
    with pytest.raises(InvalidInput, match="starts with '-'"):
        remote.ls_remote(pushed_project, f"--upload-pack=touch {marker}")
    assert not marker.exists()


def test_mlops_toml_cannot_smuggle_a_transport_into_sync(new_project, tmp_path):
    """mlops.toml travels with the repository: its recorded upstream is checked before git sees it."""
    root = new_project()
    marker = tmp_path / "PWNED"
    text = (root / "mlops.toml").read_text()
    (root / "mlops.toml").write_text(text.replace("[mlops]\n", f'[mlops]\nupstream = "ext::sh -c touch% {marker}"\n'))
    proc = run_cli("sync", str(root), "--yes")
    assert proc.returncode == 2 and "mlops.upstream" in proc.stderr and "'ext' transport" in proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    "value",
    [
        "https://github.com/acme/wine.git",
        "http://127.0.0.1:8080/acme/wine.git",
        "ssh://git@github.com/acme/wine.git",
        "git@github.com:acme/wine.git",
        "git://example.org/wine.git",
        "file:///srv/git/wine.git",
        "/srv/git/wine.git",
        "../remotes/wine.git",
        "remotes/wine with space.git",
    ],
)
def test_ordinary_git_urls_and_paths_are_accepted(value):
    assert check_git_url(value) is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("", "empty"),
        ("-x", "starts with '-'"),
        ("ext::sh -c id", "'ext' transport"),
        ("fd::17", "'fd' transport"),
        ("foo::bar", "'foo' transport"),
        ("ftp://host/x.git", "not 'ftp'"),
        ("https://user:tok@host/x.git", "password or token"),
        ("http://[::1/x.git", "well-formed"),
        ("https://host:70000/x.git", "well-formed"),
        ("https:///x.git", "no host"),
        ("ssh://-oProxyCommand=x/y", "may not start with '-'"),
        ("u@-oProxyCommand=x:y", "may not start with '-'"),
        ("https://host/x\n.git", "line break"),
        ("x" * 5000, "at most 4096"),
    ],
)
def test_git_url_refusals_say_what_to_give(value, words):
    problem = check_git_url(value)
    assert problem and words in problem


# ---------------------------------------------------------------- hangs


def test_a_remote_that_never_answers_times_out_with_a_message_naming_it(new_project, silent_server):
    root = new_project()
    started = time.monotonic()
    proc = run_cli("push", str(root), "--remote", silent_server, "--yes", env={"JUPYTER_MLOPS_NETWORK_TIMEOUT": "2"})
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert f"git ls-remote ({silent_server}) did not answer within 2 s" in proc.stderr
    assert "JUPYTER_MLOPS_NETWORK_TIMEOUT=SECONDS" in proc.stderr
    assert elapsed < 20
    assert "Traceback" not in proc.stderr


def test_a_bad_timeout_setting_is_named(new_project):
    root = new_project()
    proc = run_cli("push", str(root), "--yes", env={"JUPYTER_MLOPS_NETWORK_TIMEOUT": "soon"})
    assert proc.returncode == 2 and "JUPYTER_MLOPS_NETWORK_TIMEOUT='soon'" in proc.stderr


# ---------------------------------------------------------------- git's environment


def test_git_children_never_see_the_github_token(new_project, tmp_path):
    """git authenticates another way (a header for one process, or the user's helper): a hook, a helper or
    git itself never gets GITHUB_TOKEN / GH_TOKEN from the user's environment."""
    root = new_project()
    seen = tmp_path / "hook-env"
    hook = root / ".git" / "hooks" / "pre-push"
    hook.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    hook.chmod(0o755)
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    env = {"GITHUB_TOKEN": "ghp_FromTheUsersShell123", "GH_TOKEN": "gho_AlsoFromTheShell456"}
    proc = run_cli("push", str(root), "--remote", str(bare), "--yes", env=env)
    assert proc.returncode == 0, proc.stderr
    hook_env = seen.read_text()
    assert "GIT_TERMINAL_PROMPT=0" in hook_env and "GIT_ALLOW_PROTOCOL=file:git:http:https:ssh" in hook_env
    assert "ghp_FromTheUsersShell123" not in hook_env and "gho_AlsoFromTheShell456" not in hook_env


# ---------------------------------------------------------------- GitHub URLs and loose values


@pytest.mark.parametrize("url", ["http://[::1/api/v3", "https://ghe.example:70000/api/v3", "https://u:p@ghe/api/v3"])
def test_a_malformed_github_url_is_exit_2_without_a_traceback(new_project, url):
    root = new_project()
    proc = run_cli("push", str(root), "--owner", "acme", "--github-url", url, "--yes", env={"GITHUB_TOKEN": "ghp_x"})
    assert proc.returncode == 2, proc.stderr
    assert "--github-url" in proc.stderr and "https://HOST/api/v3" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e9"])
def test_run_timeout_must_be_a_finite_number_of_seconds(new_project, value):
    root = new_project()
    proc = run_cli("run", str(root), "--wait", "--timeout", value)
    assert proc.returncode == 2 and "--timeout" in proc.stderr and "Traceback" not in proc.stderr


def test_git_runs_with_its_own_process_group_so_a_timeout_kills_its_helpers(tmp_path, monkeypatch):
    """A hung remote helper (git-remote-http, ssh) dies with git: nothing is left running after a timeout."""
    from jupyter_mlops import timeouts

    monkeypatch.setenv("JUPYTER_MLOPS_GIT_TIMEOUT", "1")
    script = tmp_path / "sleepy.sh"
    script.write_text("#!/bin/sh\nsleep 60 &\necho $! > child.pid\nwait\n")
    script.chmod(0o755)
    with pytest.raises(timeouts.TimedOut, match="did not answer within 1 s"):
        timeouts.run([str(script)], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, timeout=1, what="sleepy", kind="git")
    pid = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z"  # the child is gone too (or a zombie)


def test_a_git_fast_import_that_stops_reading_is_ended_at_the_git_time_limit(tmp_path, monkeypatch):
    """init feeds git fast-import through a pipe as the files render; a git that stops reading (here: stopped with
    SIGSTOP) would block the writer forever, so the time limit ends git and says which limit to raise."""
    import os
    import signal

    from jupyter_mlops import timeouts
    from jupyter_mlops.vcs import gitcli

    monkeypatch.setenv("JUPYTER_MLOPS_GIT_TIMEOUT", "1")
    git(tmp_path, "init", "-q")
    importer = gitcli.FastImport(tmp_path)
    os.kill(importer._proc.pid, signal.SIGSTOP)  # noqa: SLF001 - the one way to make git hang here
    started = time.monotonic()
    with pytest.raises(timeouts.TimedOut, match="git fast-import did not finish within 1 s.*JUPYTER_MLOPS_GIT_TIMEOUT"):
        for n in range(64):  # 4 MiB, more than the pipe holds (1 MiB): the writer blocks until the limit ends git
            importer.blob(f"f{n}", b"x" * 65536)
        importer.commit([], "m", ["main"], ("A", "a@example.org"))
    assert time.monotonic() - started < 30
    assert importer._proc.poll() is not None  # noqa: SLF001 - git is gone, not left stopped


def test_the_index_of_a_new_repository_holds_what_its_commit_holds_executable_bits_included(tmp_path):
    """init indexes the files it wrote while fast-import commits them; on a file system that keeps no executable bit
    (core.filemode=false) the index still takes the mode the commit has."""
    from jupyter_mlops.vcs import gitcli

    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "core.filemode", "false")
    (tmp_path / "run.sh").write_text("echo hi\n")
    (tmp_path / "README.md").write_text("# hi\n")
    importer = gitcli.FastImport(tmp_path)
    for path in ("run.sh", "README.md"):
        importer.blob(path, (tmp_path / path).read_bytes())
    gitcli.index_files(tmp_path, [("run.sh", True), ("README.md", False)])
    importer.commit([("run.sh", True), ("README.md", False)], "m", ["main"], ("A", "a@example.org"))
    assert "100755" in git(tmp_path, "ls-files", "-s", "run.sh")
    # Nothing staged, nothing modified, even to git's plumbing that trusts the recorded stat data
    assert subprocess.run(["git", "diff-index", "--cached", "--quiet", "HEAD"], cwd=tmp_path).returncode == 0
    assert subprocess.run(["git", "diff-files", "--quiet"], cwd=tmp_path).returncode == 0


def test_the_documented_time_limits_are_the_real_ones():
    """docs/security.md states each limit and its variable: the table follows timeouts.DEFAULTS."""
    from jupyter_mlops.timeouts import DEFAULTS

    page = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text()
    for variable, default in DEFAULTS.values():
        row = next(line for line in page.splitlines() if f"`{variable}`" in line)
        stated = f"{default / 3600:g} h" if default >= 3600 else f"{default:g} s"
        assert f"| {stated}" in row, (variable, row)


def test_a_clone_url_on_another_host_gets_no_token():
    """A GitHub(-compatible) API answering with a clone URL elsewhere would otherwise receive the token."""
    from jupyter_mlops.errors import RemoteFailure
    from jupyter_mlops.github.client import GitHubClient

    client = GitHubClient("ghp_SomeToken123", "https://ghe.example.org/api/v3")
    assert "GIT_CONFIG_COUNT" in client.git_auth_env("https://ghe.example.org/acme/wine.git")
    with pytest.raises(RemoteFailure, match="only sent to its own host"):
        client.git_auth_env("https://collector.example.net/acme/wine.git")
