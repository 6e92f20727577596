"""The VS Code extension in a real VS Code: code-server 4.100.3 in Debian's Chromium, the built .vsix installed.

The user's story: from the command palette, MLOps: New Project… opens the wizard; a bad name is refused at its
field with the CLI's own message and nothing is made; a good one, with a GitHub owner (the local GitHub
stand-in, given as GitHub Enterprise's API URL) and two secrets, goes through Review and Create to a project
with its three branches on disk and on "GitHub". The MLOps Projects view lists the branches; Set Secret… stores
a value GitHub decrypts to what was typed. The token is then searched for in everything VS Code wrote.

Screenshots go to $MLOPS_SCREENSHOTS (docs/make_screenshots.py sets it to docs/images) for the documentation.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from tests import test_lab_browser as lab
from tests.conftest import git
from tests.vscode_support import (
    CodeServer,
    context_action,
    input_box,
    missing_parts,
    notifications,
    open_workbench,
    quick_pick,
    run_command,
    status_view,
    webview,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The same browser, GitHub stand-in and pytest-jupyter overrides as the lab's browser tests.
browser, github = lab.browser, lab.github
jp_asyncio_loop, jp_server_cleanup = lab.jp_asyncio_loop, lab.jp_server_cleanup

TIMEOUT = 120_000  # ms, for a whole init + push
STAGING_USER, STAGING_PASSWORD = "user@example.com", "Wizard-typed pass 1"
STAGING_MLFLOW_PASSWORD = "Wizard-typed MLflow pass 2"
TYPED_SECRET = "Set-Secret typed value ✓"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def vscode(workspace, tmp_path_factory):
    problem = missing_parts()
    if problem:
        pytest.fail(problem)
    home = tmp_path_factory.mktemp("home")  # the CLI's embedded remotes and git identity stay in the test's home
    (home / ".gitconfig").write_text("[user]\n\tname = Test User\n\temail = test@example.org\n")
    env = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    server = CodeServer(workspace, env=env).start()
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = Path(os.environ.get("MLOPS_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def page(browser, vscode, tmp_path):
    page = open_workbench(browser, vscode)
    yield page
    page.screenshot(path=str(tmp_path / "at-teardown.png"))
    print(f"screenshot: {tmp_path / 'at-teardown.png'}\ncode-server log (tail):\n{vscode.log()[-2000:]}")
    print(f"MLOps output channel:\n{vscode.output_channel_log()[-3000:]}")
    page.close()


def next_page(wizard, expected_step: str) -> None:
    wizard.locator("#next").click()
    wizard.locator(f'section.page[data-step="{expected_step}"]').wait_for(timeout=30_000)


@pytest.fixture(scope="module")
def closed_port():
    """A port on 127.0.0.1 held but not listening: a Kubeflow that refuses connections at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture(scope="module")
def created(browser, vscode, github, workspace, shots, closed_port):
    """The wizard, as a user goes through it: the project wine-quality on the GitHub stand-in."""
    page = open_workbench(browser, vscode)
    run_command(page, "MLOps: New Project…")
    wizard = webview(page)
    wizard.locator('[data-key="name"]').wait_for(timeout=30_000)
    wizard.locator('[data-key="name"]').fill("wine-quality")
    page.screenshot(path=str(shots / "vscode-wizard-project.png"))
    for step in ("options", "platform:development", "platform:staging", "platform:production", "github"):
        next_page(wizard, step)
        if step == "platform:development":
            wizard.locator('[data-key="development.kfp.host"]').fill(f"http://127.0.0.1:{closed_port}")
        if step == "platform:staging":
            page.screenshot(path=str(shots / "vscode-wizard-platform.png"))
    token_field = wizard.locator('[data-key="push.token"]')
    fields = {
        "owner": wizard.locator('[data-key="owner"]'),
        "url": wizard.locator('[data-key="push.github_url"]'),
        "token_type": token_field.get_attribute("type"),
    }
    fields["owner"].fill("octo")
    fields["url"].fill(github.api_url)
    token_field.fill(github.token)
    page.screenshot(path=str(shots / "vscode-wizard-github.png"))
    next_page(wizard, "secrets")
    wizard.locator('[data-key="secret.staging.KFP_PASSWORD"]').wait_for(timeout=30_000)
    secret_types = {
        key: wizard.locator(f'[data-key="{key}"]').get_attribute("type")
        for key in ("secret.staging.KFP_USERNAME", "secret.staging.KFP_PASSWORD")
    }
    wizard.locator('[data-key="secret.staging.KFP_USERNAME"]').fill(STAGING_USER)
    wizard.locator('[data-key="secret.staging.KFP_PASSWORD"]').fill(STAGING_PASSWORD)
    # The MLflow login is offered too, marked optional (a server without login needs none)
    mlflow_login = '[data-field="secret.staging.MLFLOW_TRACKING_PASSWORD"]'
    wizard.locator(f"{mlflow_login} input").fill(STAGING_MLFLOW_PASSWORD)
    offered = {
        "mlflow_label": wizard.locator(f"{mlflow_login} label").inner_text(),
        "development": wizard.locator('fieldset[data-branch="development"] [data-key]').evaluate_all(
            "es => es.map(e => e.dataset.key)"
        ),
    }
    page.screenshot(path=str(shots / "vscode-wizard-secrets.png"))
    next_page(wizard, "review")
    plan = wizard.locator("pre.plan")
    plan.wait_for(timeout=30_000)
    plan_text = plan.inner_text()
    page.screenshot(path=str(shots / "vscode-wizard-review.png"))
    wizard.locator("#next").click()  # Create
    link = wizard.locator("a.repo-link")
    link.wait_for(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "vscode-wizard-done.png"))
    result = {
        "token_type": fields["token_type"],
        "secret_types": secret_types,
        "offered": offered,
        "plan": plan_text,
        "link": link.get_attribute("href"),
        "events": wizard.locator("ul.events li").all_inner_texts(),
        "workspace_name": workspace.name.upper(),
    }
    page.close()
    return result


# ---------------------------------------------------------------- the wizard


def test_a_bad_name_shows_the_clis_message_at_the_field_and_creates_nothing(page, workspace, shots):
    run_command(page, "MLOps: New Project…")
    wizard = webview(page)
    name = wizard.locator('[data-key="name"]')
    name.wait_for(timeout=30_000)
    before = sorted(p.name for p in workspace.iterdir())
    name.fill("Bad Name!")
    wizard.locator("#next").click()
    error = wizard.locator('[data-error-for="name"]')
    error.wait_for(timeout=30_000)
    assert error.inner_text().startswith("'Bad Name!' has characters GitHub does not allow in a repository name")
    assert name.get_attribute("aria-invalid") == "true"
    assert wizard.locator("section.page").get_attribute("data-step") == "project", "the wizard stays on the page"
    page.screenshot(path=str(shots / "vscode-wizard-bad-name.png"))
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_the_wizard_creates_the_project_with_its_three_branches_on_github(created, workspace, github):
    assert created["token_type"] == "password"
    assert set(created["secret_types"].values()) == {"password"}
    assert "Plan for " in created["plan"] and "create" in created["plan"]
    root = workspace / "wine-quality"
    branches = git(root, "branch", "--format=%(refname:short)").split()
    assert sorted(branches) == ["development", "production", "staging"]
    repo = github.state.repo("octo", "wine-quality")
    assert sorted(repo.branches()) == ["development", "production", "staging"]
    assert created["link"].endswith("/octo/wine-quality")
    assert github.secret_value("octo", "wine-quality", "KFP_PASSWORD", environment="staging") == STAGING_PASSWORD
    assert github.secret_value("octo", "wine-quality", "KFP_USERNAME", environment="staging") == STAGING_USER
    # and the optional MLflow login typed for staging; development (which needs nothing) was offered only it
    assert created["offered"]["mlflow_label"] == "MLFLOW_TRACKING_PASSWORD (optional)"
    assert (
        github.secret_value("octo", "wine-quality", "MLFLOW_TRACKING_PASSWORD", environment="staging")
        == STAGING_MLFLOW_PASSWORD
    )
    assert created["offered"]["development"] == [
        f"secret.development.{n}"
        for n in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
    ]
    assert any("Pushed" in e or "pushed" in e for e in created["events"]), created["events"]


# ---------------------------------------------------------------- status and secrets


def test_project_status_lists_the_branches(created, page, shots):
    run_command(page, "MLOps: Project Status")
    view = status_view(page)
    row = view.locator(".monaco-list-row", has_text="wine-quality").first
    row.wait_for(timeout=30_000)
    for branch in ("development", "staging", "production"):
        view.locator(".monaco-list-row", has_text=branch).first.wait_for(timeout=30_000)
    page.locator(".pane-header", has_text=created["workspace_name"]).first.click()  # fold the files: room for the view
    text = view.inner_text()
    assert "GitHub octo/wine-quality" in text
    assert "environments" in text
    # A branch opens on its CI secrets: the required ones, then the MLflow login, marked optional
    view.locator(".monaco-list-row", has_text="staging").first.click()
    login = view.locator(".monaco-list-row", has_text="MLFLOW_TRACKING_PASSWORD").first
    login.wait_for(timeout=30_000)
    assert "optional · environment staging" in login.inner_text()
    required = view.locator(".monaco-list-row", has_text="KFP_PASSWORD").first.inner_text()
    assert "environment staging" in required and "optional" not in required
    page.screenshot(path=str(shots / "vscode-status.png"))


def test_set_secret_stores_a_value_that_decrypts_to_what_was_typed(created, page, github, shots):
    run_command(page, "MLOps: Set Secret…")
    quick_pick(page, "production")
    quick_pick(page, "KFP_PASSWORD")
    box = page.locator(".quick-input-widget input.input")
    box.wait_for(timeout=20_000)
    assert box.get_attribute("type") == "password"
    box.fill(TYPED_SECRET)
    page.screenshot(path=str(shots / "vscode-set-secret.png"))
    page.keyboard.press("Enter")
    # A new window has no token in memory (it is never stored): VS Code asks for it, hidden.
    page.locator(".quick-input-widget", has_text="GitHub token").wait_for(timeout=20_000)
    assert page.locator(".quick-input-widget input.input").get_attribute("type") == "password"
    input_box(page, github.token)
    page.locator(".notifications-toasts", has_text="KFP_PASSWORD is set for production").wait_for(timeout=60_000)
    assert github.secret_value("octo", "wine-quality", "KFP_PASSWORD", environment="production") == TYPED_SECRET
    assert not [n for n in notifications(page) if "error" in n.lower()]


def test_the_token_and_the_secrets_are_nowhere_vs_code_or_the_cli_wrote(created, vscode, workspace, github):
    channel = vscode.output_channel_log()
    assert "$ jupyter mlops push" in channel and "$ jupyter mlops secrets set KFP_PASSWORD" in channel
    for needle in (github.token, STAGING_PASSWORD, STAGING_MLFLOW_PASSWORD, TYPED_SECRET):
        assert needle not in channel
        assert vscode.files_containing(needle, workspace) == [], needle


# ---------------------------------------------------------------- a branch's action, errors, a missing CLI


def test_a_branch_action_from_the_view_shows_the_clis_error_and_fix(created, page):
    """Run Preflight from the development branch's context menu: its Kubeflow (set in the wizard to a port
    that refuses connections) does not answer, so the CLI's error comes back as a notification."""
    run_command(page, "MLOps: Project Status")
    context_action(page, status_view(page).locator(".monaco-list-row", has_text="development").first, "Run Preflight")
    toast = page.locator(".notifications-toasts .notification-list-item-message", has_text="MLOps: The preflight")
    toast.first.wait_for(timeout=120_000)
    text = toast.first.inner_text()
    assert "The preflight of branch development failed" in text


def test_run_inference_tests_from_the_view_runs_check_inference_and_shows_why_they_failed(created, page):
    """Run Inference Tests beside Run Preflight on the development branch: the CLI runs the project's inference
    tests (`check --inference`); with no model served for the branch here they
    fail, and the notification says it was the inference tests, not the preflight."""
    run_command(page, "MLOps: Project Status")
    row = status_view(page).locator(".monaco-list-row", has_text="development").first
    context_action(page, row, "Run Inference Tests")
    toast = page.locator(".notifications-toasts .notification-list-item-message", has_text="MLOps: The inference")
    toast.first.wait_for(timeout=120_000)
    assert "The inference test of branch development failed" in toast.first.inner_text()


def test_a_missing_cli_is_a_notification_that_says_how_to_install_it(created, page, workspace):
    """The workspace's settings point jupyterMlops.cliPath at a program that is not there."""
    folder = workspace / ".vscode"
    folder.mkdir(exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({"jupyterMlops.cliPath": "/nonexistent/jupyter-mlops"}))
    try:
        deadline = time.monotonic() + 60
        toast = page.locator(".notifications-toasts .notification-list-item-message", has_text="was not found")
        while not toast.count() and time.monotonic() < deadline:  # until VS Code has read the new settings
            run_command(page, "MLOps: Push to GitHub")
            page.wait_for_timeout(3_000)
        text = toast.first.inner_text(timeout=5_000)
    finally:
        shutil.rmtree(folder)
    assert "/nonexistent/jupyter-mlops" in text and "-m pip install jupyter-mlops" in text
