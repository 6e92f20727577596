"""Evidence for a promotion: what changes when one branch's work goes to the next.

    python -m src.helpers.promotion development staging                  Markdown on stdout
    python -m src.helpers.promotion development staging --summary FILE   ... appended to FILE (job summary)
    python -m src.helpers.promotion development staging --json           for tools (`jupyter mlops promote`)
    ... --from-ref REF --to-ref REF     the commits to compare (default origin/<branch>, else <branch>)
    ... --no-registry                   leave MLflow out (the pull-request workflow has no secrets)

Each branch is checked out aside (a temporary git worktree; your checkout is not touched) and gives:

- its configuration: src/pipelines/<branch>/config.yaml and platform.yaml, key by key (``params.alpha``);
- its pipeline, compiled by its own ``main.py --compile-only``: what that branch runs (pipeline_diff.py
  compares steps, images and parameters);
- when the MLflow registry answers: the version of the branch's model marked ``@deployed`` (its metrics, the
  data version it was trained on, its commit).

A branch without its own folder (a feature branch) is read with the target branch's configuration: what the
target would run after the merge. Nothing is written but the summary file; no secret is read but MLflow's
login (MLFLOW_TRACKING_*), and only to read the registry.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from src.helpers import pipeline_diff
from src.helpers.config import ROOT, ConfigError, load_branch_config
from src.helpers.report import md_text as _md

TIMEOUT = 600  # seconds for one branch's compile (kfp import, the pipeline module, the compiler)
METRICS = ("rmse", "r2", "mae")
MAX_FILES = 40
RUN_IDENTITY = {"branch", "commit", "trigger"}


@dataclass
class Side:
    branch: str  # the git branch (or ref) compared
    ref: str
    commit: str
    config_branch: str  # whose src/pipelines/<branch>/ configuration it runs
    config: dict[str, str] = field(default_factory=dict)
    compile_error: str = ""
    model: dict[str, str] = field(default_factory=dict)  # the @deployed version, or {"note": why not}


@dataclass
class Evidence:
    source: Side
    target: Side
    config: list[dict[str, str]] = field(default_factory=list)  # {"key", "source", "target"}
    pipeline: pipeline_diff.PipelineDiff | None = None
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["markdown"] = markdown(self)
        return out


def git(*args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise ConfigError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def default_ref(branch: str) -> str:
    """origin's branch when this clone knows it (what a pull request compares), else the local branch."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        found = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", ref], cwd=ROOT, capture_output=True
        )
        if found.returncode == 0:
            return ref
    raise ConfigError(f"there is no branch {branch!r} here (origin/{branch} or {branch}); fetch it first")


@contextlib.contextmanager
def checked_out(ref: str, parent: Path, name: str) -> Iterator[Path]:
    """The tree at ``ref`` in a temporary worktree (removed afterwards, whatever happens)."""
    folder = parent / name
    git("worktree", "add", "--detach", "--quiet", str(folder), commit_of(ref))
    try:
        yield folder
    finally:
        remove = ["git", "worktree", "remove", "--force", str(folder)]
        subprocess.run(remove, cwd=ROOT, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def flat(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def commit_of(ref: str) -> str:
    """The commit a ref names (never read as an option: a ref may come from a pull request's event)."""
    try:
        return git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except ConfigError:
        raise ConfigError(f"{ref!r} names no commit in this clone; fetch it: git fetch origin") from None


def read_side(branch: str, ref: str, tree: Path, config_branch: str, output: Path, registry: bool) -> Side:
    side = Side(branch, ref, commit_of(ref), config_branch)
    folder = tree / "src" / "pipelines" / config_branch
    for name in ("config.yaml", "platform.yaml"):
        try:
            side.config.update(flat(yaml.safe_load((folder / name).read_text(encoding="utf-8")) or {}))
        except (OSError, yaml.YAMLError) as exc:
            side.compile_error = f"cannot read src/pipelines/{config_branch}/{name}: {exc}"
            return side
    env = {k: v for k, v in os.environ.items() if k not in ("DATA_URI", "KFP_HOST", "PYTHONPATH")}
    command = [sys.executable, str(folder / "main.py"), "--compile-only", "--output", str(output)]
    try:
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        side.compile_error = f"compiling did not finish within {TIMEOUT} s"
    else:
        if proc.returncode:
            last = (proc.stdout + proc.stderr).strip().splitlines()
            side.compile_error = f"does not compile: {last[-1] if last else f'exit code {proc.returncode}'}"
    side.model = deployed_model(config_branch, tree) if registry else {"note": "not read (--no-registry)"}
    return side


def deployed_model(branch: str, tree: Path) -> dict[str, str]:
    """The branch's @deployed version in its MLflow registry, or {"note": why it is not shown}."""
    try:
        config = load_branch_config(branch, root=tree)
    except ConfigError as exc:
        return {"note": str(exc)}
    model = str(config.params.get("model_name") or "")
    if not (config.mlflow_uri and model):
        return {"note": "no MLflow registry configured (mlflow.uri, model_name)"}
    from src.helpers.kfp_client import in_cluster
    from src.helpers.preflight import MLFLOW_LIMITS, _cluster_only, _limited

    if _cluster_only(config.mlflow_uri) and not in_cluster():
        return {"note": f"{config.mlflow_uri} is reached inside the cluster only"}
    try:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=config.mlflow_uri, registry_uri=config.mlflow_uri)
        with _limited(MLFLOW_LIMITS):
            version = client.get_model_version_by_alias(model, "deployed")
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return {"note": f"no version of {model} is deployed"}
        reason = str(exc).splitlines()[0][:160]
        return {"note": f"the registry at {config.mlflow_uri} did not answer: {reason}"}
    tags = version.tags or {}
    found = {"model": model, "version": str(version.version)}
    found.update({k: tags[k] for k in (*METRICS, "data_version", "commit", "trigger") if tags.get(k)})
    return found


def compare(
    source: str, target: str, *, source_ref: str = "", target_ref: str = "", registry: bool = True
) -> Evidence:
    source_ref, target_ref = source_ref or default_ref(source), target_ref or default_ref(target)
    with tempfile.TemporaryDirectory(prefix="promotion-") as scratch:
        work = Path(scratch)
        sides = []
        for name, branch, ref in (("source", source, source_ref), ("target", target, target_ref)):
            with checked_out(ref, work, name) as tree:
                plain = re.fullmatch(r"[A-Za-z0-9._/-]+", branch) and ".." not in branch
                own = bool(plain) and (tree / "src" / "pipelines" / branch / "main.py").is_file()
                config_branch = branch if own else target
                sides.append(read_side(branch, ref, tree, config_branch, work / f"{name}.yaml", registry))
        evidence = Evidence(*sides)
        a, b = evidence.source.config, evidence.target.config
        evidence.config = [
            {"key": key, "source": a.get(key, ""), "target": b.get(key, "")}
            for key in sorted(set(a) | set(b))
            if a.get(key, "") != b.get(key, "")
        ]
        if not (evidence.source.compile_error or evidence.target.compile_error):
            evidence.pipeline = pipeline_diff.compare(work / "source.yaml", work / "target.yaml")
            # What names the run (branch, commit, trigger) differs by nature: not a difference of substance.
            kept = [p for p in evidence.pipeline.parameters if p.name not in RUN_IDENTITY]
            evidence.pipeline.parameters = kept
    changed = git("diff", "--name-status", f"{evidence.target.commit}...{evidence.source.commit}")
    evidence.files = [line.replace("\t", " ") for line in changed.splitlines() if line.strip()]
    return evidence


# ---------------------------------------------------------------- Markdown


def markdown(evidence: Evidence) -> str:
    s, t = evidence.source, evidence.target
    lines = [
        f"### Promotion evidence: {_md(s.branch)} → {_md(t.branch)}",
        "",
        f"{_md(s.branch)} at {s.commit[:12]} against {_md(t.branch)} at {t.commit[:12]}: each branch's own "
        "configuration and its pipeline compiled by its own `main.py`.",
        "",
        "#### Configuration and parameters",
        "",
    ]
    if evidence.config:
        lines += [f"| setting | {_md(s.config_branch)} | {_md(t.config_branch)} |", "|---|---|---|"]
        lines += [f"| {_md(c['key'])} | {_md(c['source'])} | {_md(c['target'])} |" for c in evidence.config]
    else:
        lines.append("No differences.")
    lines += ["", "#### Compiled pipeline", ""]
    diff = evidence.pipeline
    if s.compile_error or t.compile_error:
        lines += [f"- {_md(x.branch)}: {_md(x.compile_error)}" for x in (s, t) if x.compile_error]
    elif diff is None or diff.empty:
        lines.append("The same steps, images and parameters.")
    else:
        if diff.steps:
            lines += ["| step | change |", "|---|---|"]
            for c in diff.steps:
                lines.append(
                    f"| {_md(c.name)} | {_md(': '.join([c.change, '; '.join(c.details)]).rstrip(': '))} |"
                )
        if diff.parameters:
            lines += ["", f"| parameter default | {_md(s.branch)} | {_md(t.branch)} |", "|---|---|---|"]
            lines += [f"| {_md(p.name)} | {_md(p.source)} | {_md(p.target)} |" for p in diff.parameters]
        for change in (c for c in diff.steps if c.code_diff):
            shown = "\n".join(change.code_diff.splitlines()[:120])
            fence = _fence(shown)
            summary = f"<details><summary>{_md(change.name)}: the code</summary>"
            lines += ["", summary, "", f"{fence}diff", shown, fence, "", "</details>"]
    images = sorted({image for pair in diff.images.values() for image in pair}) if diff else []
    if images:
        lines += ["", "Images: " + ", ".join(_md(i) for i in images)]
    lines += ["", "#### Deployed models (@deployed)", ""]
    lines += [f"| | {_md(s.config_branch)} | {_md(t.config_branch)} |", "|---|---|---|"]
    for key in ("model", "version", *METRICS, "data_version", "commit", "note"):
        values = [x.model.get(key, "") for x in (s, t)]
        if any(values):
            lines.append(f"| {key.replace('_', ' ')} | {_md(values[0])} | {_md(values[1])} |")
    lines += ["", f"#### Files the merge brings ({len(evidence.files)})", ""]
    lines += [f"- {_md(f)}" for f in evidence.files[:MAX_FILES]] or ["None."]
    if len(evidence.files) > MAX_FILES:
        lines.append(f"- … and {len(evidence.files) - MAX_FILES} more")
    return "\n".join(lines) + "\n"


def _fence(code: str) -> str:
    """A code fence no line of ``code`` can close: longer than any run of tildes in it."""
    return "~" * max(4, 1 + max(map(len, re.findall("~+", code)), default=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m src.helpers.promotion", description=__doc__.splitlines()[0]
    )
    parser.add_argument("source", metavar="FROM", help="the branch whose work is promoted, e.g. development")
    parser.add_argument("target", metavar="TO", help="the branch it goes to, e.g. staging")
    parser.add_argument("--from-ref", default="", help="the commit of FROM to compare (default origin/FROM)")
    parser.add_argument("--to-ref", default="", help="the commit of TO to compare (default origin/TO)")
    parser.add_argument("--summary", type=Path, help="append the Markdown to this file (a job summary)")
    parser.add_argument("--json", action="store_true", help="print the evidence as JSON (with its Markdown)")
    parser.add_argument("--no-registry", action="store_true", help="leave MLflow's deployed models out")
    args = parser.parse_args(argv)
    try:
        refs = {"source_ref": args.from_ref, "target_ref": args.to_ref}
        evidence = compare(args.source, args.target, **refs, registry=not args.no_registry)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = markdown(evidence)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(json.dumps(evidence.to_dict()) if args.json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
