"""`%mlops` in a real IPython InteractiveShell: the CLI's words, UsageError for mistakes, HTML results."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

from tests.conftest import git


def test_load_ext_registers_the_line_magic(shell):
    assert "mlops" in shell.magics_manager.magics["line"]


def test_help_lists_the_cli_verbs_and_the_wizard(shell, capsys):
    assert shell.run_line_magic("mlops", "--help") is None
    out = capsys.readouterr().out
    assert out.startswith("usage: %mlops")
    for verb in ("init", "wizard"):
        assert verb in out
    shell.run_line_magic("mlops", "init --help")
    assert "--set KEY=VALUE" in capsys.readouterr().out


def test_init_creates_the_project_and_renders_html_and_text(shell, tmp_path):
    report = shell.run_line_magic("mlops", "init wine --set staging.kfp.auth=token --set 'description=Wine, red'")
    assert report.ok
    html, text = report._repr_html_(), repr(report)
    assert "<li" in html and "✓" in html and "Project wine ready" in html
    assert "✓ Project wine ready" in text and "<" not in text
    root = tmp_path / "wine"
    assert 'auth = "token"' in (root / "mlops.toml").read_text()
    assert 'description = "Wine, red"' in (root / "mlops.toml").read_text()
    assert sorted(git(root, "branch", "--format=%(refname:short)").split()) == ["development", "production", "staging"]


def test_init_dry_run_writes_nothing(shell, tmp_path):
    report = shell.run_line_magic("mlops", "init wine --dry-run")
    assert "create  mlops.toml" in repr(report) and "dry run" in repr(report)
    assert not (tmp_path / "wine").exists()


@pytest.mark.parametrize(
    "line, words",
    [
        ("inti wine", "invalid choice: 'inti'"),
        ("init wine --set staging.kfp.auth=magic", "'magic' is not one of none, token, dex, incluster"),
        ("init wine --set nonsense", "write it as key=value"),
        ("init 'wine", "No closing quotation"),
        ("", "the following arguments are required: COMMAND"),
    ],
)
def test_mistakes_raise_usage_error_and_write_nothing(shell, tmp_path, line, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(".", r"\.")):
        shell.run_line_magic("mlops", line)
    assert not (tmp_path / "wine").exists()


def test_a_refusal_is_a_usage_error_and_keeps_the_users_file(shell, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "README.md").write_text("my notes\n")
    with pytest.raises(UsageError, match="README.md"):
        shell.run_line_magic("mlops", "init mine")
    assert (tmp_path / "mine" / "README.md").read_text() == "my notes\n"


def test_in_a_cell_a_mistake_shows_one_line_not_a_traceback(shell, capsys):
    result = shell.run_cell("%mlops init wine --set python=2.7")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "UsageError" in err and "not a supported Python version" in err and "Traceback" not in err


def test_wizard_verb_returns_the_widget(shell, tmp_path):
    import ipywidgets

    widget = shell.run_line_magic("mlops", f"wizard {tmp_path}")
    assert isinstance(widget, ipywidgets.VBox)
    assert "New ML project" in widget.children[0].value


LOAD_PROBE = r"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
shell.run_line_magic("load_ext", "jupyter_mlops")
after_load = set(sys.modules)
shell.run_line_magic("mlops", "--help")
after_help = set(sys.modules)
print(json.dumps({"load": sorted(after_load - before), "help": sorted(after_help - before)}))
"""

HEAVY = ("kfp", "github", "git", "tornado", "ipywidgets", "jinja2", "nacl", "yaml")


def test_loading_and_help_import_nothing_heavy():
    proc = subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, check=True)
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    for phase in ("load", "help"):
        heavy = [m for m in modules[phase] if m.split(".")[0] in HEAVY]
        assert heavy == [], f"{phase} imported {heavy}"
    assert "jupyter_mlops.notebook.magics" in modules["load"]
    assert not [m for m in modules["load"] if m.startswith("jupyter_mlops.cli")]  # the parser is built lazily


# ---------------------------------------------------------------- push, secrets, status, sync


@pytest.fixture
def hidden_prompt(monkeypatch):
    """getpass, as a kernel shows it (a password field): answers queued by the test, prompts recorded."""
    answers: list[str] = []
    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream=None) -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return answers, prompts


def test_push_without_an_owner_goes_to_the_embedded_default(shell, tmp_path):
    shell.run_line_magic("mlops", "init wine")
    report = shell.run_line_magic("mlops", "push wine")
    assert report.ok and "Pushed to the embedded default remote" in repr(report)
    status = shell.run_line_magic("mlops", "status wine")
    assert "embedded default" in repr(status) and "[in sync]" in repr(status)


def test_push_to_github_asks_the_token_with_a_hidden_prompt(shell, github_standin, hidden_prompt):
    answers, prompts = hidden_prompt
    shell.run_line_magic("mlops", "init wine --set staging.kfp.auth=token")
    answers.append(github_standin.token)
    report = shell.run_line_magic("mlops", f"push wine --owner octo --github-url {github_standin.api_url}")
    assert report.ok and prompts and "GitHub token" in prompts[0]
    assert "Repository: " in repr(report) and "/octo/wine" in report._repr_html_()
    assert github_standin.token not in repr(report) + report._repr_html_()

    answers += [github_standin.token, "kfp-Secret-42"]
    line = f"secrets set KFP_TOKEN --env staging wine --github-url {github_standin.api_url}"
    report = shell.run_line_magic("mlops", line)
    assert report.ok and "Value of KFP_TOKEN" in prompts[-1]
    assert github_standin.secret_value("octo", "wine", "KFP_TOKEN", environment="staging") == "kfp-Secret-42"
    assert "kfp-Secret-42" not in repr(report) + report._repr_html_()

    answers.append(github_standin.token)
    listing = shell.run_line_magic("mlops", f"secrets list wine --github-url {github_standin.api_url}")
    assert "KFP_TOKEN" in repr(listing) and "kfp-Secret-42" not in repr(listing)
    assert "production: KFP_USERNAME is needed" in repr(listing)


def test_a_token_in_the_environment_is_used_without_asking(shell, github_standin, hidden_prompt, monkeypatch):
    answers, prompts = hidden_prompt
    monkeypatch.setenv("GITHUB_TOKEN", github_standin.token)
    shell.run_line_magic("mlops", "init wine")
    assert shell.run_line_magic("mlops", f"push wine --owner octo --github-url {github_standin.api_url}").ok
    assert prompts == []


def test_a_rejected_token_is_a_usage_error_that_does_not_echo_it(shell, github_standin, hidden_prompt):
    answers, _ = hidden_prompt
    shell.run_line_magic("mlops", "init wine")
    answers.append("ghp_not-a-real-token")
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("mlops", f"push wine --owner octo --github-url {github_standin.api_url}")
    assert "ghp_not-a-real-token" not in str(info.value)
    assert github_standin.write_calls() == []


def test_sync_without_upstream_is_a_usage_error(shell):
    shell.run_line_magic("mlops", "init wine")
    with pytest.raises(UsageError, match="no upstream"):
        shell.run_line_magic("mlops", "sync wine")


def test_every_settable_key_of_the_schema_reaches_mlops_toml_through_the_magic(shell, tmp_path):
    import shlex

    from jupyter_mlops.settings.forms import json_schema
    from tests.forms_support import as_text, settable_rounds, target_value, toml_values

    schema = json_schema(target_value(json_schema()["properties"]["branches"]))
    covered = set()
    for i, values in enumerate(settable_rounds(schema)):
        sets = " ".join(f"--set {shlex.quote(f'{k}={as_text(v)}')}" for k, v in values.items())
        assert shell.run_line_magic("mlops", f"init round-{i} {sets}").ok
        assert toml_values(tmp_path / f"round-{i}", values) == values
        covered |= set(values)
    assert covered == set(schema["properties"])
