"""Helpers for the organisation stories (main config repo, `new`, `sync`, `promote`): real git, and the
GitHub stand-in with its fork and pull-request endpoints (tests.standins.github_forks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import tests.standins.github_forks  # noqa: F401  (registers the fork and pull-request routes)
from tests.conftest import git, run_cli

BRANCHES = ["development", "staging", "production"]
NEW_HOST = "https://kubeflow.acme.example/pipeline"


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def show(repo: Path | str, ref: str, path: str) -> str:
    """A file as committed on ``ref`` (a bare repository works too); '' when absent."""
    proc = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=repo, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else ""


def heads(repo: Path | str) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
    return dict(line.split(" ", 1) for line in out.splitlines())


def commit_on_branches(clone: Path, edit, message: str, branches=BRANCHES, push: bool = True) -> None:
    """Run ``edit(clone, branch)`` on each branch of a clone, commit, and push them all."""
    start = git(clone, "branch", "--show-current").strip()
    for b in branches:
        git(clone, "checkout", "-q", b)
        edit(clone, b)
        git(clone, "commit", "-q", "-am", message)
    git(clone, "checkout", "-q", start)
    if push:
        git(clone, "push", "-q", "origin", *branches)


def change_platform_host(clone: Path, branch: str, host: str = NEW_HOST) -> None:
    path = clone / "src" / "pipelines" / branch / "platform.yaml"
    lines = path.read_text().splitlines(keepends=True)
    lines = [f'  host: "{host}"\n' if line.startswith("  host:") else line for line in lines]
    path.write_text("".join(lines))


def make_main_on_github(tmp: Path, gh, env: dict, owner: str = "acme") -> Path:
    """The organisation's main config repo, generated and pushed to GitHub (the stand-in)."""
    main = tmp / "acme-main"
    ok(run_cli("init", str(main), "--main", "--yes", "--set", f"owner={owner}", env=env))
    ok(run_cli("push", str(main), "--github-url", gh.api_url, "--yes", env=env))
    return main


def make_main_local(tmp: Path) -> tuple[Path, Path]:
    """A main config repo with a local bare remote: (clone, bare)."""
    main, bare = tmp / "acme-main", tmp / "remotes" / "acme-main.git"
    ok(run_cli("init", str(main), "--main", "--yes"))
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(tmp, "init", "-q", "--bare", "-b", "development", str(bare))
    ok(run_cli("push", str(main), "--remote", str(bare), "--yes"))
    return main, bare


def new_local(tmp: Path, name: str, bare_main: Path) -> Path:
    """A project made from a local main repo, with its own bare remote beside the main repo's."""
    ok(
        run_cli(
            "new", name, "--from", str(bare_main), "--remote", str(bare_main.parent / f"{name}.git"), "--yes", cwd=tmp
        )
    )
    return tmp / name
