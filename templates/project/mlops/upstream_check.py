"""Check the main config repo for updates and open one pull request per branch that has some.

Run by .github/workflows/upstream-sync.yml on a schedule (and by hand: `python .mlops/upstream_check.py`).
Standard library and git only, so CI needs nothing installed. For each branch: merge the main repo's
branch into `mlops-sync/<branch>` (started from this repo's branch), keep this project's version of
every project-owned file (.mlops/ownership.toml), push, and open a pull request unless one is open.
A conflict in an org-owned file is reported (job summary and exit status 0, so the schedule keeps
running); resolve it with `jupyter mlops sync` on a clone.

Environment: GITHUB_REPOSITORY (owner/name), GITHUB_API_URL, GH_TOKEN (pull requests); optional
UPSTREAM_URL (overrides mlops.toml's upstream), GITHUB_STEP_SUMMARY, and the time limits in seconds:
MLOPS_GIT_TIMEOUT (git in this checkout, 60), MLOPS_GIT_REMOTE_TIMEOUT (fetch and push, 300),
MLOPS_HTTP_TIMEOUT (one GitHub API request, 30). A call that does not answer in time stops the check with
a message naming it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REMOTE = "mlops-upstream"
SYNC_BRANCH = "mlops-sync/{branch}"
OWNERSHIP = ".mlops/ownership.toml"


def limit(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable) or default)
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    remote = args[0] in ("fetch", "push")
    seconds = limit("MLOPS_GIT_REMOTE_TIMEOUT", 300) if remote else limit("MLOPS_GIT_TIMEOUT", 60)
    try:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        shown = " ".join([args[0], *[a for a in args[1:] if not a.startswith(("-", "+"))][:1]])
        variable, fix = (
            ("MLOPS_GIT_REMOTE_TIMEOUT", "check that the remote answers")
            if remote
            else ("MLOPS_GIT_TIMEOUT", "check the checkout for a lock or a hung hook")
        )
        raise SystemExit(
            f"git {shown} did not answer within {seconds:g} s: {fix}, or give it longer with {variable}"
        ) from None
    if check and proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return proc


def rev(ref: str) -> str | None:
    return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).stdout.strip() or None


def project_patterns(commit: str) -> list[str]:
    for source in (commit, "HEAD"):
        proc = git("show", f"{source}:{OWNERSHIP}", check=False)
        if proc.returncode == 0:
            return list(tomllib.loads(proc.stdout).get("project", [])) + ["mlops.toml"]
    return ["mlops.toml"]


def is_project(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def api(method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    url = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/") + path
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("Authorization", f"Bearer {os.environ['GH_TOKEN']}")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    seconds = limit("MLOPS_HTTP_TIMEOUT", 30)
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
    except (urllib.error.URLError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise SystemExit(
                f"the GitHub API ({method} {path}) did not answer within {seconds:g} s"
            ) from None
        raise SystemExit(f"cannot reach the GitHub API ({method} {path}): {reason}") from None


def open_pull_request(branch: str, head: str, files: list[str], kept: list[str]) -> str:
    repo = os.environ["GITHUB_REPOSITORY"]
    owner = repo.split("/")[0]
    query = urllib.parse.urlencode({"state": "open", "head": f"{owner}:{head}", "base": branch})
    status, pulls = api("GET", f"/repos/{repo}/pulls?{query}")
    if status == 200 and pulls:
        return f"updated pull request {pulls[0]['html_url']}"
    body = [f"The main config repo has updates for `{branch}`.", "", "Org-owned files updated:"]
    body += [f"- `{f}`" for f in files] or ["- (none: only project-owned files changed upstream)"]
    if kept:
        body += ["", "Project-owned files changed upstream; this project's version was kept:"]
        body += [f"- `{f}`" for f in kept]
    payload = {
        "title": f"Update {branch} from the main config repo",
        "head": head,
        "base": branch,
        "body": "\n".join(body),
    }
    status, pull = api("POST", f"/repos/{repo}/pulls", payload)
    if status != 201:
        raise SystemExit(f"GitHub refused the pull request for {branch} ({status}): {pull}")
    return f"opened pull request {pull['html_url']}"


def sync_branch(branch: str) -> str:
    theirs, ours = rev(f"refs/remotes/{REMOTE}/{branch}"), rev(f"refs/remotes/origin/{branch}")
    if theirs is None or ours is None:
        return "skipped: the branch is missing upstream or here"
    if git("merge-base", "--is-ancestor", theirs, ours, check=False).returncode == 0:
        return "up to date"
    head = SYNC_BRANCH.format(branch=branch)
    previous = rev(f"refs/remotes/origin/{head}") or ""
    git("checkout", "-q", "-B", head, ours)
    git("merge", "--no-ff", "--no-commit", "-q", theirs, check=False)
    patterns = project_patterns(theirs)
    staged = git("diff", "--cached", "--name-only", "-z", "HEAD").stdout.split("\0")
    unmerged = git("diff", "--name-only", "-z", "--diff-filter=U").stdout.split("\0")
    kept = sorted({p for p in staged + unmerged if p and is_project(p, patterns)})
    for path in kept:  # the project's version, or none when the project has none
        if git("cat-file", "-e", f"HEAD:{path}", check=False).returncode == 0:
            git("checkout", "HEAD", "--", path)
        else:
            git("rm", "-q", "-f", "--", path)
    conflicts = [p for p in git("diff", "--name-only", "-z", "--diff-filter=U").stdout.split("\0") if p]
    if conflicts:
        git("merge", "--abort")
        files = ", ".join(conflicts)
        return f"conflict in org-owned files: {files} (run `jupyter mlops sync` on a clone)"
    files = [p for p in git("diff", "--cached", "--name-only", "-z", "HEAD").stdout.split("\0") if p]
    git("commit", "-q", "--no-verify", "-m", f"Merge {branch} of the main config repo")
    git("push", "-q", f"--force-with-lease=refs/heads/{head}:{previous}", "origin", f"HEAD:refs/heads/{head}")
    return open_pull_request(branch, head, files, [p for p in kept if p != "mlops.toml"])


def main() -> int:
    settings = tomllib.loads(Path("mlops.toml").read_text(encoding="utf-8"))
    upstream = os.environ.get("UPSTREAM_URL") or settings.get("mlops", {}).get("upstream", "")
    if not upstream:
        print("mlops.toml records no upstream (this repository was not made from a main config repo).")
        return 0
    os.environ.setdefault("GIT_AUTHOR_NAME", "github-actions[bot]")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "41898282+github-actions[bot]@users.noreply.github.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", os.environ["GIT_AUTHOR_NAME"])
    os.environ.setdefault("GIT_COMMITTER_EMAIL", os.environ["GIT_AUTHOR_EMAIL"])
    if git("remote", "get-url", REMOTE, check=False).returncode != 0:
        git("remote", "add", REMOTE, upstream)
    git("fetch", "-q", "--no-tags", REMOTE, f"+refs/heads/*:refs/remotes/{REMOTE}/*")
    git("fetch", "-q", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
    lines = ["| branch | upstream check |", "| --- | --- |"]
    for branch in settings.get("project", {}).get("branches", []):
        outcome = sync_branch(branch)
        print(f"{branch}: {outcome}")
        lines.append(f"| {branch} | {outcome} |")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
