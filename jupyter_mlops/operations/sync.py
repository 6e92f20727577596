"""sync: bring the main config repo's updates into project repos, branch by branch.

- ``plan_sync(PATH)`` in a project clone: fetch ``upstream`` (the main repo), merge ``upstream/<b>``
  into each branch, push the merges to ``origin`` (or, with ``pr``, push ``mlops-sync/<b>`` and open a
  pull request).
- ``plan_sync(PATH, all_projects=True)`` in the main repo's clone: every project made from it (the
  projects ``new`` recorded, and the GitHub fork network) is fetched into a scratch repository that
  borrows the main clone's objects, merged and pushed back; one summary table at the end.

Rules users count on: project-owned files keep the project's version; a true conflict in an org-owned
file is reported file by file and that branch is left exactly as it was (same commit, same work tree);
nothing is half-merged (merges are computed in git objects, branches move by compare-and-swap); a
second run with nothing new changes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import payloads
from ..errors import InvalidInput, MlopsError
from ..github.client import GitHubClient
from ..github.forks import list_forks
from ..github.pulls import open_pull_request, repo_of_url
from ..progress import Progress, null_progress
from ..safepaths import outside, scratch_dir
from ..settings.spec import ProjectSpec
from ..settings.validators import check_git_url
from ..vcs import gitcli, registry
from ..vcs.remote import _push_error, get_url, redact
from ..vcs.upstream import (
    CONFLICT,
    PR_OPENED,
    SKIPPED,
    UP_TO_DATE,
    UPDATED,
    BranchMerge,
    is_ancestor,
    merge_upstream,
    rev,
)
from .init import load_project_spec

UPSTREAM = "upstream"
ORIGIN = "origin"
SYNC_BRANCH = "mlops-sync/{branch}"
MESSAGE = "Merge {branch} of the main config repo ({upstream})"
CONCURRENCY = 4


# ---------------------------------------------------------------- results


@dataclass
class ProjectSync:
    name: str
    url: str
    branches: list[BranchMerge] = field(default_factory=list)
    error: str = ""

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        states = {b.status for b in self.branches}
        for state in (CONFLICT, PR_OPENED, UPDATED, SKIPPED):
            if state in states:
                return state
        return UP_TO_DATE

    def to_dict(self) -> payloads.SyncProject:
        return {
            "name": self.name,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "branches": [b.to_dict() for b in self.branches],
        }


@dataclass
class SyncResult:
    projects: list[ProjectSync]
    branches: list[str]

    def to_dict(self) -> payloads.SyncResult:
        return {"projects": [p.to_dict() for p in self.projects], "branches": self.branches}

    @property
    def conflicts(self) -> int:
        return sum(1 for p in self.projects for b in p.branches if b.status == CONFLICT)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.projects if p.error)

    def table(self) -> list[str]:
        """One row per project, one column per branch: up to date / updated / PR opened / conflict."""
        head = ["project", *self.branches]
        rows = []
        for p in self.projects:
            by_branch = {b.branch: b.status for b in p.branches}
            cells = ["error"] * len(self.branches) if p.error else [by_branch.get(b, "-") for b in self.branches]
            rows.append([p.name, *cells])
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        line = "  ".join
        out = [line(h.ljust(w) for h, w in zip(head, widths, strict=True)), line("-" * w for w in widths)]
        out += [line(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        counts: dict[str, int] = {}
        for p in self.projects:
            for b in p.branches:
                counts[b.status] = counts.get(b.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        out.append(
            f"{len(self.projects)} projects; branches: {summary or 'none'}"
            + (f"; {self.errors} projects failed" if self.errors else "")
        )
        return out

    def details(self) -> list[str]:
        """What a user must act on: each conflict file by file, each error and note."""
        lines = []
        for p in self.projects:
            if p.error:
                lines.append(f"{p.name}: {p.error}")
            for b in p.branches:
                if b.status == CONFLICT:
                    lines.append(
                        f"{p.name} {b.branch}: conflict; the branch was left as it was "
                        f"({(b.ours or '')[:12]}). Org-owned files changed on both sides:"
                    )
                    lines += [f"    {c.path}  ({c.kind})" for c in b.conflicts]
                elif b.note:
                    lines.append(f"{p.name} {b.branch}: {b.note}")
        return lines


# ---------------------------------------------------------------- plan


@dataclass
class SyncPlan:
    root: Path
    spec: ProjectSpec
    mode: str  # project | all
    upstream_url: str
    origin_url: str | None
    pr: bool
    projects: list[registry.ProjectEntry] = field(default_factory=list)
    github: GitHubClient | None = field(default=None, repr=False)  # when a GitHub API is involved

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "mode": self.mode,
            "upstream": _redact(self.upstream_url),
            "origin": _redact(self.origin_url) if self.origin_url else None,
            "pr": self.pr,
            "branches": self.spec.branch_names,
            "projects": [p.to_dict() for p in self.projects],
        }

    def describe(self) -> list[str]:
        how = (
            "push mlops-sync/<branch> and open a pull request"
            if self.pr
            else "push the merge"
            if self.origin_url or self.mode == "all"
            else "update the local branches"
        )
        if self.mode == "project":
            return [
                f"Sync {self.spec.name} ({self.root}) from {_redact(self.upstream_url)}:",
                f"  fetch upstream; merge upstream/<branch> into {', '.join(self.spec.branch_names)}; {how}",
                "  project-owned files keep this project's version; a conflicting branch is left as it is",
            ]
        lines = [
            f"Sync every project made from {self.spec.name} ({_redact(self.upstream_url)}): {len(self.projects)} found"
        ]
        lines += [f"  {p.name}  {_redact(p.url)}  ({p.method})" for p in self.projects]
        lines.append(f"  for each: merge the main repo's {', '.join(self.spec.branch_names)}; {how}")
        return lines


def _redact(url: str) -> str:
    return redact(url)


def check_local(root: Path, *, all_projects: bool) -> ProjectSpec:
    """The refusals that need no network: the folder is a project (or, with --all, the main repo) in git."""
    spec = load_project_spec(root)
    if spec is None:
        raise InvalidInput(
            f"{root} has no mlops.toml: run sync in a project (or, with --all, the main repo) made by jupyter-mlops"
        )
    if not gitcli.is_repo(root):
        raise InvalidInput(f"{root} is not a git repository; sync works on a clone of the project")
    if all_projects and spec.kind != "main":
        raise InvalidInput(
            f"{spec.name} is a project, not a main config repo: run `sync --all` in the main "
            "repo's folder, or `sync` without --all to update this project"
        )
    if not all_projects and spec.kind == "main":
        raise InvalidInput(
            f"{spec.name} is the main config repo; it has no upstream. Use `sync --all` here "
            "to update every project made from it"
        )
    if not all_projects:
        _upstream(root, spec)
    return spec


def _upstream(root: Path, spec: ProjectSpec) -> str:
    upstream = get_url(root, UPSTREAM) or spec.upstream
    if not upstream:
        raise InvalidInput(
            f"{spec.name} has no upstream: mlops.toml records none and there is no 'upstream' "
            "remote. Add it (git remote add upstream URL-OF-THE-MAIN-REPO) and run sync again"
        )
    return upstream


def plan_sync(
    root: Path | str, *, all_projects: bool = False, pr: bool = False, github: GitHubClient | None = None
) -> SyncPlan:
    """``github``: a GitHubClient, needed for ``pr`` and for the fork network of a main repo on GitHub."""

    root = Path(root).absolute()
    spec = check_local(root, all_projects=all_projects)
    origin = get_url(root, ORIGIN)
    if all_projects:
        main_url = origin or str(root)
        projects = _find_projects(root, main_url, github)
        plan = SyncPlan(root, spec, "all", main_url, origin, pr, projects, github)
    else:
        plan = SyncPlan(root, spec, "project", _upstream(root, spec), origin, pr, [], github)
    if pr:
        _require_github_for_pr(plan)
    return plan


def _require_github_for_pr(plan: SyncPlan) -> None:
    client = plan.github
    targets = [p.url for p in plan.projects] if plan.mode == "all" else [plan.origin_url or ""]
    off = [t for t in targets if not (client and repo_of_url(t, client.web_url))]
    if off:
        where = client.web_url if client else "GitHub"
        names = ", ".join(_redact(t) or "no origin" for t in off)
        raise InvalidInput(
            f"--pr opens pull requests on GitHub, and these repositories are not on {where}: {names}. "
            "Run sync without --pr (it pushes the merges), or give --github-url for GitHub Enterprise"
        )


def _find_projects(root: Path, main_url: str, github: GitHubClient | None) -> list[registry.ProjectEntry]:
    found = {p.url: p for p in registry.read(root, main_url, env=_auth(github, main_url))}
    if github is not None:
        full = repo_of_url(main_url, github.web_url)
        if full:
            known = {p.github.lower() for p in found.values() if p.github}
            for fork in list_forks(github, full):
                if fork["full_name"].lower() not in known:
                    found[fork["clone_url"]] = registry.ProjectEntry(
                        fork["name"], fork["clone_url"], fork["full_name"], "fork"
                    )
    return sorted(found.values(), key=lambda p: p.name)


def _auth(github: GitHubClient | None, url: str) -> dict[str, str] | None:
    """git's environment for ``url``: the token as a header when the URL is on the GitHub host we talk to."""
    if github is None or not url.startswith(github.web_url.rstrip("/") + "/"):
        return None
    return github.git_auth_env(url)


# ---------------------------------------------------------------- apply


def apply_sync(plan: SyncPlan, progress: Progress | None = None) -> SyncResult:
    progress = progress or null_progress()
    gitcli.identity(plan.root)
    if plan.mode == "project":
        result = SyncResult([_sync_clone(plan, progress)], plan.spec.branch_names)
    else:
        result = SyncResult(_sync_all(plan, progress), plan.spec.branch_names)
    return result


def _sync_clone(plan: SyncPlan, progress: Progress) -> ProjectSync:
    """Sync the project clone at plan.root: local branches move, merges are pushed to origin."""
    root = plan.root
    outcome = ProjectSync(plan.spec.name, plan.origin_url or str(root))
    _ensure_upstream_remote(root, plan.upstream_url)
    progress.emit("fetch", "start", f"Fetching {_redact(plan.upstream_url)}")
    _fetch(root, UPSTREAM, plan.upstream_url, plan.github)
    if plan.origin_url:
        _fetch(root, ORIGIN, plan.origin_url, plan.github)
    progress.emit("fetch", "done", "Fetched the main repo" + (" and origin" if plan.origin_url else ""))
    head = gitcli.head_branch(root)
    local = gitcli.branches(root)
    pushes: list[tuple[BranchMerge, str | None]] = []  # (merge, remote sha before)
    for branch in plan.spec.branch_names:
        progress.check_cancelled()
        theirs = rev(root, f"refs/remotes/{UPSTREAM}/{branch}")
        remote_sha = rev(root, f"refs/remotes/{ORIGIN}/{branch}") if plan.origin_url else None
        mine = local.get(branch)
        if theirs is None:
            outcome.branches.append(BranchMerge(branch, SKIPPED, mine, note=f"the main repo has no {branch} branch"))
            continue
        ours, ahead, problem = _base(root, mine, remote_sha)
        if problem:
            outcome.branches.append(BranchMerge(branch, SKIPPED, mine, theirs, note=problem))
            continue
        merge = merge_upstream(
            root, branch, ours, theirs, MESSAGE.format(branch=branch, upstream=_redact(plan.upstream_url))
        )
        outcome.branches.append(merge)
        message = MESSAGE.format(branch=branch, upstream=_redact(plan.upstream_url))
        if merge.status == UP_TO_DATE and ahead and not plan.pr and _only_merges(root, remote_sha, mine, message):
            # An earlier sync merged here and was stopped before its push: finish that push.
            merge.status, merge.ours, merge.commit = UPDATED, remote_sha, mine
            merge.note = "pushed the merge an interrupted sync had made"
            pushes.append((merge, remote_sha))
            _report(progress, plan.spec.name, merge)
            continue
        if merge.status != UPDATED:
            _report(progress, plan.spec.name, merge)
            continue
        if plan.pr:
            pushes.append((merge, rev(root, f"refs/remotes/{ORIGIN}/{SYNC_BRANCH.format(branch=branch)}")))
            continue
        if mine is not None and not _move_local(root, branch, mine, merge, head):
            continue
        if plan.origin_url and ahead:
            merge.note = (
                f"merged locally; {branch} also has commits not on origin, so it was not pushed: "
                f"push it when ready (git push origin {branch})"
            )
        elif plan.origin_url:
            pushes.append((merge, remote_sha))
        _report(progress, plan.spec.name, merge)
    if pushes:
        _push(root, plan.origin_url or "", plan, outcome.name, pushes, progress)
    return outcome


def _base(root: Path, mine: str | None, remote: str | None) -> tuple[str, bool, str]:
    """The commit to merge into: (base, local is ahead of origin, problem)."""

    if mine and remote:
        if mine == remote or is_ancestor(root, mine, remote):
            return remote, False, ""
        if is_ancestor(root, remote, mine):
            return mine, True, ""
        return mine, False, "the local branch and origin have diverged; pull (git pull) first, then sync again"
    if mine or remote:
        return mine or remote or "", False, ""
    return "", False, "the project has no such branch"


def _only_merges(root: Path, base: str | None, tip: str | None, message: str) -> bool:
    """The commits ``base..tip`` are all merges sync made for this branch (nothing of the user's)."""
    if not (base and tip):
        return False
    proc = gitcli.git(["log", "--first-parent", "--format=%P%x00%B%x01", f"{base}..{tip}", "--"], root, check=False)
    commits = [c for c in proc.stdout.split("\x01") if c.strip()]
    return (
        proc.returncode == 0
        and bool(commits)
        and all(
            len(parents.split()) == 2 and body.strip() == message
            for parents, _, body in (c.strip("\n").partition("\0") for c in commits)
        )
    )


def _move_local(root: Path, branch: str, old: str, merge: BranchMerge, head: str | None) -> bool:
    """Move the local branch to the merge; the checked-out one through a fast-forward of the work tree."""
    if branch == head:
        escaping = outside(root, merge.changed)
        if escaping:
            merge.status, merge.commit = SKIPPED, None
            merge.note = (
                "the update would write through a symbolic link leading outside the project "
                f"({', '.join(f'{p} → {t}' for p, t in sorted(escaping.items()))}); nothing was changed. Remove "
                "the link, then sync again"
            )
            return False
        proc = gitcli.git(["merge", "--ff-only", "--quiet", merge.commit or ""], root, check=False)
        if proc.returncode != 0:
            merge.status = SKIPPED
            merge.note = (
                "your uncommitted changes touch files the update changes; commit or stash them, then "
                "sync again (nothing was changed)"
            )
            merge.commit = None
            return False
        return True
    proc = gitcli.git(["update-ref", f"refs/heads/{branch}", merge.commit or "", old], root, check=False)
    if proc.returncode != 0:
        merge.status, merge.commit = SKIPPED, None
        merge.note = f"{branch} moved while sync ran; run sync again"
        return False
    return True


def _ensure_upstream_remote(root: Path, url: str) -> None:
    if get_url(root, UPSTREAM) is None:
        url = gitcli.check_argument(url, "the upstream URL")
        gitcli.git(["remote", "add", "--end-of-options", UPSTREAM, url], root)


def _fetch(root: Path, name: str, url: str, github: GitHubClient | None) -> None:
    proc = gitcli.git(
        ["fetch", "--quiet", "--no-tags", "--prune", "--end-of-options", name],
        root,
        env=_auth(github, url),
        check=False,
        remote=url,
    )
    if proc.returncode != 0:
        raise _push_error(proc.stderr, url, "fetch from")


def _report(progress: Progress, project: str, merge: BranchMerge) -> None:
    if merge.status == CONFLICT:
        files = ", ".join(c.path for c in merge.conflicts)
        progress.emit("merge", "warn", f"{project} {merge.branch}: conflict in {files}; branch left as it was")
    elif merge.status == UPDATED:
        kept = f"; kept the project's {len(merge.kept)} file(s)" if merge.kept else ""
        progress.emit(
            "merge", "done", f"{project} {merge.branch}: merged {len(merge.changed)} org file change(s){kept}"
        )
    elif merge.status == SKIPPED:
        progress.emit("merge", "warn", f"{project} {merge.branch}: skipped: {merge.note}")
    else:
        progress.emit("merge", "skip", f"{project} {merge.branch}: up to date")


def _push(
    repo: Path, url: str, plan: SyncPlan, project: str, pushes: list[tuple[BranchMerge, str | None]], progress: Progress
) -> None:
    """One push for every merged branch; with ``pr``, push mlops-sync/<b> and open the pull requests."""
    args = ["push", "--porcelain"]
    for merge, expected in pushes:
        target = SYNC_BRANCH.format(branch=merge.branch) if plan.pr else merge.branch
        args.append(f"--force-with-lease=refs/heads/{target}:{expected or ''}")
    args += ["--end-of-options", gitcli.check_argument(url, "the project's URL")]
    for merge, _ in pushes:
        target = SYNC_BRANCH.format(branch=merge.branch) if plan.pr else merge.branch
        args.append(f"{merge.commit}:refs/heads/{target}")
    proc = gitcli.git(args, repo, env=_auth(plan.github, url), check=False, remote=url)
    rejected = _rejected(proc.stdout)
    for merge, _ in pushes:
        target = SYNC_BRANCH.format(branch=merge.branch) if plan.pr else merge.branch
        if proc.returncode != 0 and (target in rejected or not rejected):
            merge.status = SKIPPED
            merge.note = (
                f"the push to {target} was refused ({rejected.get(target) or _last_line(proc.stderr)}); "
                "if someone pushed meanwhile, run sync again; a protected branch takes `sync --pr`"
            )
            progress.emit("push", "warn", f"{project} {merge.branch}: {merge.note}")
    if plan.pr:
        _open_prs(plan, url, project, [m for m, _ in pushes if m.status == UPDATED], progress)
    elif proc.returncode == 0:
        progress.emit("push", "done", f"{project}: pushed {', '.join(m.branch for m, _ in pushes)}")


def _rejected(porcelain: str) -> dict[str, str]:
    out = {}
    for line in porcelain.splitlines():
        if line.startswith("!"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out[parts[1].split(":")[-1].removeprefix("refs/heads/")] = parts[2]
    return out


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "git push failed"


def _open_prs(plan: SyncPlan, url: str, project: str, merges: list[BranchMerge], progress: Progress) -> None:
    github = plan.github
    full = repo_of_url(url, github.web_url) if github else None
    if github is None or full is None:  # plan_sync refuses --pr for projects that are not on this GitHub
        raise InvalidInput(f"{redact(url)} is not a repository on GitHub: sync cannot open a pull request there")
    for merge in merges:
        body = _pr_body(plan, merge)
        pull = open_pull_request(
            github,
            full,
            head=SYNC_BRANCH.format(branch=merge.branch),
            base=merge.branch,
            title=f"Update {merge.branch} from the main config repo",
            body=body,
        )
        merge.status, merge.link = PR_OPENED, pull["html_url"]
        progress.emit("pr", "done", f"{project} {merge.branch}: pull request #{pull['number']}", pull["html_url"])


def _pr_body(plan: SyncPlan, merge: BranchMerge) -> str:
    lines = [
        f"`jupyter mlops sync --pr` merged `{merge.branch}` of the main config repo "
        f"({_redact(plan.upstream_url)}) into this branch.",
        "",
    ]
    if merge.changed:
        lines += ["Org-owned files updated:", *[f"- `{p}`" for p in merge.changed], ""]
    if merge.kept:
        lines += [
            "Project-owned files the main repo changed; this project's version was kept:",
            *[f"- `{p}`" for p in merge.kept],
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------- --all


def _sync_all(plan: SyncPlan, progress: Progress) -> list[ProjectSync]:
    root = plan.root
    if plan.origin_url:
        _fetch(root, ORIGIN, plan.origin_url, plan.github)
    upstream: dict[str, str] = {}
    for branch in plan.spec.branch_names:
        sha = rev(root, f"refs/remotes/{ORIGIN}/{branch}") if plan.origin_url else rev(root, f"refs/heads/{branch}")
        if sha:
            upstream[branch] = sha
        local = rev(root, f"refs/heads/{branch}")
        if plan.origin_url and local and sha and local != sha:
            progress.emit(
                "main",
                "warn",
                f"the main repo's local {branch} differs from origin; projects get "
                f"origin's {branch} (push yours first to include it)",
            )
    objects = Path(gitcli.git(["rev-parse", "--git-path", "objects"], root).stdout.strip())
    objects = objects if objects.is_absolute() else root / objects
    progress.emit("projects", "info", f"{len(plan.projects)} projects to sync")
    workers = max(1, min(CONCURRENCY, len(plan.projects)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlops-sync") as pool:
        futures = [
            pool.submit(_sync_remote_project, plan, entry, upstream, objects, progress) for entry in plan.projects
        ]
        return [f.result() for f in futures]


def _sync_remote_project(
    plan: SyncPlan, entry: registry.ProjectEntry, upstream: dict[str, str], objects: Path, progress: Progress
) -> ProjectSync:
    """Fetch one project into a scratch repository that borrows the main clone's objects; merge; push."""
    outcome = ProjectSync(entry.name, entry.url)
    work = scratch_dir(Path(tempfile.gettempdir()), "mlops-sync-")
    try:
        progress.check_cancelled()
        if problem := check_git_url(entry.url):
            outcome.error = f"its recorded URL cannot be used: {problem}"
            progress.emit("fetch", "fail", f"{entry.name}: {outcome.error}")
            return outcome
        gitcli.git(["init", "-q", "--bare"], work)
        (work / "objects" / "info" / "alternates").write_text(str(objects) + "\n")
        env = _auth(plan.github, entry.url)
        refs = ["+refs/heads/*:refs/heads/*"]
        proc = gitcli.git(
            ["fetch", "--quiet", "--no-tags", "--end-of-options", entry.url, *refs],
            work,
            env=env,
            check=False,
            remote=entry.url,
        )
        if proc.returncode != 0:
            outcome.error = f"could not fetch {_redact(entry.url)}: {_last_line(proc.stderr)}"
            progress.emit("fetch", "fail", f"{entry.name}: {outcome.error}")
            return outcome
        heads = gitcli.branches(work)
        pushes = []
        for branch in plan.spec.branch_names:
            theirs, ours = upstream.get(branch), heads.get(branch)
            if theirs is None or ours is None:
                missing = "the main repo" if theirs is None else "the project"
                outcome.branches.append(BranchMerge(branch, SKIPPED, ours, theirs, note=f"{missing} has no {branch}"))
                continue
            merge = merge_upstream(
                work, branch, ours, theirs, MESSAGE.format(branch=branch, upstream=_redact(plan.upstream_url))
            )
            outcome.branches.append(merge)
            if merge.status == UPDATED:
                expected = heads.get(SYNC_BRANCH.format(branch=branch)) if plan.pr else ours
                pushes.append((merge, expected))
            else:
                _report(progress, entry.name, merge)
        if pushes:
            _push(work, entry.url, plan, entry.name, pushes, progress)
            for merge, _ in pushes:
                if merge.status == UPDATED:
                    _report(progress, entry.name, merge)
    except MlopsError as exc:  # one project's trouble (a bad ownership file, git failing) does not stop the rest
        outcome.error = str(exc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return outcome
