"""`jupyter mlops push`: a data scientist with a token gets a wired GitHub repository, and nothing else breaks.

GitHub is the local stand-in (tests/standins/github.py), reached the GitHub Enterprise way
(--github-url http://127.0.0.1:PORT/api/v3); git pushes go over real smart HTTP to it.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.github.client import GitHubClient, RetryPolicy
from jupyter_mlops.operations.push import apply_push, plan_push
from jupyter_mlops.settings.spec import loads
from tests.conftest import git, run_cli
from tests.push_support import (
    BRANCHES,
    SECRET_VALUES,
    SECRETS_FILE,
    expected_state,
    local_heads,
    remote_state,
)

FAST = RetryPolicy(total=2, backoff_factor=0.01, secondary_rate_wait=1, timeout=10)


@pytest.fixture
def project(new_project, tmp_path):
    root = new_project()
    (tmp_path / "ci.env").write_text(SECRETS_FILE)
    return root


def push_cli(root: Path, gh, *extra: str, env: dict | None = None, input: str | None = None):
    return run_cli(
        "push",
        str(root),
        "--github-url",
        gh.api_url,
        "--yes",
        *extra,
        env={"GITHUB_TOKEN": gh.token, **(env or {})},
        input=input,
    )


def push_op(root: Path, gh, *, secrets=None, client=None, owner="octo"):
    client = client or GitHubClient(gh.token, gh.api_url, retry=FAST)
    plan = plan_push(root, token=gh.token, owner=owner, github_url=gh.api_url, secrets=secrets, client=client)
    return plan, apply_push(plan)


# ------------------------------------------------------------------ the happy path


def test_push_creates_the_repository_environments_secrets_and_protection(project, github_standin, tmp_path):
    gh = github_standin
    proc = push_cli(project, gh, "--owner", "octo", "--secrets-file", str(tmp_path / "ci.env"))
    assert proc.returncode == 0, proc.stderr
    assert f"{gh.base_url}/octo/wine-quality" in proc.stdout
    assert remote_state(gh, "octo", "wine-quality") == expected_state(project)
    # the local repository now tracks GitHub; the URL carries no credentials
    assert git(project, "remote", "get-url", "origin").strip() == gh.clone_url("octo", "wine-quality")
    assert git(project, "rev-parse", "origin/staging").strip() == local_heads(project)["staging"]
    assert git(project, "status", "--porcelain") == ""
    # a clone shows what a teammate gets: the development branch checked out
    clone = tmp_path / "clone"
    header = base64.b64encode(f"x:{gh.token}".encode()).decode()
    subprocess.run(
        [
            "git",
            "-c",
            f"http.extraHeader=Authorization: Basic {header}",
            "clone",
            "-q",
            gh.clone_url("octo", "wine-quality"),
            str(clone),
        ],
        check=True,
    )
    assert git(clone, "branch", "--show-current").strip() == "development"


def test_second_push_makes_no_write_calls_and_no_commits(project, github_standin, tmp_path):
    gh = github_standin
    assert push_cli(project, gh, "--owner", "octo", "--secrets-file", str(tmp_path / "ci.env")).returncode == 0
    heads, before = local_heads(project), remote_state(gh, "octo", "wine-quality")
    gh.reset_calls()
    # the owner is remembered: a plain `push` goes back to GitHub
    proc = push_cli(project, gh, "--secrets-file", str(tmp_path / "ci.env"))
    assert proc.returncode == 0, proc.stderr
    assert "Nothing to do" in proc.stdout
    assert gh.write_calls() == []
    assert gh.api_calls(), "the second run did look"
    assert local_heads(project) == heads
    assert remote_state(gh, "octo", "wine-quality") == before


def test_dry_run_prints_the_plan_and_writes_nothing(project, github_standin):
    gh = github_standin
    proc = push_cli(project, gh, "--owner", "octo", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "create private repository octo/wine-quality" in proc.stdout
    assert "protect staging" in proc.stdout
    assert "KFP_PASSWORD for staging: not given" in proc.stdout
    assert gh.write_calls() == [] and gh.state.repo("octo", "wine-quality") is None


def test_public_repository_in_an_organisation(project, github_standin):
    gh = github_standin
    gh.add_org("acme-ml", members={"octo": "member"})
    proc = push_cli(project, gh, "--owner", "acme-ml", "--public")
    assert proc.returncode == 0, proc.stderr
    repo = gh.state.repo("acme-ml", "wine-quality")
    assert repo is not None and repo.private is False
    assert any(c.method == "POST" and c.path == "/orgs/acme-ml/repos" for c in gh.calls)


def test_missing_secrets_are_named_with_the_command_that_sets_them(project, github_standin):
    proc = push_cli(project, github_standin, "--owner", "octo")
    assert proc.returncode == 0, proc.stderr
    assert "jupyter mlops secrets set KFP_USERNAME --env staging" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ refusals before any write


@pytest.mark.parametrize("scopes, missing", [(("repo",), "workflow"), (("public_repo", "workflow"), "repo")])
def test_token_without_the_needed_scopes_is_stopped_before_any_write(project, github_standin, scopes, missing):
    gh = github_standin
    token = gh.new_token(scopes=scopes)
    proc = run_cli(
        "push", str(project), "--owner", "octo", "--github-url", gh.api_url, "--yes", env={"GITHUB_TOKEN": token}
    )
    assert proc.returncode == 2
    assert f"lacks the {missing} scope" in proc.stderr
    assert "settings/tokens/new?scopes=repo,workflow" in proc.stderr
    assert gh.write_calls() == []
    assert gh.state.repo("octo", "wine-quality") is None


def test_rejected_token_says_how_to_get_one(project, github_standin):
    gh = github_standin
    proc = run_cli(
        "push",
        str(project),
        "--owner",
        "octo",
        "--github-url",
        gh.api_url,
        "--yes",
        env={"GITHUB_TOKEN": "ghp_not_a_real_token"},
    )
    assert proc.returncode == 2
    assert "rejected the token" in proc.stderr and "GITHUB_TOKEN" in proc.stderr
    assert gh.write_calls() == []


def test_no_token_and_no_terminal_is_a_clear_error(project, github_standin):
    proc = run_cli("push", str(project), "--owner", "octo", "--github-url", github_standin.api_url, "--yes", input="")
    assert proc.returncode == 2
    assert "No GitHub token" in proc.stderr and "GITHUB_TOKEN" in proc.stderr


def test_organisation_that_forbids_members_to_create_repositories(project, github_standin):
    gh = github_standin
    gh.add_org("locked", members={"octo": "member"}, members_can_create_repositories=False)
    proc = push_cli(project, gh, "--owner", "locked")
    assert proc.returncode == 2
    assert "may not create private repositories" in proc.stderr
    assert gh.write_calls() == []


def test_owner_that_is_someone_else_is_refused(project, github_standin):
    gh = github_standin
    gh.add_user("someone")
    proc = push_cli(project, gh, "--owner", "someone")
    assert proc.returncode == 2 and "another user's account" in proc.stderr
    proc = push_cli(project, gh, "--owner", "nobody-here")
    assert proc.returncode == 2 and "no GitHub user or organisation" in proc.stderr
    assert gh.write_calls() == []


def test_repository_with_unrelated_history_is_refused(project, github_standin, tmp_path):
    gh = github_standin
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", "-b", "main", str(other)], check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "someone else's"], cwd=other, check=True)
    client = GitHubClient(gh.token, gh.api_url)
    client.request("POST", "/user/repos", {"name": "wine-quality", "private": True})
    header = base64.b64encode(f"x:{gh.token}".encode()).decode()
    subprocess.run(
        [
            "git",
            "-c",
            f"http.extraHeader=Authorization: Basic {header}",
            "push",
            "-q",
            gh.clone_url("octo", "wine-quality"),
            "main",
        ],
        cwd=other,
        check=True,
    )
    before = remote_state(gh, "octo", "wine-quality")
    gh.reset_calls()
    proc = push_cli(project, gh, "--owner", "octo")
    assert proc.returncode == 2
    assert "not in this project (main)" in proc.stderr and "Nothing was pushed" in proc.stderr
    assert gh.write_calls() == []
    assert remote_state(gh, "octo", "wine-quality") == before


def test_folder_that_is_not_a_project(tmp_path, github_standin):
    proc = run_cli(
        "push",
        str(tmp_path),
        "--owner",
        "octo",
        "--github-url",
        github_standin.api_url,
        "--yes",
        env={"GITHUB_TOKEN": github_standin.token},
    )
    assert proc.returncode == 2 and "jupyter mlops init" in proc.stderr


# ------------------------------------------------------------------ failures part-way, then a re-run

STEPS = [
    ("500", "GET", "/user"),
    ("secondary_rate_limit", "GET", "/repos/octo/wine-quality"),
    ("500", "POST", "/user/repos"),
    ("reset", "PUT", "/repos/*/environments/staging"),
    ("500", "POST", "*/deployment-branch-policies"),
    ("reset", "GET", "*/secrets/public-key"),
    ("500", "PUT", "*/environments/production/secrets/*"),
    ("500", "POST", "*/git-receive-pack"),
    ("secondary_rate_limit", "PATCH", "/repos/octo/wine-quality"),
    ("422", "PUT", "*/branches/production/protection"),
]


@pytest.mark.parametrize("fault, method, path", STEPS, ids=[f"{m} {p} {f}" for f, m, p in STEPS])
def test_a_failure_at_any_step_then_a_rerun_reaches_the_same_final_state(project, github_standin, fault, method, path):
    gh = github_standin
    heads = local_heads(project)
    gh.inject(fault, method, path, times=20)
    with pytest.raises(MlopsError) as failure:
        push_op(project, gh, secrets=SECRET_VALUES)
    assert failure.value.exit_code in (1, 2)
    # the local repository is untouched by the failure
    assert local_heads(project) == heads
    assert git(project, "status", "--porcelain") == ""
    gh.clear_faults()
    _, result = push_op(project, gh, secrets=SECRET_VALUES)
    assert remote_state(gh, "octo", "wine-quality") == expected_state(project)
    assert result.secrets_mode == "environments"
    gh.reset_calls()
    plan, _ = push_op(project, gh, secrets=SECRET_VALUES)
    assert plan.nothing_to_do and gh.write_calls() == []


@pytest.mark.parametrize("fault", ["500", "reset", "secondary_rate_limit"])
def test_passing_faults_are_retried_within_one_run(project, github_standin, fault):
    gh = github_standin
    for method, path in [
        ("GET", "/user"),
        ("POST", "/user/repos"),
        ("PUT", "*/secrets/*"),
        ("PUT", "*/protection"),
        ("PUT", "/repos/*/environments/*"),
    ]:
        gh.inject(fault, method, path, times=1)
    push_op(project, gh, secrets=SECRET_VALUES)
    assert remote_state(gh, "octo", "wine-quality") == expected_state(project)
    assert all(f.times == 0 for f in gh.faults), "every injected fault was hit and absorbed"


def test_secondary_rate_limit_waits_for_retry_after(project, github_standin):
    import time

    gh = github_standin
    gh.inject("secondary_rate_limit", "GET", "/user", times=1, retry_after=2)
    start = time.monotonic()
    push_op(project, gh, client=GitHubClient(gh.token, gh.api_url))
    users = [c.time for c in gh.calls if c.path == "/user"]
    assert len(users) == 2 and users[1] - users[0] >= 1.9
    assert time.monotonic() - start >= 2


# ------------------------------------------------------------------ no environments: repository secrets


FALLBACKS = [
    # GitHub shows the plan (github.com): GitHub Free, private -> decided from the plan, no environment call
    pytest.param("free", 404, id="plan-shown-free"),
    # the plan is not shown (e.g. Enterprise Server): creating the environments is the probe, whatever the refusal
    pytest.param(None, 404, id="probe-404"),
    pytest.param(None, 403, id="probe-403"),
    pytest.param(None, 422, id="probe-422"),
]


@pytest.mark.parametrize("exposed_plan, status", FALLBACKS)
def test_without_environments_secrets_fall_back_to_prefixed_repository_secrets(
    new_project, github_standin_factory, tmp_path, exposed_plan, status
):
    gh = github_standin_factory(plan="free", exposed_plan=exposed_plan, free_environments_status=status)
    root = new_project()
    scaffold = git(root, "rev-parse", "development").strip()
    (tmp_path / "ci.env").write_text(SECRETS_FILE)
    proc = push_cli(root, gh, "--owner", "octo", "--secrets-file", str(tmp_path / "ci.env"))
    assert proc.returncode == 0, proc.stderr
    assert "repository secrets instead" in proc.stderr
    assert "staging is not protected" in proc.stderr  # GitHub Free: the "upgrade" 403 is a warning
    state = remote_state(gh, "octo", "wine-quality")
    assert state["environments"] == {} and state["protection"] == {}
    assert state["repo_secrets"] == {
        "STAGING_KFP_USERNAME": "user@example.com",
        "STAGING_KFP_PASSWORD": "shared-pw",
        "PRODUCTION_KFP_USERNAME": "user@example.com",
        "PRODUCTION_KFP_PASSWORD": "prod-pw",
    }
    # one commit records the mode, shared by the three branches, pushed with them
    heads = local_heads(root)
    assert len(set(heads.values())) == 1 and state["branches"] == heads
    assert git(root, "rev-parse", "development~1").strip() == scaffold
    for branch in BRANCHES:
        assert loads(git(root, "show", f"{branch}:mlops.toml")).secrets_mode == "repository"
        # the CI that GitHub runs reads the names that exist
        workflow = git(root, "show", f"{branch}:.github/workflows/staging.yml")
        assert "secrets.STAGING_KFP_PASSWORD" in workflow and "secrets.KFP_PASSWORD" not in workflow
    assert loads((root / "mlops.toml").read_text()).secrets_mode == "repository"
    assert git(root, "status", "--porcelain") == ""
    env_calls = [c for c in gh.calls if c.method == "PUT" and "/environments/" in c.path]
    assert (env_calls == []) == (exposed_plan == "free"), "the plan decides, or a refused environment does"
    gh.reset_calls()
    again = push_cli(root, gh)
    assert again.returncode == 0, again.stderr
    assert gh.write_calls() == []


def test_when_github_contradicts_its_plan_the_mode_is_recorded_after_the_push(project, github_standin_factory):
    """The plan says environments exist (Pro) but GitHub refuses them: one more commit records the mode."""
    gh = github_standin_factory(plan="free", exposed_plan="pro")
    scaffold = local_heads(project)["development"]
    _, result = push_op(project, gh, secrets=SECRET_VALUES)
    assert result.secrets_mode == "repository" and result.mode_changed
    state = remote_state(gh, "octo", "wine-quality")
    assert state["environments"] == {}
    assert state["repo_secrets"]["PRODUCTION_KFP_PASSWORD"] == "prod-pw"
    heads = local_heads(project)
    assert state["branches"] == heads and len(set(heads.values())) == 1
    assert git(project, "rev-parse", "development~1").strip() == scaffold
    assert loads(git(project, "show", "staging:mlops.toml")).secrets_mode == "repository"
    gh.reset_calls()
    plan, _ = push_op(project, gh, secrets=SECRET_VALUES)
    assert plan.nothing_to_do and gh.write_calls() == []


def test_fallback_rerenders_the_files_that_read_secret_names(new_project, github_standin_factory):
    """Every generated org-owned file that differs between the modes follows the new mode on every branch."""
    from jupyter_mlops.scaffold.template import render
    from jupyter_mlops.settings.spec import ProjectSpec

    gh = github_standin_factory(plan="free")
    root = new_project()
    spec = loads((root / "mlops.toml").read_text())
    repo_spec: ProjectSpec = spec.copy()
    repo_spec.secrets_mode = "repository"
    expected = {f.path: f.content for f in render(repo_spec) if f.owner == "org"}
    before = {f.path: f.content for f in render(spec) if f.owner == "org"}
    changed = sorted(p for p in expected if before.get(p) != expected[p])
    push_op(root, gh)
    for branch in BRANCHES:
        for path in changed + ["mlops.toml"]:
            shown = subprocess.run(["git", "show", f"{branch}:{path}"], cwd=root, capture_output=True).stdout
            want = expected[path] if path in expected else (root / "mlops.toml").read_bytes()
            assert shown == want, f"{path} on {branch} still reads the environment names"
    assert 'secrets_mode = "repository"' in (root / "mlops.toml").read_text()


def test_fallback_rerenders_generated_files_and_keeps_edited_ones(new_project, github_standin_factory, monkeypatch):
    """A workflow that reads secret names follows the mode on every branch; one the user edited is kept."""
    from jupyter_mlops.scaffold import template
    from jupyter_mlops.scaffold.template import RenderedFile

    real_render = template.render
    path = ".github/workflows/ci.yml"

    def workflow(spec):
        names = [spec.secret_name(b, "KFP_PASSWORD") for b in spec.branch_names]
        return "".join(f"      {n}: ${{{{ secrets.{n} }}}}\n" for n in names).encode()

    def render_with_workflow(spec):
        return real_render(spec) + [RenderedFile(path, workflow(spec), "org")]

    gh = github_standin_factory(plan="free")
    root = new_project()
    spec = loads((root / "mlops.toml").read_text())
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(workflow(spec))
    git(root, "add", path)
    git(root, "commit", "-q", "-m", "add CI")
    for b in ("staging", "production"):
        git(root, "branch", "-f", b, "development")
    git(root, "checkout", "-q", "production")
    (root / path).write_text("# my own workflow\n")
    git(root, "commit", "-q", "-am", "my CI")
    git(root, "checkout", "-q", "development")
    monkeypatch.setattr(template, "render", render_with_workflow)
    _, result = push_op(root, gh)
    repo_spec = spec.copy()
    repo_spec.secrets_mode = "repository"
    for b in ("development", "staging"):
        assert git(root, "show", f"{b}:{path}").encode() == workflow(repo_spec)
        assert "secrets.STAGING_KFP_PASSWORD" in git(root, "show", f"{b}:{path}")
    assert git(root, "show", f"production:{path}") == "# my own workflow\n"
    assert any(path in w and "production" in w for w in result.warnings)
    assert (root / path).read_bytes() == workflow(repo_spec), "the checked-out branch's work tree follows"
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "rev-parse", "development").strip() == git(root, "rev-parse", "staging").strip()


# ------------------------------------------------------------------ the embedded default and --remote


def test_embedded_default_push_needs_no_account_and_no_network(new_project, tmp_path):
    data = tmp_path / "data-home"
    root = new_project()
    dead_proxy = "http://127.0.0.1:9"  # any network use would fail
    env = {"XDG_DATA_HOME": str(data), "HTTPS_PROXY": dead_proxy, "HTTP_PROXY": dead_proxy, "ALL_PROXY": dead_proxy}
    proc = run_cli("push", str(root), "--yes", env=env)
    assert proc.returncode == 0, proc.stderr
    bare = data / "jupyter-mlops" / "remotes" / "wine-quality.git"
    assert str(bare) in proc.stdout
    assert git(bare, "symbolic-ref", "HEAD").strip() == "refs/heads/development"
    assert {b: git(bare, "rev-parse", b).strip() for b in BRANCHES} == local_heads(root)
    assert git(root, "remote", "get-url", "origin").strip() == str(bare)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    assert (clone / "mlops.toml").is_file()
    again = run_cli("push", str(root), "--yes", env=env)
    assert again.returncode == 0 and "Nothing to do" in again.stdout


def test_push_to_a_remote_url(new_project, tmp_path):
    root = new_project()
    bare = tmp_path / "elsewhere.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    proc = run_cli("push", str(root), "--remote", str(bare), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert {b: git(bare, "rev-parse", b).strip() for b in BRANCHES} == local_heads(root)
    # a new commit goes out on the next push, to the same remote
    (root / "notes.md").write_text("more\n")
    git(root, "add", "notes.md")
    git(root, "commit", "-q", "-m", "notes")
    proc = run_cli("push", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert git(bare, "rev-parse", "development").strip() == git(root, "rev-parse", "development").strip()


def test_remote_url_with_a_password_is_refused(new_project):
    root = new_project()
    proc = run_cli("push", str(root), "--remote", "https://user:secret@example.org/x.git", "--yes")
    assert proc.returncode == 2 and "password or token" in proc.stderr
    assert "secret@" not in proc.stderr


def test_embedded_default_then_github_moves_origin(new_project, github_standin, tmp_path):
    gh = github_standin
    root = new_project()
    env = {"XDG_DATA_HOME": str(tmp_path / "data-home")}
    assert run_cli("push", str(root), "--yes", env=env).returncode == 0
    proc = push_cli(root, gh, "--owner", "octo", env=env)
    assert proc.returncode == 0, proc.stderr
    assert git(root, "remote", "get-url", "origin").strip() == gh.clone_url("octo", "wine-quality")


# ------------------------------------------------------------------ the token stays secret


def _files_containing(folder: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(p))
    return hits


@pytest.mark.parametrize("how", ["environment", "prompt"])
def test_the_token_is_never_written_anywhere(project, github_standin, tmp_path, isolated_home, how):
    gh = github_standin
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp), "XDG_DATA_HOME": str(tmp_path / "data-home")}
    if how == "environment":
        env["GITHUB_TOKEN"] = gh.token
        proc = run_cli(
            "push",
            str(project),
            "--owner",
            "octo",
            "--github-url",
            gh.api_url,
            "--yes",
            "--secrets-file",
            str(tmp_path / "ci.env"),
            env=env,
        )
    else:  # no variable: the token comes from the (hidden) prompt, here a line of standard input
        proc = run_cli(
            "push",
            str(project),
            "--owner",
            "octo",
            "--github-url",
            gh.api_url,
            "--yes",
            "--secrets-file",
            str(tmp_path / "ci.env"),
            env=env,
            input=gh.token + "\n",
        )
    assert proc.returncode == 0, proc.stderr
    token = gh.token.encode()
    needles = [token, base64.b64encode(b"x-access-token:" + token)]
    assert not any(n.decode() in proc.stdout + proc.stderr for n in needles), "the token reached the output"
    history = subprocess.run(["git", "log", "-p", "--all"], cwd=project, capture_output=True).stdout
    assert token not in history
    config = subprocess.run(["git", "config", "--list", "--show-origin"], cwd=project, capture_output=True).stdout
    assert token not in config
    assert _files_containing(project, needles) == [], "the token is in the work tree or .git"
    assert _files_containing(tmp, needles) == [], "the token is in a temp file"
    assert _files_containing(tmp_path, needles) == [], "the token is in a file next to the project"
    assert _files_containing(isolated_home, needles) == [], "the token is in the home folder"
    # and it did reach GitHub as a credential: the repository and secrets exist
    assert remote_state(gh, "octo", "wine-quality") == expected_state(project)


# ------------------------------------------------------------------ tokens and concurrency


def test_fine_grained_token_is_used_and_its_needed_permissions_are_named(project, github_standin):
    gh = github_standin
    token = gh.new_token(scopes=None)  # fine-grained: GitHub sends no X-OAuth-Scopes
    proc = run_cli(
        "push", str(project), "--owner", "octo", "--github-url", gh.api_url, "--yes", env={"GH_TOKEN": token}
    )
    assert proc.returncode == 0, proc.stderr
    assert "fine-grained token" in proc.stdout and "Workflows: read and write" in proc.stdout
    assert gh.state.repo("octo", "wine-quality") is not None


def test_independent_calls_run_concurrently_within_a_small_bound(project, github_standin):
    gh = github_standin
    gh.set_latency(0.15)
    push_op(project, gh, secrets=SECRET_VALUES, client=GitHubClient(gh.token, gh.api_url, concurrency=4))
    api = [c for c in gh.calls if c.kind == "api"]
    in_flight = max(sum(1 for o in api if o.start <= c.start < o.time) for c in api)
    assert 2 <= in_flight <= 4
    # and the whole setup took far less than one call after the other
    span = max(c.time for c in gh.calls) - min(c.start for c in gh.calls)
    assert span < 0.75 * len(gh.calls) * 0.15  # one after the other would take at least 1.0 x


def test_on_a_terminal_the_token_and_missing_secrets_are_asked_without_echo(project, github_standin):
    """A person at a terminal: no GITHUB_TOKEN, so a hidden prompt; then the missing secrets; then the plan."""
    import os
    import sys

    import pexpect

    gh = github_standin
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "jupyter_mlops", "push", str(project), "--owner", "octo", "--github-url", gh.api_url],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    transcript = []
    child.logfile_read = type("Log", (), {"write": lambda self, s: transcript.append(s), "flush": lambda self: 0})()
    child.expect("GitHub token")
    child.sendline(gh.token)
    answers = {
        "KFP_USERNAME for staging": "ana@example.org",
        "KFP_PASSWORD for staging": "s3cret-staging",
        "KFP_USERNAME for production": "",
        "KFP_PASSWORD for production": "s3cret-prod",
    }
    for prompt, answer in answers.items():
        child.expect(prompt)
        child.sendline(answer)
    child.expect(r"Apply this plan\? \[Y/n\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    output = "".join(transcript)
    assert child.exitstatus == 0, output
    for secret in (gh.token, "s3cret-staging", "s3cret-prod"):
        assert secret not in output, "a hidden prompt echoed its input"
    assert "KFP_USERNAME for production: not given" in output  # Enter skipped it, and the plan says so
    assert remote_state(gh, "octo", "wine-quality")["environments"]["staging"]["secrets"] == {
        "KFP_USERNAME": "ana@example.org",
        "KFP_PASSWORD": "s3cret-staging",
    }
    assert remote_state(gh, "octo", "wine-quality")["environments"]["production"]["secrets"] == {
        "KFP_PASSWORD": "s3cret-prod"
    }


def test_fine_grained_token_missing_a_permission_is_told_which(project, github_standin):
    gh = github_standin
    token = gh.new_token(scopes=None, permissions={"administration": "write", "contents": "write"})
    proc = push_cli(
        project, gh, "--owner", "octo", "--secrets-file", str(project.parent / "ci.env"), env={"GITHUB_TOKEN": token}
    )
    assert proc.returncode == 2
    assert "The token needs the permission(s) environments=" in proc.stderr
    assert "settings/personal-access-tokens" in proc.stderr
    assert "Request GET" not in proc.stderr, "PyGithub's retry log stays out of the CLI's output"
    # with the permission added, running push again finishes the job
    proc = push_cli(project, gh, "--secrets-file", str(project.parent / "ci.env"))
    assert proc.returncode == 0, proc.stderr
    assert remote_state(gh, "octo", "wine-quality") == expected_state(project)


def test_push_to_a_remote_that_does_not_exist_says_how_to_create_it(new_project, tmp_path):
    root = new_project()
    missing = tmp_path / "nowhere" / "wine-quality.git"
    proc = run_cli("push", str(root), "--yes", "--remote", str(missing))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no git repository" in proc.stderr and "git init --bare" in proc.stderr
    assert "Run the command again" not in proc.stderr
    assert not missing.exists()
