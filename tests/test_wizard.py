"""The ipywidgets wizard, driven by clicking its buttons and typing into its fields (no browser)."""

from __future__ import annotations

import os
import threading

import pytest

from jupyter_mlops.notebook.wizard import Wizard
from jupyter_mlops.settings.forms import json_schema
from tests.conftest import git
from tests.forms_support import settable_rounds, target_value, toml_values


@pytest.fixture
def wizard(tmp_path):
    before = set(threading.enumerate())
    wz = Wizard(root=tmp_path)
    yield wz
    wz.close()
    leaked = [t for t in threading.enumerate() if t not in before and t.name.startswith("jupyter-mlops")]
    assert leaked == [], f"threads left running: {leaked}"


def click_next(wz: Wizard, expect: str) -> None:
    assert not wz.next_button.disabled, f"Next disabled on {wz.step.title}"
    wz.next_button.click()
    assert wz.step.title == expect


def walk_to_create(wz: Wizard) -> None:
    for title in ("Options", "Platform", "GitHub", "Secrets", "Review", "Create"):
        click_next(wz, title)


def walk_to(wz: Wizard, title: str) -> None:
    while wz.step.title != title:
        click_next(wz, [s.title for s in wz.steps][wz.index + 1])


def test_starts_on_project_with_defaults_filled_and_next_enabled(wizard):
    assert wizard.step.title == "Project" and wizard.step.state == "configured"
    assert wizard.fields["name"].value == "ml-project" and wizard.project.folder.value == "ml-project"
    assert wizard.fields["license"].value == "placeholder" and wizard.value("example") is True
    assert wizard.back_button.disabled and not wizard.next_button.disabled
    assert wizard.create_button.layout.display == "none"


def test_a_bad_name_shows_why_and_blocks_next_until_fixed(wizard):
    wizard.fields["name"].value = "wine quality!"
    assert wizard.step.state == "ready" and wizard.next_button.disabled
    assert "letters, digits" in wizard.fields["name"].error_text
    wizard.next_button.click()
    assert wizard.step.title == "Project"  # Next follows the step's state
    wizard.fields["name"].value = "wine-quality"
    assert wizard.fields["name"].error_text == "" and not wizard.next_button.disabled


def test_folder_and_experiments_follow_the_name(wizard):
    wizard.fields["name"].value = "churn"
    assert wizard.project.folder.value == "churn"
    walk_to(wizard, "Platform")
    assert wizard.fields["staging.kfp.experiment"].value == "churn-staging"
    wizard.fields["staging.kfp.experiment"].value = "my-experiment"
    wizard.back_button.click()
    wizard.back_button.click()
    wizard.fields["name"].value = "churn2"
    assert wizard.value("staging.kfp.experiment") == "my-experiment"  # the user's value is kept
    assert wizard.value("production.kfp.experiment") == "churn2-production"


def test_platform_has_a_tab_per_branch_with_positional_defaults(wizard):
    wizard.fields["branches"].value = "dev,prod"
    walk_to(wizard, "Platform")
    assert wizard.platform.tabs.titles == ("dev", "prod")
    assert wizard.fields["dev.kfp.auth"].value == "none" and wizard.fields["prod.kfp.auth"].value == "dex"
    wizard.fields["prod.kfp.host"].value = "kubeflow.example.org"
    assert wizard.next_button.disabled and "http(s) URL" in wizard.fields["prod.kfp.host"].error_text
    wizard.fields["prod.kfp.auth"].value = "incluster"
    wizard.fields["prod.kfp.host"].value = ""
    assert not wizard.next_button.disabled  # in-cluster needs no host: the spec's whole-project rule


def test_an_owner_needs_a_token_in_a_password_field(wizard):
    import ipywidgets

    walk_to(wizard, "GitHub")
    assert isinstance(wizard.github.token.input, ipywidgets.Password)
    wizard.fields["owner"].value = "-bad-"
    assert wizard.next_button.disabled and "GitHub user or organisation" in wizard.fields["owner"].error_text
    wizard.fields["owner"].value = "octo"
    assert wizard.next_button.disabled and "token is needed" in wizard.github.token.error.value
    wizard.github.token.input.value = "ghp_example"
    assert not wizard.next_button.disabled


def test_secrets_step_asks_the_names_each_branch_needs(wizard):
    walk_to(wizard, "Platform")
    wizard.fields["staging.kfp.auth"].value = "token"
    click_next(wizard, "GitHub")
    wizard.fields["owner"].value = "octo"
    wizard.github.token.input.value = "ghp_example"
    click_next(wizard, "Secrets")
    required = {("staging", "KFP_TOKEN"), ("production", "KFP_USERNAME"), ("production", "KFP_PASSWORD")}
    login = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
    # Every branch tracks to an MLflow server by default, so each is offered its (optional) MLflow login.
    optional = {(b, n) for b in ("development", "staging", "production") for n in login}
    assert set(wizard.secrets.fields) == required | optional
    shown = [f.input.description for f in wizard.secrets.fields.values() if f.box in wizard.secrets.box.children]
    assert "staging: KFP_TOKEN" in shown and "staging: MLFLOW_TRACKING_PASSWORD (optional)" in shown
    assert not wizard.next_button.disabled  # every secret may be set later


def test_review_refuses_a_folder_with_the_users_files(wizard, tmp_path):
    (tmp_path / "ml-project").mkdir()
    (tmp_path / "ml-project" / "README.md").write_text("mine\n")
    walk_to(wizard, "Review")
    assert wizard.step.state == "fail" and wizard.next_button.disabled
    assert "README.md" in wizard.review.summary.value
    assert (tmp_path / "ml-project" / "README.md").read_text() == "mine\n"


def test_full_flow_creates_the_project_with_progress_and_links(wizard, tmp_path):
    wizard.fields["name"].value = "wine"
    walk_to_create(wizard)
    assert "create  mlops.toml" in wizard.review.summary.value
    assert not (tmp_path / "wine").exists()  # nothing before Create
    assert wizard.create_button.layout.display is None and not wizard.create_button.disabled
    wizard.create_button.click()
    assert wizard.wait(120)
    assert wizard.create.state == "success", wizard.create.links.value
    assert wizard.create.bar.value == 1.0 and wizard.create.bar.bar_style == "success"
    assert "Project wine ready" in wizard.create.log.value
    assert f'href="{tmp_path / "wine"}/README.md"' in wizard.create.links.value
    assert wizard.back_button.disabled and wizard.create_button.disabled
    assert sorted(git(tmp_path / "wine", "branch", "--format=%(refname:short)").split()) == [
        "development",
        "production",
        "staging",
    ]
    # No owner: pushed to the embedded default, a bare repository on this machine.
    assert wizard.job.result["target"] == "embedded"
    bare = wizard.job.result["remote"]
    assert f"<code>{bare}</code>" in wizard.create.links.value
    assert git(bare, "rev-parse", "staging") == git(tmp_path / "wine", "rev-parse", "staging")


def widget_states(widget) -> str:
    """Every property of the widget and its descendants, as a notebook would save them."""
    import ipywidgets

    out = [repr(widget.get_state())]
    for child in getattr(widget, "children", ()):
        if isinstance(child, ipywidgets.Widget):
            out.append(widget_states(child))
    return "\n".join(out)


def test_full_flow_on_github_with_token_and_secrets(wizard, tmp_path, github_standin, caplog):
    caplog.set_level("DEBUG")
    wizard.fields["name"].value = "wine"
    walk_to(wizard, "Platform")
    wizard.fields["staging.kfp.auth"].value = "token"
    click_next(wizard, "GitHub")
    wizard.fields["owner"].value = "octo"
    wizard.github.github_url.value = github_standin.api_url
    wizard.github.token.input.value = github_standin.token
    click_next(wizard, "Secrets")
    wizard.secrets.fields["staging", "KFP_TOKEN"].input.value = "kfp-Staging-Tok"
    wizard.secrets.fields["staging", "MLFLOW_TRACKING_PASSWORD"].input.value = "mlflow-Staging-Pw"
    click_next(wizard, "Review")
    assert "GitHub repository <b>octo/wine</b> (private)" in wizard.review.summary.value
    assert "staging: KFP_TOKEN" in wizard.review.summary.value and "kfp-Staging-Tok" not in wizard.review.summary.value
    click_next(wizard, "Create")
    wizard.create_button.click()
    assert wizard.wait(120) and wizard.create.state == "success", wizard.create.links.value
    assert f'href="{github_standin.base_url}/octo/wine"' in wizard.create.links.value
    assert github_standin.secret_value("octo", "wine", "KFP_TOKEN", environment="staging") == "kfp-Staging-Tok"
    assert (
        github_standin.secret_value("octo", "wine", "MLFLOW_TRACKING_PASSWORD", environment="staging")
        == "mlflow-Staging-Pw"
    )
    assert "production: KFP_USERNAME not set yet" in wizard.create.links.value

    # The token and the secret value are nowhere: widget state, job events and result, log records.
    assert wizard.github.token.input.value == "" and wizard.secrets.fields["staging", "KFP_TOKEN"].input.value == ""
    seen = "\n".join(
        [
            *(widget_states(w) for w in [wizard.widget] + [s.box for s in wizard.steps]),
            repr(wizard.job.snapshot()),
            *(r.getMessage() for r in caplog.records),
        ]
    )
    for secret in (github_standin.token, "kfp-Staging-Tok", "mlflow-Staging-Pw"):
        assert secret not in seen


def test_a_failed_create_can_be_retried(wizard, tmp_path, monkeypatch):
    identity = os.environ["GIT_CONFIG_GLOBAL"]
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-identity"))  # no git user: init refuses
    walk_to_create(wizard)
    wizard.create_button.click()
    assert wizard.wait(60) and wizard.create.state == "fail"
    assert "user.name" in wizard.create.links.value and not wizard.create_button.disabled
    assert not (tmp_path / "ml-project").exists()  # nothing half-written
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", identity)
    wizard.create_button.click()
    assert wizard.wait(60) and wizard.create.state == "success"


def test_close_cancels_a_running_create_and_joins_its_thread(wizard):
    walk_to_create(wizard)
    wizard.create_button.click()
    wizard.close()
    assert not wizard._thread.is_alive()
    assert wizard.job.state in ("succeeded", "cancelled")


# ---------------------------------------------------------------- pages from the settings schema


def test_pages_are_the_schemas_and_hide_what_does_not_apply(wizard):
    # Given the schema's pages, in its order, before Secrets, Review and Create
    pages = [g["title"] for g in json_schema()["x-groups"]]
    assert [s.title for s in wizard.steps] == [*pages, "Secrets", "Review", "Create"]
    walk_to(wizard, "Options")
    # registry is shown only with container steps
    assert not wizard.fields["registry"].visible
    wizard.fields["containers"].value = True
    assert wizard.fields["registry"].visible
    wizard.fields["registry"].value = "Not A Registry"
    assert wizard.next_button.disabled and "not a registry host" in wizard.fields["registry"].error_text
    # Unticking containers hides it again: a hidden value blocks nothing and is not applied
    wizard.fields["containers"].value = False
    assert not wizard.fields["registry"].visible and not wizard.next_button.disabled
    assert "registry" not in wizard.settings()
    # Each branch's DVC remote is shown only with DVC data
    click_next(wizard, "Platform")
    assert not wizard.fields["staging.data.remote"].visible
    wizard.back_button.click()
    wizard.fields["data.dvc"].value = True
    click_next(wizard, "Platform")
    assert wizard.fields["staging.data.remote"].visible and wizard.fields["production.data.remote"].visible


def fill_pages(wz: Wizard, values: dict, github) -> None:
    """Type every value into its field, page by page, as a user would (a field must be visible to be typed)."""
    while wz.step in wz.pages:
        for key in wz.step.keys():
            if key in values:
                assert wz.fields[key].visible, f"{key} is hidden on {wz.step.title}"
                wz.fields[key].value = values[key]
        if wz.step is wz.github and wz.value("owner"):
            wz.github.github_url.value = github.api_url
            wz.github.token.input.value = github.token
        click_next(wz, wz.steps[wz.index + 1].title)


def test_every_settable_key_of_the_schema_reaches_mlops_toml_through_the_widgets(tmp_path, github_standin):
    schema = json_schema(target_value(json_schema()["properties"]["branches"]))
    covered = set()
    for i, values in enumerate(settable_rounds(schema)):
        if "owner" in values:
            values["owner"] = github_standin.login  # an owner GitHub (the stand-in) knows
        wz = Wizard(root=tmp_path / f"round-{i}")
        try:
            fill_pages(wz, values, github_standin)
            assert wz.step.title == "Secrets"
            click_next(wz, "Review")
            click_next(wz, "Create")
            wz.create_button.click()
            assert wz.wait(120) and wz.create.state == "success", wz.create.links.value
        finally:
            wz.close()
        assert toml_values(wz.target(), values) == values
        covered |= set(values)
    assert covered == set(schema["properties"])


def test_a_setting_added_to_the_table_appears_on_its_page_and_reaches_mlops_toml(tmp_path, added_setting):
    wz = Wizard(root=tmp_path)
    try:
        walk_to(wz, "Platform")
        field = wz.fields["staging.monitor.drift"]
        assert field.visible and field.input.description == "Drift threshold"
        assert field.input.tooltip == "Alert when the input drift score exceeds it"
        assert wz.fields["production.monitor.drift"].value == "0.5"
        field.value = "high"
        assert wz.next_button.disabled and "&#x27;high&#x27; is not a number, e.g. 0.3" in field.error_text
        field.value = "0.25"
        for title in ("GitHub", "Secrets", "Review", "Create"):
            click_next(wz, title)
        wz.create_button.click()
        assert wz.wait(120) and wz.create.state == "success", wz.create.links.value
    finally:
        wz.close()
    assert toml_values(wz.target(), ["staging.monitor.drift"]) == {"staging.monitor.drift": "0.25"}
