"""The commands that change things, run in a real VS Code (code-server 4.100.3 in Debian's Chromium, the built
.vsix installed), each checked where a user would look.

The workspace holds two projects: ``wine`` (made with `jupyter mlops init`; its development branch submits to
the local KFP stand-in and reads the shipped red-wine data over HTTP) and ``cider`` (made with `jupyter mlops
new` from an organisation's main repo that lives outside the workspace, with local bare remotes).

The user's story, in order (the tests share one code-server and one window):
- Push to GitHub (the GitHub stand-in, slowed down) is cancelled on its progress notification: the CLI has
  ended, the output says so; pushing again puts the three branches on GitHub.
- A commit made in a terminal shows in the MLOps Projects view without pressing refresh.
- Push sends it; Promote… opens the development → staging pull request.
- Submit Pipeline creates a run named after the branch and commit on the KFP stand-in.
- Run Pipeline Locally is cancelled mid-run: the CLI and the pipeline's processes end; run again from the
  branch's context menu, the metrics appear in the MLOps output.
- The organisation changes its main repo; Sync with Main Repo (the project's context menu) brings the change
  to every branch of cider.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import test_lab_browser as lab
from tests.conftest import REPO_ROOT, git, run_cli
from tests.generated_support import StaticFiles
from tests.org_support import (
    BRANCHES,
    NEW_HOST,
    change_platform_host,
    commit_on_branches,
    heads,
    make_main_local,
    ok,
    show,
)
from tests.standins.github_forks import forks_of
from tests.standins.kfp import KfpStandin
from tests.vscode_support import (
    CodeServer,
    context_action,
    input_box,
    missing_parts,
    open_workbench,
    press_cancel,
    processes,
    quick_pick,
    run_command,
    status_view,
    toast,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser, github = lab.browser, lab.github
jp_asyncio_loop, jp_server_cleanup = lab.jp_asyncio_loop, lab.jp_server_cleanup

LONG = 120_000  # ms: a push, a submission or a whole local run
METRICS = "local: the pipeline ran to the end; metrics: mae=0.525, r2=0.335, rmse=0.642"
PLATFORM = "src/pipelines/{b}/platform.yaml"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> dict[str, str]:
    """The user's environment for the CLI, whether VS Code or the test's terminal starts it."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("[user]\n\tname = Test User\n\temail = test@example.org\n")
    return {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(scope="module")
def kfp():
    with KfpStandin("none") as standin:
        yield standin


@pytest.fixture(scope="module")
def data_files():
    """The red-wine data the template ships, over HTTP: what the development branch's Kubeflow run reads."""
    with StaticFiles(REPO_ROOT / "templates" / "project" / "data" / "example") as files:
        yield files


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, home, kfp, data_files) -> Path:
    top = tmp_path_factory.mktemp("org")
    ws = top / "workspace"
    ws.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in home.items():
            mp.setenv(name, value)
        ok(
            run_cli(
                "init",
                str(ws / "wine"),
                "--yes",
                "--set",
                f"development.kfp.host={kfp.host}",
                "--set",
                f"development.data.uri={data_files.url('winequality-red.csv')}",
            )
        )
        main, bare = make_main_local(top)
        ok(run_cli("new", "cider", "--from", str(bare), "--remote", str(bare.parent / "cider.git"), "--yes", cwd=ws))
    return ws


@pytest.fixture(scope="module")
def main_repo(workspace) -> Path:
    return workspace.parent / "acme-main"


@pytest.fixture(scope="module")
def vscode(workspace, home, github):
    problem = missing_parts()
    if problem:
        pytest.fail(problem)
    # VS Code started with a token in its environment: the commands pass it on to the CLI and never ask.
    # GH_TOKEN, as code-server takes GITHUB_TOKEN for its own GitHub login and hides it from extensions.
    server = CodeServer(workspace, env=dict(home, GH_TOKEN=github.token)).start()
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture(scope="module")
def page(browser, vscode, workspace):
    page = open_workbench(browser, vscode)
    run_command(page, "MLOps: Project Status")
    status_view(page).locator(".monaco-list-row", has_text="cider").first.wait_for(timeout=60_000)
    page.locator(".pane-header", has_text=workspace.name.upper()).first.click()  # fold the files: room for the view
    yield page
    page.close()


@pytest.fixture(autouse=True)
def after_each(request, page, vscode, tmp_path):
    yield
    page.screenshot(path=str(tmp_path / "at-teardown.png"))
    print(f"screenshot: {tmp_path / 'at-teardown.png'}\ncode-server log (tail):\n{vscode.log()[-1500:]}")
    print(f"MLOps output channel:\n{vscode.output_channel_log()[-3000:]}")
    for _ in range(2):
        page.keyboard.press("Escape")  # whatever quick pick a failed test left open
    run_command(page, "Notifications: Clear All Notifications")


def project_row(page, name: str):
    """A project's row (the tree's first level) in the MLOps Projects view."""
    return status_view(page).locator('.monaco-list-row[aria-level="1"]', has_text=name).first


def branch_row(page, project: Path, branch: str):
    """A branch's row in the view, as it shows the branch's last commit now."""
    commit = git(project, "rev-parse", branch).strip()
    return status_view(page).locator(f'.monaco-list-row[aria-label^="{branch}: {commit}"]').first


def output_has(vscode: CodeServer, text: str, timeout: float = 30) -> str:
    return wait_until(lambda: text in vscode.output_channel_log() and vscode.output_channel_log(), timeout, repr(text))


def push_from_palette(page, github) -> None:
    """MLOps: Push to GitHub on wine, which has no GitHub remote yet: it asks for the owner and the API URL."""
    run_command(page, "MLOps: Push to GitHub")
    quick_pick(page, "wine")
    page.locator(".quick-input-widget", has_text="GitHub user or organisation").wait_for(timeout=30_000)
    input_box(page, "octo")
    page.locator(".quick-input-widget", has_text="GitHub Enterprise").wait_for(timeout=30_000)
    input_box(page, github.api_url)


# ---------------------------------------------------------------- push, cancelled, then finished


def test_cancel_ends_the_push_and_pushing_again_puts_the_branches_on_github(page, vscode, github, workspace):
    wine = workspace / "wine"
    github.set_latency(3, paths="/user/repos")  # GitHub takes its time to create the repository
    try:
        push_from_palette(page, github)
        toast(page, "Creating octo/wine").wait_for(timeout=LONG)
        cli = processes("jupyter_mlops", "push", str(wine), "--json")
        assert len(cli) == 1, cli
        cancelled_at = time.monotonic()
        press_cancel(page, "MLOps: Push wine")
        # The CLI unwinds on SIGTERM and exits: it is not left running, nor killed after the grace period.
        wait_until(lambda: not processes("jupyter_mlops", "push", str(wine)), 10, "the CLI to end")
        assert time.monotonic() - cancelled_at < 10
        toast(page, "Push wine was cancelled").wait_for(timeout=30_000)
        output_has(vscode, "Push wine: cancelled")
    finally:
        github.set_latency(0)
    repo = github.state.repo("octo", "wine")
    assert repo is None or repo.branches() == {}, "nothing was pushed after Cancel"

    push_from_palette(page, github)
    toast(page, "MLOps: pushed wine").wait_for(timeout=LONG)
    repo = github.state.repo("octo", "wine")
    assert repo.branches() == heads(wine), "GitHub has the three branches as they are here"
    assert sorted(repo.environments) == sorted(BRANCHES)


# ---------------------------------------------------------------- the view follows git


def test_a_commit_made_in_a_terminal_shows_in_the_status_view_without_refresh(page, vscode, workspace):
    wine = workspace / "wine"
    branch_row(page, wine, "development").wait_for(timeout=30_000)

    (wine / "src" / "steps" / "notes.md").write_text("a new step idea\n")
    git(wine, "add", ".")
    git(wine, "commit", "-q", "-m", "A new step idea")

    row = branch_row(page, wine, "development")  # the row as it shows the new commit
    row.wait_for(timeout=20_000)  # nobody pressed refresh
    assert "A new step idea" in row.inner_text()
    assert git(wine, "rev-parse", "--short=8", "development").strip() in row.inner_text()
    # The view's own reads leave the output channel to the user's commands: no status tables in it.
    log = vscode.output_channel_log()
    assert "$ jupyter mlops status" in log and "CI secrets (environment" not in log


# ---------------------------------------------------------------- promote


@pytest.fixture
def wine_on_github(github, workspace, home) -> None:
    """wine as the first test leaves it (pushed to GitHub), for this test run alone."""
    if not github.state.repo("octo", "wine"):
        args = ("--owner", "octo", "--github-url", github.api_url, "--yes")
        ok(run_cli("push", str(workspace / "wine"), *args, env=dict(home, GITHUB_TOKEN=github.token)))


def test_push_from_the_view_while_it_refreshes_then_promote_opens_the_pull_request(
    page, github, workspace, wine_on_github
):
    wine = workspace / "wine"
    (wine / "src" / "steps" / "more.md").write_text("and another\n")
    git(wine, "add", ".")
    git(wine, "commit", "-q", "-m", "Another step idea")
    # The view reads the new state (a `status` run) while the user right-clicks the project: the action still
    # knows which project it is for, and asks nothing (GitHub is known now, the token is in the environment).
    wait_until(lambda: processes("jupyter_mlops", "status", str(wine)), 20, "the view to refresh", every=0.05)
    context_action(page, project_row(page, "wine"), "Push to GitHub")
    toast(page, "MLOps: pushed wine").wait_for(timeout=LONG)
    assert not page.locator(".quick-input-widget", has_text="which project").is_visible()
    repo = github.state.repo("octo", "wine")
    assert repo.branches()["development"] == git(wine, "rev-parse", "development").strip()

    context_action(page, project_row(page, "wine"), "Promote…")
    quick_pick(page, "development → staging")
    toast(page, "MLOps: pull request").wait_for(timeout=LONG)
    pulls = forks_of(github).pull_requests("octo/wine")
    assert [(p.head, p.base, p.title) for p in pulls] == [("development", "staging", "Promote development to staging")]
    assert f"/octo/wine/pull/{pulls[0].number}" in toast(page, "MLOps: pull request").inner_text()


# ---------------------------------------------------------------- submit to Kubeflow


def test_submit_pipeline_creates_a_run_named_after_the_branch_and_commit(page, kfp, workspace):
    wine = workspace / "wine"
    commit = git(wine, "rev-parse", "development").strip()
    run_command(page, "MLOps: Submit Pipeline")
    quick_pick(page, "wine")
    quick_pick(page, "development")
    done = toast(page, "Submit Pipeline on development finished")
    done.wait_for(timeout=LONG)
    runs = list(kfp.state.runs.values())
    assert len(runs) == 1
    version = kfp.state.versions[runs[0]["pipeline_version_reference"]["pipeline_version_id"]]
    assert version["display_name"] == f"development-{commit[:12]}"
    assert f"development-{commit[:12]}" in runs[0]["display_name"]
    assert runs[0]["run_id"] in done.inner_text(), "the notification links the run"


# ---------------------------------------------------------------- a local run, cancelled, then finished


def test_cancel_ends_a_local_run_and_its_steps_and_running_again_reports_the_metrics(page, vscode, workspace):
    wine = workspace / "wine"
    outputs = wine / "local_outputs" / "development"
    run_command(page, "MLOps: Run Pipeline Locally")
    quick_pick(page, "wine")
    quick_pick(page, "development")
    # kfp.local runs each step in a process of its own, its outputs under local_outputs/
    wait_until(lambda: processes(str(outputs)), 60, "a step of the pipeline to run", every=0.05)
    cli = processes("jupyter_mlops", "run", str(wine), "--local")
    entry = processes("src/pipelines/development/main.py", "--local", cwd=wine)
    assert len(cli) == 1 and len(entry) == 1, (cli, entry)
    cancelled_at = time.monotonic()
    press_cancel(page, "MLOps: Run Pipeline Locally (development)")
    wait_until(lambda: not processes("jupyter_mlops", "run", str(wine)), 10, "the CLI to end")
    wait_until(lambda: not processes("src/pipelines/development/main.py", cwd=wine), 10, "the entry point to end")
    wait_until(lambda: not processes(str(outputs)), 10, "the pipeline's steps to end")
    assert time.monotonic() - cancelled_at < 10
    toast(page, "Run Pipeline Locally (development) was cancelled").wait_for(timeout=30_000)
    output_has(vscode, "Run Pipeline Locally (development): cancelled")
    assert not (outputs / "last-run.json").exists(), "a cancelled run records no result"
    assert git(wine, "status", "--porcelain").strip() == ""

    run_command(page, "Notifications: Clear All Notifications")
    context_action(page, branch_row(page, wine, "development"), "Run Pipeline Locally")
    toast(page, "Run Pipeline Locally on development finished").wait_for(timeout=LONG)
    channel = output_has(vscode, METRICS)
    assert f"[done] {METRICS}" in channel
    assert (outputs / "last-run.json").is_file()


# ---------------------------------------------------------------- sync with the main repo


def test_sync_with_main_repo_brings_the_organisations_change_to_every_branch(page, workspace, main_repo, vscode):
    cider = workspace / "cider"
    before = heads(cider)
    commit_on_branches(main_repo, change_platform_host, "platform: the organisation's Kubeflow")

    context_action(page, project_row(page, "cider"), "Sync with Main Repo")
    toast(page, "MLOps: sync of cider").wait_for(timeout=LONG)
    assert "updated" in toast(page, "MLOps: sync of cider").inner_text()
    for b in BRANCHES:
        assert NEW_HOST in show(cider, b, PLATFORM.format(b=b)), b
        assert git(cider, "rev-parse", f"{b}^1").strip() == before[b], "the project's own history is kept"
    assert NEW_HOST in (cider / PLATFORM.format(b="development")).read_text(), "the checked-out branch's files too"
    assert f"$ jupyter mlops sync {cider}" in vscode.output_channel_log()
