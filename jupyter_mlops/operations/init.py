"""init: plan, then apply, the generated repository in a folder.

Rules users count on:
- a new or empty folder gets the whole repository, built aside and moved in (nothing half-written);
- a folder this tool generated gets only what is missing; files you changed are kept and listed;
- another non-empty folder gets the files when none of them is there already; otherwise a refusal
  naming the files that would need overwriting;
- a second run with the same input changes nothing and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import timeouts
from .._types import FileChange, InitMode, Owner, SpecKind
from .._version import __version__
from ..errors import Conflict, InvalidInput
from ..progress import Progress, null_progress
from ..safepaths import check_inside, scratch_dir
from ..scaffold.template import SPEC_FILE, RenderedFile, iter_render
from ..settings.spec import ProjectSpec, check_repo_name, load_settings_file, loads
from ..vcs import gitcli

if TYPE_CHECKING:  # annotations only: the TypedDicts cost 3 ms to build
    from .. import payloads

COMMIT_MESSAGE = "Scaffold {name} with jupyter-mlops {version}"


class FileAction(NamedTuple):
    path: str
    action: FileChange
    owner: Owner


class InitPlan:
    """What init will do (a plain class: no dataclasses on init's path, as settings/table.py explains)."""

    def __init__(
        self,
        root: Path,
        spec: ProjectSpec,
        mode: InitMode,
        files: list[FileAction],
        git_init: bool,
        branches_to_create: list[str],
        branches_existing: list[str],
        checkout: str | None,
        rendered: dict[str, RenderedFile] | None = None,
    ) -> None:
        self.root = root
        self.spec = spec
        self.mode = mode
        self.files = files
        self.git_init = git_init
        self.branches_to_create = branches_to_create
        self.branches_existing = branches_existing
        self.checkout = checkout  # branch to switch to before committing, when not on the default branch
        self.rendered = rendered or {}
        # A new project's git work, started by plan_init(start_git=True) while it renders; apply_init takes it.
        self.started: _NewRepo | None = None

    def __repr__(self) -> str:
        return f"InitPlan({self.root}, {self.mode}, {len(self.files)} files)"

    def discard(self) -> None:
        """Undo what planning started, when the plan is not applied (a no-op once it is)."""
        if self.started is not None:
            self.started.discard()
            self.started = None

    @property
    def to_create(self) -> list[FileAction]:
        return [f for f in self.files if f.action == "create"]

    @property
    def to_commit(self) -> list[FileAction]:
        """What the commit holds: the files written now, and those an interrupted run wrote but did not commit."""
        return [f for f in self.files if f.action in ("create", "add")]

    @property
    def kept(self) -> list[FileAction]:
        return [f for f in self.files if f.action == "kept"]

    @property
    def commit(self) -> str | None:
        """The commit's message, when there is something to commit."""
        return self.commit_message if self.to_commit else None

    @property
    def commit_message(self) -> str:
        return COMMIT_MESSAGE.format(name=self.spec.name, version=__version__)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.to_commit or self.branches_to_create or self.git_init or self.checkout)

    def to_dict(self) -> payloads.InitPlanLocal:
        return {"root": str(self.root), **self.fields()}

    def fields(self) -> payloads.InitPlanFields:
        """The plan without its folder: the CLI adds the absolute path, REST the one relative to its root."""
        return {
            "mode": self.mode,
            "files": [{"path": f.path, "action": f.action, "owner": f.owner} for f in self.files],
            "git_init": self.git_init,
            "commit": self.commit,
            "branches": {"create": self.branches_to_create, "existing": self.branches_existing},
            "default_branch": self.spec.default_branch,
            "nothing_to_do": self.nothing_to_do,
        }

    def describe(self) -> list[str]:
        lines = [f"Plan for {self.root} ({self.mode}):"]
        if self.nothing_to_do:
            lines.append("  nothing to do: the project is complete; no file or branch would change")
        if self.git_init:
            lines.append(f"  git init (default branch {self.spec.default_branch})")
        if self.checkout:
            lines.append(f"  switch to branch {self.checkout} (created from the current commit)")
        for f in self.to_create:
            lines.append(f"  create  {f.path}  [{f.owner}]")
        for f in self.to_commit:
            if f.action == "add":
                lines.append(f"  add     {f.path}  (written by a run that was stopped; not yet committed)")
        for f in self.kept:
            lines.append(f"  keep    {f.path}  (exists with your content; not overwritten)")
        unchanged = sum(1 for f in self.files if f.action == "unchanged")
        if unchanged:
            lines.append(f"  {unchanged} files already up to date")
        if self.commit:
            lines.append(f"  commit  {self.commit!r} on {self.spec.default_branch}")
        for b in self.branches_to_create:
            lines.append(f"  branch  {b} at that commit")
        for b in self.branches_existing:
            lines.append(f"  branch  {b} exists; left as it is")
        return lines


def load_project_spec(root: Path) -> ProjectSpec | None:
    """The spec recorded in ``root/mlops.toml``, or None when the folder is not a project."""

    path = root / SPEC_FILE
    if not path.is_file():
        return None
    return loads(path.read_text(encoding="utf-8"), source=str(path))


# Settings a branch's files in the work tree override: platform.yaml is org-owned and changes with
# `sync`, config.yaml is the project's; mlops.toml only records what the repository was generated from.
_FILE_KEYS = {
    "platform.yaml": (("kfp", "host"), ("kfp", "auth"), ("kfp", "namespace"), ("mlflow", "uri"), ("s3", "endpoint")),
    "config.yaml": (("data", "uri"),),
}


def apply_branch_files(root: Path, spec: ProjectSpec) -> ProjectSpec:
    """Bring each branch's platform settings up to date with the files CI will really read — the
    branch's own ``src/pipelines/<branch>/*.yaml`` at its tip — so commands that derive secret names
    (push, secrets, status) follow a sync or an edit rather than what mlops.toml first recorded."""
    import yaml

    texts = _branch_file_texts(root, spec.branch_names)
    for (branch, filename), text in texts.items():
        label = f"{branch}:src/pipelines/{branch}/{filename}"
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{label} is not valid YAML ({exc}); fix it and run again") from None
        for group, leaf in _FILE_KEYS[filename]:
            value = (data.get(group) or {}).get(leaf) if isinstance(data, dict) else None
            if value is None:
                continue
            try:
                spec.set(f"{branch}.{group}.{leaf}", str(value))
            except InvalidInput as exc:
                raise InvalidInput(f"{label}: {exc.message}") from None
    return spec


def _branch_file_texts(root: Path, branches: list[str]) -> dict[tuple[str, str], str]:
    """Each branch's config files at the branch's tip (one git call for all of them)."""
    wanted = {f"refs/heads/{b}:src/pipelines/{b}/{f}": (b, f) for b in branches for f in _FILE_KEYS}
    found = gitcli.cat_files(root, list(wanted))
    return {wanted[obj]: content.decode("utf-8", errors="replace") for obj, content in found.items()}


def plan_init(root: Path | str, spec: ProjectSpec, *, start_git: bool = False) -> InitPlan:
    """What init would do in ``root``. ``start_git``: for a caller that applies the plan next, a new project's
    ``git init`` (in the folder it is built in, beside ``root``) and identity lookup start before the files are
    rendered, so that they are done when apply needs them; ``InitPlan.discard`` undoes them if it does not."""
    root = Path(root).absolute()
    spec.validate()
    if any(part.lower() == ".git" for part in root.resolve().parts):
        raise InvalidInput(f"{root} is inside a .git folder (git's own data); give the project's folder instead")
    if root.exists() and not root.is_dir():
        raise InvalidInput(f"{root} is a file; give a folder for the new project")
    existing_spec = load_project_spec(root) if root.is_dir() else None
    if existing_spec is not None:
        # Re-run on our own project: what it was generated from wins over new defaults.
        spec = existing_spec
    is_empty = not root.exists() or not any(root.iterdir())
    started = _NewRepo(root, spec.default_branch) if start_git and is_empty else None
    try:
        plan = _plan(root, spec, existing_spec, is_empty, started.blob if started else None)
    except BaseException:
        if started is not None:
            started.discard()
        raise
    plan.started = started
    return plan


def _plan(
    root: Path,
    spec: ProjectSpec,
    existing_spec: ProjectSpec | None,
    is_empty: bool,
    sink: Callable[[RenderedFile], None] | None = None,
) -> InitPlan:
    rendered: dict[str, RenderedFile] = {}
    for f in iter_render(spec):
        rendered[f.path] = f
        if sink is not None:
            sink(f)  # a new project's git takes each file while the next one renders
    files: list[FileAction] = []
    mode: InitMode
    for path, f in rendered.items():
        target = root / path
        if not target.exists() and not target.is_symlink():
            files.append(FileAction(path, "create", f.owner))
        elif target.is_file() and target.read_bytes() == f.content:
            files.append(FileAction(path, "unchanged", f.owner))
        else:
            files.append(FileAction(path, "kept", f.owner))

    if not is_empty:  # an empty folder holds no link that could carry a file out of it
        check_inside(root, [f.path for f in files if f.action == "create"])
    if is_empty:
        mode = "new"
    elif existing_spec is not None:
        mode = "update"
    else:
        mode = "adopt"
        clashes = [f.path for f in files if f.action == "kept"]
        if clashes:
            raise Conflict(
                f"{root} is not a jupyter-mlops project and already has files init would need to overwrite. "
                "Move them away or choose another folder (nothing was written):",
                details=clashes,
            )

    git_init = not (root / ".git").exists()
    if not git_init and any(f.action == "unchanged" for f in files):
        # Our content on disk but not committed: a run stopped between writing and committing. Commit it now.
        committed = set(_committed_paths(root))
        files = [
            FileAction(f.path, "add", f.owner) if f.action == "unchanged" and f.path not in committed else f
            for f in files
        ]
    wanted, default = spec.branch_names, spec.default_branch
    existing = {} if git_init else gitcli.branches(root)
    checkout = None
    if not git_init and gitcli.head_branch(root) != default:
        needs_commit = any(f.action in ("create", "add") for f in files)
        if needs_commit or default not in existing:
            checkout = default
    to_create = [b for b in wanted if b not in existing and b != default]
    present = [b for b in wanted if b in existing]
    return InitPlan(root, spec, mode, files, git_init, to_create, present, checkout, rendered)


def _committed_paths(root: Path) -> list[str]:
    proc = gitcli.git(["ls-tree", "-r", "-z", "--name-only", "HEAD"], root, check=False)
    return proc.stdout.split("\0") if proc.returncode == 0 else []


def apply_init(plan: InitPlan, progress: Progress | None = None) -> InitPlan:
    progress = progress or null_progress()
    if plan.nothing_to_do:
        progress.emit("init", "skip", f"{plan.root} is already a complete project; nothing changed")
        return plan
    if plan.mode == "new":
        _apply_new(plan, progress)
    else:
        gitcli.identity(plan.root)
        _apply_into_existing(plan, progress)
    progress.emit(
        "init",
        "done",
        f"Project {plan.spec.name} ready in {plan.root} "
        f"(branches: {', '.join(plan.spec.branch_names)}; on {plan.spec.default_branch})",
    )
    return plan


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _write(base: Path, files: list[RenderedFile]) -> None:
    made: set[Path] = set()
    for f in files:
        target = base / f.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        with open(target, "xb") as handle:  # "x": never overwrite
            handle.write(f.content)
        if f.executable:
            target.chmod(0o755)


def _write_and_index(base: Path, files: list[RenderedFile]) -> None:
    _write(base, files)
    gitcli.index_files(base, [(f.path, f.executable) for f in files])


class _NewRepo:
    """The git side of a new project, started early: ``git init`` in the sibling folder the repository is built
    in, the identity lookup (``git config``) beside it, then ``git fast-import`` taking each file's content as
    it is rendered. ``discard`` stops them all and removes the folder."""

    def __init__(self, root: Path, branch: str) -> None:
        self.parent = _existing_parent(root.parent)
        created_parents = _first_missing(root.parent)
        self._remove: Path | None = created_parents  # what discard removes
        self.init_proc: subprocess.Popen | None = None
        self._import: gitcli.FastImport | None = None
        # The identity lookup, unless the environment names the committer (CI, scripts): one process fewer.
        self.ident_proc: subprocess.Popen | None = None
        if not gitcli.identity_in_environment():
            self.ident_proc = gitcli.start(gitcli.IDENTITY_QUERY, self.parent)
        try:
            root.parent.mkdir(parents=True, exist_ok=True)
            self.staging = scratch_dir(root.parent, staging_prefix(root.name), private=False)
            self._remove = created_parents or self.staging
            self.init_proc = gitcli.start(["init", "-q", "-b", branch], self.staging)
        except BaseException:
            self.discard()
            raise

    def identity(self) -> tuple[str, str]:
        found = "" if self.ident_proc is None else gitcli.wait(self.ident_proc, "config", check=False)
        return gitcli.identity(self.parent, found)

    def importer(self) -> gitcli.FastImport:
        if self._import is None:
            if self.init_proc is not None:
                gitcli.wait(self.init_proc, "init")
            self._import = gitcli.FastImport(self.staging)
        return self._import

    def blob(self, f: RenderedFile) -> None:
        self.importer().blob(f.path, f.content)

    def commit(self, files: list[RenderedFile], message: str, branches: list[str], ident: tuple[str, str]) -> None:
        importer = self.importer()
        for f in files:
            if f.path not in importer.marks:  # planned without start_git: nothing was sent yet
                importer.blob(f.path, f.content)
        importer.commit([(f.path, f.executable) for f in files], message, branches, ident)

    def discard(self) -> None:
        if self._import is not None:
            self._import.close()
        for proc in (self.ident_proc, self.init_proc):
            if proc is not None:
                timeouts.stop(proc)
        if self._remove is not None:
            shutil.rmtree(self._remove, ignore_errors=True)


def _apply_new(plan: InitPlan, progress: Progress) -> None:
    """Build the repository in a sibling temp folder, then move it in: no half-written project.

    Work overlaps, as a new project's files are known before anything is written: with
    ``plan_init(start_git=True)``, `git init` and the identity lookup run while the files render and
    `git fast-import` packs each file as soon as it is rendered; here a thread writes the files and indexes
    them (``gitcli.index_files``) while git commits them. A missing identity still stops before anything
    reaches the target folder.
    """
    repo = plan.started or _NewRepo(plan.root, plan.spec.default_branch)
    plan.started = None
    writer: _Background | None = None
    try:
        progress.emit("files", "start", f"Writing {len(plan.to_create)} files")
        files = [plan.rendered[f.path] for f in plan.to_create]
        repo.importer()  # waits for git init: the writer thread indexes into the repository what it wrote
        writer = _Background(_write_and_index, repo.staging, files)
        ident = repo.identity()
        progress.check_cancelled()
        repo.commit(files, plan.commit_message, plan.spec.branch_names, ident)
        writer.join()
        progress.emit("files", "done", f"Wrote {len(plan.to_create)} files")
        progress.emit(
            "git",
            "done",
            f"Committed on {plan.spec.default_branch}; created "
            f"{', '.join(plan.branches_to_create) or 'no other branches'}",
        )
        move_into_place(repo.staging, plan.root)
    except BaseException:
        if writer is not None:
            writer.join(reraise=False)  # before removing the folder it writes into
        repo.discard()
        raise


class _Background:
    """A function run on a thread; ``join`` waits for it and raises what it raised, in the caller's thread."""

    def __init__(self, function: Callable[..., object], *args: object) -> None:
        self._error: BaseException | None = None

        def target() -> None:
            try:
                function(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to join()
                self._error = exc

        self._thread = threading.Thread(target=target, name="jupyter-mlops-write", daemon=True)
        self._thread.start()

    def join(self, *, reraise: bool = True) -> None:
        self._thread.join()
        if reraise and self._error is not None:
            raise self._error


def staging_prefix(name: str) -> str:
    """The sibling folder a repository is built in before it is moved into ``name`` (init, new)."""
    return f".{name}.mlops-"


def move_into_place(staging: Path, target: Path) -> None:
    """Move a repository built aside into ``target``: a rename, or entry by entry into an existing
    empty folder (which may be the user's current directory, so it is not replaced)."""
    if target.exists():
        for entry in os.listdir(staging):
            os.rename(staging / entry, target / entry)
        staging.rmdir()
    else:
        os.rename(staging, target)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (to remove it again on failure)."""
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


def _apply_into_existing(plan: InitPlan, progress: Progress) -> None:
    root = plan.root
    paths = [f.path for f in plan.to_create]
    commit_paths = [f.path for f in plan.to_commit]
    written: list[Path] = []
    # Folders this run makes, deepest first: a rollback removes them again (when nothing else is in them).
    new_folders = sorted(
        {d for p in paths for d in (root / p).parents if root in d.parents and not d.exists()},
        key=lambda d: len(d.parts),
        reverse=True,
    )
    try:
        if plan.git_init:
            gitcli.git(["init", "-q", f"--initial-branch={plan.spec.default_branch}"], root)
        elif plan.checkout:
            if gitcli.has_commits(root):
                switch = (
                    ["checkout", "-q", plan.checkout, "--"]
                    if plan.checkout in gitcli.branches(root)
                    else ["checkout", "-q", "-b", plan.checkout]
                )
            else:
                switch = ["symbolic-ref", "HEAD", f"refs/heads/{plan.checkout}"]
            gitcli.git(switch, root)
            progress.emit("git", "done", f"Switched to {plan.checkout}")
        if commit_paths:
            if not plan.git_init:
                gitcli.ensure_clean_paths(root, commit_paths)
            written = [root / p for p in paths]
            _write(root, [plan.rendered[p] for p in paths])
            progress.emit("files", "done", f"Added {len(paths)} missing files")
            gitcli.git(["add", "--", *commit_paths], root)
            gitcli.git(["commit", "-q", "--no-verify", "-m", plan.commit_message, "--only", "--", *commit_paths], root)
            progress.emit("git", "done", f"Committed {len(commit_paths)} files on {plan.spec.default_branch}")
        for f in plan.kept:
            progress.emit("files", "skip", f"Kept {f.path} (exists with your content)")
        if plan.branches_to_create:
            gitcli.create_branches(root, plan.branches_to_create)
            progress.emit("git", "done", f"Created {', '.join(plan.branches_to_create)}")
    except BaseException:
        # Leave the folder as we found it: remove only what this run created (files, folders, .git).
        if plan.git_init:
            shutil.rmtree(root / ".git", ignore_errors=True)
        for p in written:
            if (p.exists() or p.is_symlink()) and (plan.git_init or not _tracked(root, p)):
                p.unlink()
        for folder in new_folders:
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty: something else is in it now
        raise


def _tracked(root: Path, path: Path) -> bool:
    rel = str(path.relative_to(root))
    return gitcli.git(["ls-files", "--error-unmatch", "--", rel], root, check=False).returncode == 0


def default_name(root: Path) -> str:
    """The folder's name when it is a valid repository name, else a neutral default."""

    name = root.absolute().name
    return name if name and not check_repo_name(name) else "ml-project"


def build_spec(
    root: Path | str,
    *,
    name: str | None = None,
    settings: dict | None = None,
    config_file: str | None = None,
    kind: SpecKind = "project",
) -> ProjectSpec:
    """Defaults < config file < settings (``--set``) < name. Raises InvalidInput listing every problem."""

    values: dict = {}
    if config_file:
        values.update(load_settings_file(config_file))
    values.update(settings or {})
    if name is not None:
        values["name"] = name
    base_name = values.get("name") if isinstance(values.get("name"), str) else None
    spec = ProjectSpec.default(base_name or default_name(Path(root)))
    spec.kind = kind
    spec.update(values)
    return spec.validate()
