"""promote: open the pull request that moves one branch's work to the next (development → staging,
staging → production). Only those steps: skipping a stage, or going backwards, is refused with a
clear message, so production only ever receives what staging ran.

The pull request carries its evidence (evidence.py): the branches' configuration and compiled pipelines
compared and, when the registry answers, their deployed models side by side; the plan shows it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInput
from ..github.client import GitHubClient
from ..github.pulls import find_open_pull_request, open_pull_request, repo_of_url
from ..progress import Progress, null_progress
from ..vcs import gitcli
from ..vcs.remote import get_url, redact
from .evidence import Evidence, gather
from .init import load_project_spec

TITLE = "Promote {source} to {target}"


@dataclass
class PromotePlan:
    root: Path
    source: str
    target: str
    full_name: str
    origin_url: str
    _client: GitHubClient = field(repr=False)
    notes: list[str] = field(default_factory=list)
    evidence: Evidence | None = None

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "from": self.source,
            "to": self.target,
            "repository": self.full_name,
            "notes": self.notes,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }

    def describe(self) -> list[str]:
        lines = [f"Open a pull request {self.source} → {self.target} in {self.full_name}", *self.notes]
        if self.evidence is not None:
            lines += ["", *(self.evidence.markdown or f"No promotion evidence: {self.evidence.note}").splitlines()]
        return lines


@dataclass
class PromoteResult:
    status: str  # opened | exists | nothing
    number: int | None = None
    url: str | None = None
    commits: int = 0
    evidence: dict | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check_direction(branches: list[str], source: str, target: str) -> None:
    steps = list(zip(branches, branches[1:], strict=False))
    allowed = " or ".join(f"{a} → {b}" for a, b in steps)
    for name in (source, target):
        if name not in branches:
            raise InvalidInput(
                f"{name!r} is not one of the project's branches ({', '.join(branches)}); promote goes {allowed}"
            )
    if (source, target) not in steps:
        if source == target:
            why = "the same branch"
        elif branches.index(source) > branches.index(target):
            why = "backwards (fixes go in at the first branch and are promoted forward)"
        else:
            why = f"a skipped stage ({source} must go through {branches[branches.index(source) + 1]} first)"
        raise InvalidInput(f"Cannot promote {source} → {target}: {why}. Promote goes one step: {allowed}")


def plan_promote(root: Path | str, source: str, target: str, *, github: GitHubClient | None = None) -> PromotePlan:
    root = Path(root).absolute()
    spec = load_project_spec(root)
    if spec is None:
        raise InvalidInput(f"{root} has no mlops.toml; run promote in a project made by jupyter-mlops")
    check_direction(spec.branch_names, source, target)
    origin = get_url(root, "origin") or ""
    full = repo_of_url(origin, github.web_url) if github is not None else None
    if not full or github is None:
        raise InvalidInput(
            f"promote opens a pull request on GitHub, and this project's origin ({redact(origin) or 'none'}) is not "
            f"a GitHub repository{' on ' + github.web_url if github is not None else ''}. Merge by hand instead: "
            f"git switch {target} && git merge {source} && git push origin {target}"
        )
    plan = PromotePlan(root, source, target, full, origin, _client=github)
    local, tracking = gitcli.branches(root).get(source), _rev(root, f"refs/remotes/origin/{source}")
    if local and tracking and local != tracking:
        plan.notes.append(
            f"note: your local {source} differs from origin's; the pull request takes origin's "
            f"{source} (push first to include your commits)"
        )
    refs = [_rev(root, f"refs/remotes/origin/{b}") or gitcli.branches(root).get(b) for b in (source, target)]
    source_ref, target_ref = refs
    if source_ref and target_ref:  # what this clone knows of origin's branches; apply compares GitHub's, once fetched
        plan.evidence = gather(root, source, target, source_ref=source_ref, target_ref=target_ref)
    return plan


def _rev(root: Path, ref: str) -> str | None:
    return gitcli.git(["rev-parse", "--verify", "--quiet", ref], root, check=False).stdout.strip() or None


def apply_promote(plan: PromotePlan, progress: Progress | None = None) -> PromoteResult:
    progress = progress or null_progress()
    client = plan._client
    compare = client.request(
        "GET", f"/repos/{plan.full_name}/branches?per_page=100", what=f"reading the branches of {plan.full_name}"
    )
    heads = {b["name"]: b["commit"]["sha"] for b in compare.data or []}
    for name in (plan.source, plan.target):
        if name not in heads:
            raise InvalidInput(f"{plan.full_name} has no branch {name} on GitHub; push it first (jupyter mlops push)")
    existing = find_open_pull_request(client, plan.full_name, head=plan.source, base=plan.target)
    if existing:
        progress.emit(
            "promote",
            "skip",
            f"Pull request #{existing['number']} {plan.source} → {plan.target} is already open",
            existing["html_url"],
        )
        return PromoteResult("exists", existing["number"], existing["html_url"])
    gitcli.git(
        ["fetch", "--quiet", "--no-tags", "origin"], plan.root, env=client.git_auth_env(plan.origin_url), check=False
    )
    ahead = gitcli.git(
        ["rev-list", "--count", f"{heads[plan.target]}..{heads[plan.source]}"], plan.root, check=False
    ).stdout.strip()
    if ahead == "0":
        progress.emit("promote", "skip", f"Nothing to promote: {plan.target} already has every commit of {plan.source}")
        return PromoteResult("nothing")
    evidence = plan.evidence
    if evidence is None or evidence.commits != (heads[plan.source], heads[plan.target]):
        progress.emit("evidence", "start", f"Comparing {plan.source} and {plan.target} (configuration, pipelines)")
        evidence = gather(
            plan.root, plan.source, plan.target, source_ref=heads[plan.source], target_ref=heads[plan.target]
        )
    progress.emit(
        "evidence",
        "done" if evidence.markdown else "warn",
        "Promotion evidence: configuration, compiled pipelines and deployed models compared"
        if evidence.markdown
        else f"No promotion evidence: {evidence.note}",
    )
    body = (
        f"Promotes `{plan.source}` to `{plan.target}`"
        + (f": {ahead} commit(s)." if ahead.isdigit() else ".")
        + f"\n\nOpened by `jupyter mlops promote {plan.source} {plan.target}`. When it is merged, the "
        f"`{plan.target}` workflow runs the pipeline with `{plan.target}`'s platform settings."
        + "\n\n"
        + evidence.body()
    )
    pull = open_pull_request(
        client,
        plan.full_name,
        head=plan.source,
        base=plan.target,
        title=TITLE.format(source=plan.source, target=plan.target),
        body=body,
    )
    progress.emit(
        "promote", "done", f"Opened pull request #{pull['number']} {plan.source} → {plan.target}", pull["html_url"]
    )
    commits = int(ahead) if ahead.isdigit() else 0
    return PromoteResult("opened", pull["number"], pull["html_url"], commits, evidence.to_dict())
