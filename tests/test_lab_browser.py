"""The JupyterLab extension in a real browser (Debian Chromium via Playwright) on a real JupyterLab.

Every test runs twice: with JupyterLab at the server root, and under a Kubeflow notebook server's prefix
(``--ServerApp.base_url=/notebook/kubeflow-user-example-com/demo/``), where every request must carry it.
GitHub is the local stand-in (tests/standins/github.py); the wizard is pointed at it with its GitHub API
URL field, exactly as a GitHub Enterprise user would point it at their host.

The wizard test saves a screenshot of each step into $MLOPS_SCREENSHOTS (docs/make_screenshots.py sets it
to docs/images), so the documentation's pictures come from this run.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.forms_support import settable_rounds, target_value, toml_values
from tests.lab_support import API, CHROMIUM, KUBEFLOW_BASE_URL, JupyterLab, chromium, open_lab
from tests.standins.github import GitHubStandIn
from tests.standins.kfp import KfpStandin

pytestmark = pytest.mark.browser

BASE_URLS = {"root": "/", "kubeflow": KUBEFLOW_BASE_URL}
TIMEOUT = 120_000  # ms, for a whole init + push job


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def jp_asyncio_loop():
    """pytest-jupyter's autouse loop fixture would close the loop Playwright's sync API runs on; these tests
    start JupyterLab as a process, not in-process, so they need neither it nor its server cleanup."""
    yield None


@pytest.fixture
def jp_server_cleanup():
    yield


@pytest.fixture(scope="module", params=list(BASE_URLS), ids=list(BASE_URLS))
def where(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def github(tmp_path_factory):
    server = GitHubStandIn(root=tmp_path_factory.mktemp("github")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab(where, tmp_path_factory):
    server = JupyterLab(tmp_path_factory.mktemp(f"lab-root-{where}"), BASE_URLS[where]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/system-packages (apt-get install chromium)")
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, lab, tmp_path):
    page, api_requests = open_lab(browser, lab)
    page.api_requests = api_requests  # every request to our API, in order
    yield page
    # Shown by pytest only when the test failed: what the page looked like and what the server said.
    page.screenshot(path=str(tmp_path / "at-teardown.png"))
    print(f"screenshot: {tmp_path / 'at-teardown.png'}\nJupyterLab log (tail):\n{lab.log()[-3000:]}")
    page.context.close()


@pytest.fixture
def shots(tmp_path, where) -> Path:
    """Where screenshots go: $MLOPS_SCREENSHOTS for the root run (the documentation's), else a temp folder."""
    chosen = os.environ.get("MLOPS_SCREENSHOTS") if where == "root" else None
    target = Path(chosen or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target


class Wizard:
    """The wizard panel as a user sees it: fields by setting key, the visible step, the buttons."""

    def __init__(self, page) -> None:
        self.page = page
        self.root = page.locator(".jp-mlops-Wizard")

    def field(self, key: str):
        return self.root.locator(f'[data-key="{key}"]')

    def error(self, key: str) -> str:
        return self.root.locator(f'[data-error-for="{key}"]').inner_text()

    def banner(self) -> str:
        banner = self.root.locator(".jp-mlops-banner")
        return banner.inner_text() if banner.is_visible() else ""

    def step(self) -> str:
        return self.root.locator("section.jp-mlops-page:visible").get_attribute("data-step")

    def fill(self, **values: str) -> None:
        for key, value in values.items():
            self.field(key.replace("__", ".")).fill(value)

    def next(self, expect: str | None = None) -> None:
        self.root.locator(".jp-mlops-footer button.jp-mod-accept").click()
        if expect:
            self.root.locator(f'section[data-step="{expect}"]:visible').wait_for(timeout=60_000)

    def back(self, expect: str) -> None:
        self.root.locator(".jp-mlops-footer button", has_text="Back").click()
        self.root.locator(f'section[data-step="{expect}"]:visible').wait_for(timeout=10_000)

    def set(self, key: str, field: dict, value) -> None:
        """Set a field as its schema type says: tick a checkbox, pick a choice, or type text."""
        element = self.field(key)
        if field["type"] == "boolean":
            element.set_checked(value)
        elif "enum" in field:
            element.select_option(value)
        else:
            element.fill(value)

    def shot(self, target: Path, name: str) -> None:
        self.page.screenshot(path=str(target / name))


def open_wizard_from_launcher(page) -> Wizard:
    section = page.locator(".jp-Launcher-section", has=page.locator(".jp-Launcher-sectionTitle", has_text="MLOps"))
    section.locator(".jp-LauncherCard", has_text="MLOps project").click()
    wizard = Wizard(page)
    wizard.field("name").wait_for()
    page.wait_for_function("document.querySelector('.jp-mlops-Wizard [data-key=name]').value !== ''")
    return wizard


@contextmanager
def serve_files(files: dict[str, str]):
    """A plain HTTP server on 127.0.0.1 for data a preflight must reach (its base URL)."""
    folder = Path(tempfile.mkdtemp(prefix="data-"))
    for name, text in files.items():
        (folder / name).write_text(text)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)


def listing(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


# ---------------------------------------------------------------- opening


def test_opening_jupyterlab_sends_nothing_to_our_api_until_the_wizard_opens(page, lab):
    # Given JupyterLab fully loaded, with the launcher on screen and the network idle
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    assert page.api_requests == [], "our API was called before any panel was opened"

    # When the user opens the wizard from the command palette
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("New MLOps Project")
    page.locator(".lm-CommandPalette-item", has_text="New MLOps Project").first.click()
    Wizard(page).field("name").wait_for()

    # Then the defaults are fetched, and every request carries the server's base URL
    page.wait_for_function("document.querySelector('.jp-mlops-Wizard [data-key=name]').value !== ''")
    assert any("/defaults" in url for url in page.api_requests)
    assert all(url.startswith(lab.server_url + API) for url in page.api_requests), page.api_requests


def test_launcher_tile_and_file_new_menu_open_the_wizard_with_the_server_defaults(page, lab, shots):
    status, defaults = lab.api("defaults")
    assert status == 200

    page.screenshot(path=str(shots / "launcher.png"))
    wizard = open_wizard_from_launcher(page)
    assert page.locator(".lm-TabBar-tab.lm-mod-current", has_text="New MLOps project").is_visible()
    assert wizard.step() == "project"
    assert wizard.field("name").input_value() == defaults["name"]
    assert wizard.field("branches").input_value() == ",".join(defaults["branches"])
    assert wizard.field("python").input_value() == defaults["settings"]["python"]

    # File › New has the same entry; it brings the open wizard to the front
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="New").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="MLOps Project…").click()
    assert page.locator(".jp-mlops-Wizard").count() == 1


# ---------------------------------------------------------------- the wizard end to end


def test_wizard_creates_a_repository_with_branches_environments_and_secrets(page, lab, github, where, shots):
    name = f"wine-{where}"
    wizard = open_wizard_from_launcher(page)

    # Project
    wizard.fill(name=name, description="Wine quality, wired")
    assert wizard.field("path").input_value() == name  # the folder follows the name
    wizard.shot(shots, "wizard-1-project.png")
    wizard.next(expect="options")
    wizard.shot(shots, "wizard-options.png")
    wizard.next(expect="platform")

    # Platform per branch: development keeps the laptop defaults; production uses token auth
    assert wizard.field("development.kfp.experiment").input_value() == f"{name}-development"
    wizard.root.locator('.jp-mlops-tab[data-branch="production"]').click()
    wizard.field("production.kfp.auth").select_option("token")
    wizard.fill(production__kfp__host="https://kubeflow.example.org/pipeline")
    wizard.shot(shots, "wizard-2-platform.png")
    wizard.next(expect="github")

    # GitHub: the stand-in's API URL in the field an Enterprise user would use
    wizard.fill(owner=github.login, github_url=github.api_url, token=github.token)
    assert wizard.field("token").get_attribute("type") == "password"
    wizard.shot(shots, "wizard-3-github.png")
    wizard.next(expect="secrets")

    # Secrets: what each branch's CI needs with these settings (dex on staging, token on production)
    typed = {
        "staging/KFP_USERNAME": "user@example.com",
        "staging/KFP_PASSWORD": "s3cret-staging-pw",
        "production/KFP_TOKEN": "prod-token-value-42",
        # and, optional, the login of an MLflow server that asks for one
        "staging/MLFLOW_TRACKING_USERNAME": "mlflow-user",
        "staging/MLFLOW_TRACKING_PASSWORD": "mlflow-staging-pw",
    }
    for key, value in typed.items():
        assert wizard.field(key).get_attribute("type") == "password"
        wizard.field(key).fill(value)
    # development needs nothing, and is offered only the optional MLflow login
    development = wizard.root.locator('section[data-step="secrets"] fieldset[data-branch="development"]')
    login = ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]
    offered = [
        k.split("/")[1] for k in development.locator("[data-key]").evaluate_all("es => es.map(e => e.dataset.key)")
    ]
    assert offered == login
    assert "MLFLOW_TRACKING_TOKEN (optional)" in development.inner_text()
    wizard.shot(shots, "wizard-4-secrets.png")
    wizard.next(expect="review")

    # Review: the server's plan, and what the push will do; nothing written yet
    review = wizard.root.locator('section[data-step="review"]').inner_text()
    assert f"Create the private repository {github.login}/{name}" in review
    assert "Create the branches staging, production" in review
    assert not (lab.root / name).exists() and github.state.repo(github.login, name) is None
    wizard.shot(shots, "wizard-5-review.png")

    # Create: progress while it runs, links at the end
    wizard.next(expect="create")
    page.locator(".jp-mlops-result h3, .jp-mlops-Wizard .jp-mlops-banner:visible").first.wait_for(timeout=TIMEOUT)
    wizard.shot(shots, "wizard-6-create.png")
    assert wizard.banner() == ""
    assert page.locator(".jp-mlops-result h3").inner_text() == f"{name} is ready"

    # Then the folder is a project, and GitHub has the repository, its branches, environments and secrets
    assert (lab.root / name / "mlops.toml").is_file()
    repo = github.state.repo(github.login, name)
    assert repo is not None and repo.private
    branches = repo.branches()
    assert set(branches) == {"development", "staging", "production"}
    assert repo.default_branch == "development"
    assert set(repo.environments) == {"development", "staging", "production"}
    for key, value in typed.items():
        branch, secret = key.split("/")
        assert github.secret_value(github.login, name, secret, environment=branch) == value
    links = [a.get_attribute("href") for a in page.locator(".jp-mlops-links a").all()]
    assert any(f"/{github.login}/{name}" in link for link in links), links

    # No credential stays on the page or reaches the project's files
    html = page.content()
    for value in [github.token, *typed.values()]:
        assert value not in html
    leaked = subprocess.run(
        ["git", "grep", "-l", "-e", github.token, "--all"], cwd=lab.root / name, capture_output=True, text=True
    )
    assert leaked.stdout == ""
    assert github.token not in (lab.root / name / ".git" / "config").read_text()
    server_log = lab.log_path.read_text(errors="replace")
    for value in [github.token, *typed.values()]:
        assert value not in server_log


def test_a_field_shows_only_while_it_applies(page, lab):
    # Given the wizard's Options page, rendered from the schema
    wizard = open_wizard_from_launcher(page)
    wizard.next(expect="options")
    assert wizard.field("containers").is_visible() and wizard.field("registry").count() == 0
    # When the user ticks container steps, the image registry appears under it
    wizard.field("containers").set_checked(True)
    wizard.field("registry").wait_for()
    assert wizard.field("registry").input_value() == "ghcr.io"
    # And each branch's DVC remote appears on the Platform page only with DVC data
    wizard.next(expect="platform")
    assert wizard.field("development.data.remote").count() == 0
    wizard.back(expect="options")
    wizard.field("data.dvc").set_checked(True)
    wizard.next(expect="platform")
    assert wizard.field("development.data.remote").is_visible()


def test_every_settable_key_of_the_schema_reaches_mlops_toml_from_the_lab(page, lab, github, where):
    branches = target_value(lab.api("schema")[1]["properties"]["branches"])
    status, schema = lab.api(f"schema?branches={branches}")
    assert status == 200
    fields, pages = schema["properties"], [g["id"] for g in schema["x-groups"]]
    covered = set()
    for values in settable_rounds(schema):
        if "owner" in values:
            values["owner"] = github.login  # an owner GitHub (the stand-in) knows
        if "name" in values:
            values["name"] = f"{values['name']}-{where}"  # one GitHub stand-in serves both base URLs
        page.goto(lab.url)  # a fresh JupyterLab page: the wizard opens empty
        page.locator(".jp-Launcher").first.wait_for(timeout=60_000)
        wizard = open_wizard_from_launcher(page)
        # The user types every value on the page that shows it, branch tab by branch tab
        for at, step in enumerate(pages):
            for branch in [None, *schema["x-branches"]]:
                keys = [k for k, f in fields.items() if f["x-group"] == step and f.get("x-branch") == branch]
                if branch is not None and keys:
                    wizard.root.locator(f'.jp-mlops-tab[data-branch="{branch}"]').click()
                for key in sorted(keys, key=lambda k: fields[k]["x-order"]):
                    if key in values:
                        assert wizard.field(key).is_visible(), f"{key} is not shown on {step}"
                        wizard.set(key, fields[key], values[key])
            if step == "github" and values.get("owner"):
                wizard.fill(github_url=github.api_url, token=github.token)
            wizard.next(expect=pages[at + 1] if at + 1 < len(pages) else "secrets")
        wizard.next(expect="review")
        wizard.next(expect="create")
        page.locator(".jp-mlops-result h3, .jp-mlops-Wizard .jp-mlops-banner:visible").first.wait_for(timeout=TIMEOUT)
        assert wizard.banner() == ""
        folder = lab.root / str(values.get("name", fields["name"]["default"]))
        assert toml_values(folder, values) == values
        covered |= set(values)
    assert covered == set(fields)


def test_bad_project_name_shows_the_rule_and_creates_nothing(page, lab, github, shots):
    before, calls = listing(lab.root), len(github.write_calls())
    wizard = open_wizard_from_launcher(page)

    wizard.fill(name="wine quality!")
    expected = lab.api("validate", {"settings": {"name": "wine quality!"}})[1]["errors"]["name"]
    page.wait_for_function("document.querySelector('.jp-mlops-Wizard [data-error-for=name]').textContent !== ''")
    assert wizard.error("name") == expected  # the server's own rule, word for word
    assert "use letters, digits" in expected
    wizard.shot(shots, "wizard-invalid-name.png")

    wizard.next()
    page.wait_for_timeout(500)
    assert wizard.step() == "project"
    assert wizard.field("name").get_attribute("aria-invalid") == "true"
    assert listing(lab.root) == before and len(github.write_calls()) == calls

    # Fixing it clears the message
    wizard.fill(name="wine-quality-fixed")
    page.wait_for_function("document.querySelector('.jp-mlops-Wizard [data-error-for=name]').textContent === ''")


def test_branch_list_and_name_reshape_the_platform_step(page, lab):
    wizard = open_wizard_from_launcher(page)
    wizard.fill(name="churn", branches="dev, prod")
    wizard.next(expect="options")
    wizard.next(expect="platform")
    tabs = [t.inner_text() for t in wizard.root.locator(".jp-mlops-tab").all()]
    assert tabs == ["dev", "prod"]
    status, defaults = lab.api("defaults?name=churn&branches=dev,prod")
    assert status == 200
    for key in ("dev.kfp.experiment", "dev.kfp.auth", "prod.kfp.auth", "prod.kfp.namespace"):
        assert wizard.field(key).input_value() == defaults["settings"][key]
    assert wizard.field("dev.kfp.experiment").input_value() == "churn-dev"

    # A value the user typed survives a rename; derived ones follow the new name
    wizard.fill(dev__kfp__namespace="team-a")
    wizard.back(expect="options")
    wizard.back(expect="project")
    wizard.fill(name="churn-model")
    wizard.next(expect="options")
    wizard.next(expect="platform")
    assert wizard.field("dev.kfp.namespace").input_value() == "team-a"
    assert wizard.field("dev.kfp.experiment").input_value() == "churn-model-dev"


def test_server_refusal_is_shown_next_to_the_field_it_is_about(page, lab, github):
    before = listing(lab.root.parent)
    wizard = open_wizard_from_launcher(page)
    wizard.fill(name="escapee", path="../outside")
    wizard.next(expect="options")
    wizard.next(expect="platform")
    wizard.next(expect="github")
    wizard.next(expect="secrets")
    wizard.next()  # to the review, which asks the server for the plan
    # The plan is refused (400): the wizard goes back to the folder field with the server's message
    page.wait_for_function("document.querySelector('.jp-mlops-Wizard [data-error-for=path]')?.textContent")
    status, body = lab.api("plan", {"path": "../outside", "name": "escapee"})
    assert status == 400 and body["reason"] == "invalid_path"
    assert wizard.step() == "project"
    assert wizard.error("path") == body["message"]
    assert listing(lab.root.parent) == before


def test_github_refusing_the_token_is_shown_on_the_token_field(page, lab, github, where):
    name = f"refused-{where}"
    wizard = open_wizard_from_launcher(page)
    wizard.fill(name=name)
    wizard.next(expect="options")
    wizard.next(expect="platform")
    wizard.next(expect="github")
    wizard.fill(owner=github.login, github_url=github.api_url, token="ghp_not_a_token_github_knows")
    wizard.next(expect="secrets")
    wizard.next(expect="review")
    wizard.next(expect="create")
    page.locator(".jp-mlops-Wizard .jp-mlops-banner:visible").wait_for(timeout=TIMEOUT)
    message = wizard.banner()
    assert "token" in message.lower()
    assert github.state.repo(github.login, name) is None

    # Back on the GitHub step the message sits under the token field
    for _ in range(3):
        wizard.root.locator(".jp-mlops-footer button", has_text="Back").click()
    assert wizard.step() == "github"
    assert wizard.error("token").splitlines()[0] == message.splitlines()[0]


def test_cancel_stops_the_push_and_create_again_finishes_it(page, lab, github, where):
    name = f"resumed-{where}"
    wizard = open_wizard_from_launcher(page)
    wizard.fill(name=name)
    wizard.next(expect="options")
    wizard.next(expect="platform")
    wizard.next(expect="github")
    wizard.fill(owner=github.login, github_url=github.api_url, token=github.token)
    wizard.next(expect="secrets")
    wizard.next(expect="review")
    github.set_latency(3, paths="/user/repos")  # GitHub takes its time to create the repository
    try:
        wizard.next(expect="create")
        page.locator(".jp-mlops-event.jp-mlops-start", has_text=f"Creating {github.login}/{name}").wait_for(
            timeout=TIMEOUT
        )
        wizard.root.locator(".jp-mlops-footer button", has_text="Cancel").click()
        page.locator(".jp-mlops-result h3, .jp-mlops-Wizard .jp-mlops-banner:visible").first.wait_for(timeout=TIMEOUT)
    finally:
        github.set_latency(0)
    # The push stopped after its current step: the repository exists, nothing was pushed to it
    assert "cancelled" in wizard.banner().lower()
    repo = github.state.repo(github.login, name)
    assert repo is not None and repo.branches() == {} and not repo.environments

    # Create again: init has nothing left to do, push finishes what it started
    wizard.root.locator(".jp-mlops-footer button", has_text="Back").click()
    wizard.next(expect="create")
    page.locator(".jp-mlops-result h3, .jp-mlops-Wizard .jp-mlops-banner:visible").first.wait_for(timeout=TIMEOUT)
    assert wizard.banner() == ""
    assert set(repo.branches()) == {"development", "staging", "production"}
    assert set(repo.environments) == {"development", "staging", "production"}


# ---------------------------------------------------------------- the status view


def test_status_view_opens_from_the_file_browser_and_runs_the_preflight_and_inference_tests(page, lab, where, shots):
    # Given a project made with the CLI whose development branch points at a reachable KFP and local data
    name = f"status-{where}"
    with KfpStandin() as kfp, serve_files({"wine.csv": "fixed acidity;quality\n7.4;5\n"}) as data_url:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter_mlops",
                "init",
                str(lab.root / name),
                "--yes",
                "--set",
                f"development.kfp.host={kfp.host}",
                "--set",
                f"development.data.uri={data_url}wine.csv",
            ],
            check=True,
            capture_output=True,
        )
        with open(lab.root / name / "README.md", "a") as readme:
            readme.write("\nNotes from the first week.\n")

        # When the user right-clicks its folder in the file browser and picks the status view
        page.locator('.jp-FileBrowser [title^="Refresh"]').first.click()  # or wait for its next poll
        item = page.locator('.jp-DirListing-item[data-isdir="true"]', has=page.get_by_text(name, exact=True))
        item.wait_for(timeout=30_000)
        item.click(button="right")
        page.locator(".lm-Menu-itemLabel", has_text="MLOps Project Status").click()

        # Then it shows the branches, the remote, how secrets are scoped and the uncommitted file
        panel = page.locator(".jp-mlops-Status")
        panel.locator(".jp-mlops-branches, .jp-mlops-banner:visible").first.wait_for(timeout=30_000)
        assert panel.locator(".jp-mlops-banner:visible").count() == 0, panel.inner_text()
        rows = panel.locator(".jp-mlops-branches tbody tr")
        assert [r.get_attribute("data-branch") for r in rows.all()] == ["development", "staging", "production"]
        assert re.fullmatch(r"[0-9a-f]{8}", rows.first.locator("code").inner_text())
        assert "GitHub Environments" in panel.locator('[data-fact="secrets-mode"]').inner_text()
        assert panel.locator('[data-fact="remote"]').inner_text() == "none yet: push the project"
        assert panel.locator('[data-fact="uncommitted"]').inner_text() == "1 uncommitted: README.md"
        staging = panel.locator('tr[data-branch="staging"]').inner_text()
        assert "KFP_USERNAME, KFP_PASSWORD (environment staging)" in staging
        optional = panel.locator('tr[data-branch="staging"] [data-fact="optional-secrets"]').inner_text()
        assert optional == "optional: MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN"

        # And the development branch's preflight passes against the reachable platform
        rows.first.locator("button", has_text="Run preflight").click()
        panel.locator(".jp-mlops-preflight .jp-mlops-ok, .jp-mlops-preflight .jp-mlops-banner:visible").first.wait_for(
            timeout=TIMEOUT
        )
        preflight = panel.locator(".jp-mlops-preflight").inner_text()
        assert "development: every preflight check passed." in preflight, preflight
        assert kfp.api_requests, "the preflight did not reach KFP"
        page.screenshot(path=str(shots / "status.png"))

        # And its inference tests, run beside the preflight, are the branch's `main.py --inference-test`: with no
        # model served for the branch here they fail, saying why and what to set
        rows.first.locator("button", has_text="Run inference tests").click()
        panel.locator(".jp-mlops-preflight h3", has_text="Inference tests of development").wait_for(timeout=TIMEOUT)
        panel.locator(".jp-mlops-preflight .jp-mlops-ok, .jp-mlops-preflight .jp-mlops-banner:visible").first.wait_for(
            timeout=TIMEOUT
        )
        inference = panel.locator(".jp-mlops-preflight").inner_text()
        assert "check on branch development: python src/pipelines/development/main.py --inference-test" in inference
        banner = panel.locator(".jp-mlops-preflight .jp-mlops-banner").inner_text()
        assert banner.startswith("The inference test of branch development failed (exit code 1)"), banner
        assert "no serving URL for the development branch" in banner and "INFERENCE_URL" in banner, banner
        assert panel.locator(".jp-mlops-preflight .jp-mlops-ok").count() == 0
    assert all(url.startswith(lab.server_url + API) for url in page.api_requests)
