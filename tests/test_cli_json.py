"""`--json` on every verb: the machine interface scripts and the VS Code extension read.

The contract a reader relies on: stdout holds only JSON objects, one per line — ``{"event": {...}}`` per
progress event (step, state, message, link, time), then one last line that is either ``{"error": {...}}``
(reason, message, details, fix, exit_code) or the verb's result object; prose goes to stderr; tokens and
secret values come from the environment or standard input and are never echoed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from jupyter_mlops.cli import build_parser
from jupyter_mlops.settings.forms import json_schema
from tests.conftest import REPO_ROOT, git, run_cli
from tests.generated_support import clean_env
from tests.org_support import make_main_local, new_local
from tests.standins.kfp import KfpStandin

EVENT_KEYS = {"step", "state", "message", "link", "time"}
ERROR_KEYS = {"reason", "message", "details", "fix", "exit_code"}
STATES = {"start", "done", "skip", "warn", "fail", "info"}


def machine_run(*args: str, **kwargs) -> tuple[list[dict], dict, subprocess.CompletedProcess]:
    """Run a verb with --json and read stdout as a script would: (events, last line, the process).

    Fails the test if any stdout line is not a JSON object, if an event line lacks a field, or if the last
    line is missing or is an event."""
    proc = run_cli(*args, "--json", **kwargs)
    lines = proc.stdout.splitlines()
    assert lines, f"no output on stdout; stderr: {proc.stderr[-2000:]}"
    objects = [json.loads(line) for line in lines]  # every line parses
    assert all(isinstance(o, dict) for o in objects), proc.stdout
    *events, last = objects
    for e in events:
        assert set(e) == {"event"}, f"not an event line: {e}"
        assert set(e["event"]) == EVENT_KEYS and e["event"]["state"] in STATES, e
        assert isinstance(e["event"]["message"], str) and e["event"]["message"]
    assert "event" not in last, f"the last line must be the result or the error: {last}"
    if "error" in last:
        assert set(last["error"]) == ERROR_KEYS, last
        assert last["error"]["exit_code"] == proc.returncode != 0
    return [e["event"] for e in events], last, proc


def leaf_parsers(parser=None, path=()):
    parser = parser or build_parser()
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not subs:
        yield " ".join(path), parser
        return
    for name, sub in subs[0].choices.items():
        yield from leaf_parsers(sub, (*path, name))


def test_every_verb_accepts_json():
    verbs = dict(leaf_parsers())
    assert {"init", "push", "status", "check", "run", "new", "sync", "promote", "schema", "validate"} <= set(verbs)
    assert {"secrets set", "secrets import", "secrets list"} <= set(verbs)
    missing = [name for name, p in verbs.items() if "--json" not in p._option_string_actions]
    assert missing == []


# ---------------------------------------------------------------- init, status, push (embedded)


def test_init_streams_events_then_the_plan_it_applied(tmp_path):
    events, result, proc = machine_run("init", str(tmp_path / "wine"), "--name", "wine")
    assert proc.returncode == 0, proc.stderr
    assert [e["step"] for e in events if e["state"] == "done"][-1] == "init"
    assert result["mode"] == "new" and result["default_branch"] == "development"
    assert result["branches"]["create"] == ["staging", "production"]
    assert git(tmp_path / "wine", "branch", "--format=%(refname:short)").split() == [
        "development",
        "production",
        "staging",
    ]


def test_a_bad_name_is_one_error_line_with_the_fix_and_nothing_is_created(tmp_path):
    events, last, proc = machine_run("init", str(tmp_path / "x"), "--name", "Bad Name!")
    assert proc.returncode == 2 and events == []
    error = last["error"]
    assert error["reason"] == "invalid_input"
    assert any(d.startswith("name: 'Bad Name!' has characters GitHub does not allow") for d in error["details"])
    assert error["fix"] == "use letters, digits, '.', '-' and '_', e.g. wine-quality"
    assert not (tmp_path / "x").exists()


def test_dry_run_is_the_plan_as_data_and_changes_nothing(tmp_path):
    events, result, proc = machine_run("init", str(tmp_path / "wine"), "--dry-run")
    assert proc.returncode == 0 and events == []
    assert result["dry_run"] is True and result["plan"]["mode"] == "new"
    assert result["describe"][0].startswith("Plan for ")
    assert not (tmp_path / "wine").exists()


def test_usage_errors_and_help_keep_stdout_json(tmp_path):
    _, last, proc = machine_run("init", "--no-such-option")
    assert proc.returncode == 2 and "unrecognized arguments: --no-such-option" in last["error"]["message"]
    helped = run_cli("status", "--help", "--json")
    assert helped.returncode == 0 and helped.stdout == "" and "--json" in helped.stderr


def test_status_and_an_embedded_push(new_project):
    root = new_project()
    events, pushed, proc = machine_run("push", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert pushed["target"] == "embedded" and sorted(pushed["pushed"]) == ["development", "production", "staging"]
    assert any(e["step"] == "git-push" and e["state"] == "done" for e in events)
    _, status, proc = machine_run("status", str(root))
    assert proc.returncode == 0
    assert [b["name"] for b in status["branches"]] == ["development", "staging", "production"]
    assert status["remote"]["kind"] == "embedded"
    assert {b["remote"] for b in status["branches"]} == {"in sync"}


# ---------------------------------------------------------------- schema and validate


def test_schema_is_exactly_the_settings_schema():
    _, document, proc = machine_run("schema")
    assert proc.returncode == 0 and document == json_schema()
    _, two, _ = machine_run("schema", "--branches", "dev,prod")
    assert "dev.kfp.host" in two["properties"] and "staging.kfp.host" not in two["properties"]


def test_validate_answers_per_field_from_stdin_and_writes_nothing(tmp_path):
    good = {"name": "wine-quality", "staging.kfp.auth": "token"}
    _, answer, proc = machine_run("validate", input=json.dumps(good), cwd=tmp_path)
    assert proc.returncode == 0 and answer["valid"] is True and answer["errors"] == {}
    assert answer["required_secrets"]["staging"] == ["KFP_TOKEN"]
    bad = {"name": "Bad Name!", "production.kfp.host": "ftp://x", "nope": "1"}
    _, answer, proc = machine_run("validate", input=json.dumps(bad), cwd=tmp_path)
    assert proc.returncode == 2 and answer["valid"] is False
    assert set(answer["errors"]) == {"name", "production.kfp.host", "nope"}
    assert "is not an http(s) URL" in answer["errors"]["production.kfp.host"]
    _, last, proc = machine_run("validate", input="not json", cwd=tmp_path)
    assert proc.returncode == 2 and last["error"]["reason"] == "invalid_input"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- GitHub: push, secrets, promote


def test_push_to_github_with_secrets_from_stdin_and_the_token_from_the_environment(new_project, github_standin):
    gh = github_standin
    root = new_project()
    env = {"GITHUB_TOKEN": gh.token}
    args = ("push", str(root), "--owner", "octo", "--github-url", gh.api_url, "--secrets-file", "-")
    values = "STAGING_KFP_USERNAME=user@example.com\nKFP_PASSWORD=s3cret-Value\n"
    _, plan, proc = machine_run(*args, "--dry-run", input=values, env=env)
    assert proc.returncode == 0 and plan["plan"]["github"]["branches"]["staging"]["to_set"] == [
        "KFP_USERNAME",
        "KFP_PASSWORD",
    ]
    by_branch = {"staging": {"KFP_USERNAME": "user@example.com"}, "production": {"KFP_PASSWORD": "s3cret-Value"}}
    events, result, proc = machine_run(*args, input=json.dumps(by_branch), env=env)  # what the VS Code wizard sends
    assert proc.returncode == 0, proc.stderr
    assert result["repo_url"].endswith("/octo/wine-quality") and result["secrets_set"]["staging"]
    assert gh.secret_value("octo", "wine-quality", "KFP_PASSWORD", environment="production") == "s3cret-Value"
    assert "KFP_PASSWORD" not in gh.state.repo("octo", "wine-quality").environments["staging"].secrets
    for text in (proc.stdout, proc.stderr):
        assert gh.token not in text and "s3cret-Value" not in text

    _, listing, proc = machine_run("secrets", "list", str(root), env=env)
    assert proc.returncode == 0 and listing["repository"] == "octo/wine-quality"
    events, result, proc = machine_run(
        "secrets", "set", "KFP_TOKEN", "--env", "development", str(root), input="tok\n", env=env
    )
    assert proc.returncode == 0 and result["secrets"] == {"development": {"KFP_TOKEN": "created"}}
    assert gh.secret_value("octo", "wine-quality", "KFP_TOKEN", environment="development") == "tok"
    _, last, proc = machine_run("secrets", "list", str(root))
    assert proc.returncode == 2 and last["error"]["reason"] == "unauthenticated"
    assert last["error"]["fix"].startswith("Export GITHUB_TOKEN")


def test_promote_result_is_the_pull_request(tmp_path, github_standin, github_env):
    gh = github_standin
    root = tmp_path / "wine"
    assert run_cli("init", str(root), "--yes", "--set", f"owner={gh.login}", env=github_env).returncode == 0
    assert run_cli("push", str(root), "--github-url", gh.api_url, "--yes", env=github_env).returncode == 0
    _, result, proc = machine_run(
        "promote", "development", "staging", str(root), "--github-url", gh.api_url, env=github_env
    )
    assert proc.returncode == 0, proc.stderr
    assert result["status"] == "nothing" and result["url"] is None  # no new commits on development yet


# ---------------------------------------------------------------- new and sync (local main repo)


def test_new_and_sync_report_as_json(tmp_path):
    main, bare = make_main_local(tmp_path)
    events, made, proc = machine_run(
        "new", "beer", "--from", str(bare), "--remote", str(tmp_path / "remotes" / "beer.git"), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert made["name"] == "beer" and events
    project = new_local(tmp_path, "wine", bare)
    _, synced, proc = machine_run("sync", str(project))
    assert proc.returncode == 0, proc.stderr
    assert synced["projects"][0]["name"] == "wine"


# ---------------------------------------------------------------- check and run (the project's main.py)


def test_check_and_run_stream_the_entry_points_lines_as_events(wine_project, synthetic_data, tmp_path):
    _, files = synthetic_data
    with KfpStandin("none", polls_to_finish=1) as kfp:
        env = clean_env(tmp_path, KFP_HOST=kfp.host, DATA_URI=files.url("winequality-red.synthetic.csv"))
        events, checked, proc = machine_run("check", str(wine_project), "--branch", "development", env=env)
        assert proc.returncode == 0, proc.stderr
        assert checked["exit_code"] == 0 and any(e["step"] == "kfp" for e in events)
        events, ran, proc = machine_run("run", str(wine_project), "--branch", "development", env=env)
        assert proc.returncode == 0, proc.stderr
        (run_id,) = kfp.state.runs
        assert ran["run_url"] == f"{kfp.host}/#/runs/details/{run_id}"
        assert any(e["link"] == ran["run_url"] for e in events)


# ---------------------------------------------------------------- Cancel: SIGTERM and SIGINT


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_the_run_with_a_cancelled_line_and_a_rerun_finishes(new_project, github_standin, sig):
    """What the VS Code extension's Cancel does: the CLI unwinds as on Ctrl-C; running it again finishes."""
    gh = github_standin
    root = new_project()
    gh.set_latency(0.3)
    env = dict(os.environ, GITHUB_TOKEN=gh.token, PYTHONPATH=str(REPO_ROOT))
    args = [sys.executable, "-m", "jupyter_mlops", "push", str(root), "--owner", "octo", "--github-url", gh.api_url]
    proc = subprocess.Popen([*args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()  # the first event: the work has begun
    assert json.loads(first)["event"]
    time.sleep(0.5)
    proc.send_signal(sig)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    last = json.loads(rest.splitlines()[-1])
    assert last["error"]["reason"] == "cancelled" and "run the command again" in last["error"]["message"]
    gh.set_latency(0)
    _, result, again = machine_run(
        "push", str(root), "--owner", "octo", "--github-url", gh.api_url, env={"GITHUB_TOKEN": gh.token}
    )
    assert again.returncode == 0, again.stderr
    assert sorted(result["pushed"]) == ["development", "production", "staging"] or result.get("nothing_to_do")
    assert run_cli("status", str(root)).returncode == 0
