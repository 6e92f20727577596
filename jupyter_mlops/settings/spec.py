"""The project spec: every setting, its default, its validation, and its place in ``mlops.toml``.

One table (``TABLE``: key, type, check, page, order, ``when`` and help of every setting) drives ``--set``,
the config file, mlops.toml, the CLI prompts and the JSON schema every form renders (``forms.json_schema``),
so a key means the same thing on every face; ``SECRETS`` is the same for the CI secrets a branch may need.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

from .._toml import tomllib
from .._types import SECRETS_MODES, AuthMode, SecretsMode, SpecKind
from .._version import __version__
from ..errors import InvalidInput
from .table import (  # noqa: F401  (re-exported: the table is read through spec by most callers)
    AUTH_MODES,
    GROUPS,
    LICENSES,
    MLFLOW_SECRETS,
    REGISTRY_SECRETS,
    SECRETS,
    TABLE,
    CiSecret,
    Group,
    Matches,
    Setting,
    applies,
    branch_setting,
    branch_settings,
    condition_holds,
    on_page,
    project_setting,
    project_settings,
)
from .validators import (  # noqa: F401  (re-exported: faces import these checks from spec)
    KUBEFLOW_USER_NAMESPACE,
    check_branch_name,
    check_git_url,
    check_owner,
    check_repo_name,
    check_text,
    check_url,
)

DEFAULT_BRANCHES = ("development", "staging", "production")
KINDS: tuple[SpecKind, ...] = get_args(SpecKind)

WINE_DATA_URI = "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"
INCLUSTER_MLFLOW = "http://mlflow.mlflow.svc.cluster.local:5000"
INCLUSTER_MINIO = "http://mlflow-minio-service.mlflow.svc.cluster.local:9000"
GHCR = "ghcr.io"


class _Fields:
    """Attributes declared with defaults in the class body, set by keyword: what ``@dataclass`` would give, written
    out because init's path has no dataclasses (table.py says why). An unknown keyword is a TypeError, as a
    dataclass raises it."""

    FIELDS: tuple[str, ...] = ()

    def _assign(self, values: dict[str, Any]) -> None:
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.FIELDS)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq


class BranchSettings(_Fields):
    kfp_host: str = "http://localhost:8080"
    kfp_auth: AuthMode = "none"
    kfp_namespace: str = ""
    kfp_experiment: str = ""
    mlflow_uri: str = INCLUSTER_MLFLOW
    s3_endpoint: str = INCLUSTER_MINIO
    data_uri: str = WINE_DATA_URI
    data_remote: str = ""
    schedule: str = ""
    # Project-wide options the branch's secrets and files depend on, kept in step by ProjectSpec (not settings).
    dvc: bool = False
    registry: str = ""  # the image registry when the project builds step images
    project: dict[str, Any]  # every project-wide value
    extra: dict[str, Any]  # values of per-branch rows that have no field above
    FIELDS = tuple(k for k in __annotations__ if k != "project")  # project: left out of repr and ==, as it was

    def __init__(self, **values: Any) -> None:
        self.project = {}
        self.extra = {}
        self._assign(values)

    def value(self, key: str) -> Any:
        """A per-branch setting's value (``kfp.auth``), else a project-wide one (``data.dvc``)."""
        setting = branch_setting(key)
        return _read(self, setting) if setting else self.project.get(key)

    def required_secrets(self) -> list[str]:
        """Secret names this branch's CI needs, from the secrets table (auth mode, data location, registry)."""
        return [s.name for s in SECRETS if not s.optional and self.needs(s)]

    def needs(self, secret: CiSecret) -> bool:
        return any(condition_holds(condition, self.value) for condition in secret.when)

    def optional_secrets(self) -> list[str]:
        """Secret names CI passes on when they are set and no check requires: what only some servers ask for."""
        return [s.name for s in SECRETS if s.optional and self.needs(s)]

    def secret_names(self, step: str = "") -> list[str]:
        """Every secret name this branch's CI reads: the required ones, then the optional ones; with ``step``,
        only those that workflow step reads ("check", "submit", "images", "inference", "monitor": CiSecret.steps)."""
        names = self.required_secrets() + self.optional_secrets()
        wanted = {s.name for s in SECRETS if not step or step in s.steps}
        return [name for name in names if name in wanted]


def _attr(key: str) -> str:
    return key.replace(".", "_")


def _read(obj: ProjectSpec | BranchSettings, setting: Setting) -> Any:
    """A setting's value on a ProjectSpec or BranchSettings: its field, else ``extra`` (rows added later)."""
    attr = _attr(setting.key)
    if attr in obj.FIELDS:
        return getattr(obj, attr)
    return obj.extra.get(setting.key, _initial(setting))


def _write(obj: ProjectSpec | BranchSettings, setting: Setting, value: Any) -> None:
    attr = _attr(setting.key)
    if attr in obj.FIELDS:
        setattr(obj, attr, value)
    else:
        obj.extra[setting.key] = value


def _initial(setting: Setting) -> Any:
    if setting.default is not None:
        return setting.default
    if setting.kind == "boolean":
        return False
    return setting.choices[0] if setting.choices else ""


class ProjectSpec(_Fields):
    name: str
    description: str = "An ML project wired for Kubeflow Pipelines"
    owner: str = ""
    python: str = "3.11"
    license: str = "placeholder"
    example: bool = True
    data_dvc: bool = False
    containers: bool = False
    registry: str = GHCR
    compare: bool = False
    branches: dict[str, BranchSettings]
    kind: SpecKind = "project"
    # Written by later commands and read back: push records how secrets are scoped, new/sync the upstream.
    secrets_mode: SecretsMode = "environments"
    upstream: str = ""
    remote: str = ""
    template_version: str = __version__
    extra: dict[str, Any]  # values of project-wide rows that have no field above
    FIELDS = tuple(__annotations__)

    def __init__(self, name: str, **values: Any) -> None:
        self.name = name
        self.branches = {}
        self.extra = {}
        self._assign(values)

    # ----------------------------------------------------------- construction

    @classmethod
    def default(cls, name: str, branches: Iterable[str] = DEFAULT_BRANCHES) -> ProjectSpec:
        spec = cls(name=name)
        spec.branches = {b: default_branch_settings(name, b) for b in branches}
        spec._share_options()
        return spec

    def _share_options(self) -> None:
        """Hand the project-wide options that decide branch secrets (DVC on S3, a registry) to each branch."""
        shared = {s.key: self.get(s.key) for s in project_settings()}
        for settings in self.branches.values():
            settings.dvc = self.data_dvc
            settings.registry = self.registry if self.containers else ""
            settings.project = dict(shared)

    @property
    def branch_names(self) -> list[str]:
        return list(self.branches)

    @property
    def default_branch(self) -> str:
        return next(iter(self.branches))

    @property
    def is_main(self) -> bool:
        """The organisation's main config repo (``init --main``), not a project."""
        return self.kind == "main"

    def copy(self) -> ProjectSpec:
        return copy.deepcopy(self)

    # ----------------------------------------------------------- flat keys

    def get(self, key: str) -> Any:
        if key == "branches":
            return ",".join(self.branches)
        if setting := project_setting(key):
            return _read(self, setting)
        branch, row = split_branch_key(key, self.branch_names)
        return _read(self.branches[branch], row)

    def set(self, key: str, raw: Any) -> None:
        """Set one setting from user text (``--set key=value``) or a typed value (config file, JSON)."""
        if key == "branches":
            self._set_branches(raw)
            return
        if setting := project_setting(key):
            value = _coerce(setting, raw, key)
            if key == "name" and value != self.name:
                self._rename(value)
            _write(self, setting, value)
            self._share_options()
            return
        branch, row = split_branch_key(key, self.branch_names)
        _write(self.branches[branch], row, _coerce(row, raw, key))

    def _rename(self, new: str) -> None:
        # Derived defaults follow the name unless the user changed them.
        for branch, settings in self.branches.items():
            if settings.kfp_experiment == f"{self.name}-{branch}":
                settings.kfp_experiment = f"{new}-{branch}"
            if settings.data_remote == default_data_remote(self.name):
                settings.data_remote = default_data_remote(new)

    def _set_branches(self, raw: Any) -> None:
        names = [b.strip() for b in (raw.split(",") if isinstance(raw, str) else list(raw)) if b.strip()]
        if not names:
            raise InvalidInput("branches: give at least one branch, e.g. development,staging,production")
        problems = [p for p in (check_branch_name(b) for b in names) if p]
        if len(set(names)) != len(names):
            problems.append("branch names repeat")
        else:
            problems += _prefix_clashes(names)
        if problems:
            raise InvalidInput("branches: " + "; ".join(problems))
        self.branches = {
            b: self.branches.get(b) or default_branch_settings(self.name, b, position=i) for i, b in enumerate(names)
        }
        self._share_options()

    def update(self, values: dict[str, Any]) -> None:
        """Apply many settings; ``branches`` first so per-branch keys of new branches resolve. All errors at once."""
        problems = []
        ordered = sorted(values.items(), key=lambda kv: (kv[0] != "branches", kv[0] != "name"))
        for key, value in ordered:
            try:
                self.set(key, value)
            except InvalidInput as exc:
                problems.append(exc.message)
        if problems:
            raise InvalidInput("Some settings are not valid:", details=problems)

    def flat(self) -> dict[str, Any]:
        out: dict[str, Any] = {s.key: self.get(s.key) for s in project_settings()}
        for branch in self.branches:
            for s in branch_settings():
                out[f"{branch}.{s.key}"] = self.get(f"{branch}.{s.key}")
        return out

    # ----------------------------------------------------------- validation

    def validate(self) -> ProjectSpec:
        problems = []
        for s in project_settings():
            if s.check and (msg := s.check(self.get(s.key))):
                problems.append(f"{s.key}: {msg}")
        for b in self.branches:
            if msg := check_branch_name(b):
                problems.append(f"branches: {msg}")
            for s in branch_settings():
                key = f"{b}.{s.key}"
                if s.check and (msg := s.check(self.get(key))):
                    problems.append(f"{key}: {msg}")
            bs = self.branches[b]
            if bs.kfp_auth != "incluster" and not bs.kfp_host:
                problems.append(f"{b}.kfp.host: empty; give the KFP URL, or set {b}.kfp.auth=incluster")
            if self.data_dvc and not bs.data_remote:
                problems.append(
                    f"{b}.data.remote: empty; data.dvc needs where the versions live, e.g. "
                    f"{default_data_remote(self.name)}"
                )
        if self.compare and not self.example:
            problems.append(
                "compare: the model comparison sweeps the example pipeline's parameters and compares "
                "its metrics; set example=true, or compare=false"
            )
        if self.get("monitor") and not self.example:
            problems.append(
                "monitor: the drift check compares data with the reference statistics the example's train step "
                "stores with each registered model; set example=true, or monitor=false"
            )
        if self.kind not in KINDS:
            problems.append(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.secrets_mode not in SECRETS_MODES:
            problems.append(f"secrets_mode: {self.secrets_mode!r} is not one of {', '.join(SECRETS_MODES)}")
        if problems:
            raise InvalidInput("The project settings are not valid:", details=problems)
        self._share_options()
        return self

    # ----------------------------------------------------------- secrets

    def secret_name(self, branch: str, name: str) -> str:
        """The name a secret has on GitHub: scoped by environment, or branch-prefixed in repository mode."""
        if self.secrets_mode == "repository":
            return f"{branch_prefix(branch)}_{name}"
        return name


def branch_prefix(branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", branch).upper()


def _prefix_clashes(names: list[str]) -> list[str]:
    """Branches whose repository-secret prefix (and GitHub environment name, which GitHub compares without
    case) would be the same: one branch's secrets would overwrite the other's."""
    seen: dict[str, str] = {}
    problems = []
    for name in names:
        prefix = branch_prefix(name)
        if prefix in seen:
            problems.append(
                f"{seen[prefix]} and {name} would share the secret prefix {prefix}_ and one GitHub environment "
                "(GitHub ignores case): rename one"
            )
        seen.setdefault(prefix, name)
    return problems


def default_branch_settings(name: str, branch: str, position: int | None = None) -> BranchSettings:
    """Defaults that follow the OSS MLOps platform: standalone KFP on a laptop for development,
    the full Kubeflow (Dex login, profile namespace, KFP under /pipeline) for the others."""
    first = branch == DEFAULT_BRANCHES[0] if position is None else position == 0
    if first:
        return BranchSettings(kfp_experiment=f"{name}-{branch}", data_remote=default_data_remote(name))
    return BranchSettings(
        kfp_host="http://localhost:8080/pipeline",
        kfp_auth="dex",
        kfp_namespace=KUBEFLOW_USER_NAMESPACE,
        kfp_experiment=f"{name}-{branch}",
        data_remote=default_data_remote(name),
    )


def default_data_remote(name: str) -> str:
    """The platform's MinIO already has the ``mlflow`` bucket; versions are content-addressed, so branches share it."""
    return f"s3://mlflow/dvc/{name.lower()}"


def split_branch_key(key: str, branches: list[str]) -> tuple[str, Setting]:
    """``staging.kfp.host`` -> the branch and its row; an unknown branch or setting is the user's mistake."""
    for branch in sorted(branches, key=len, reverse=True):
        prefix = branch + "."
        if key.startswith(prefix) and (row := branch_setting(key[len(prefix) :])):
            return branch, row
    known = ", ".join([s.key for s in project_settings()] + [f"<branch>.{s.key}" for s in branch_settings()])
    head = key.split(".", 1)[0]
    if "." in key and head not in branches and branch_setting(key.split(".", 1)[1]):
        raise InvalidInput(f"{key}: there is no branch {head!r}; the branches are {', '.join(branches)}")
    raise InvalidInput(f"{key}: unknown setting; the settings are {known}")


_TRUE = {"true", "yes", "1", "on", "y"}
_FALSE = {"false", "no", "0", "off", "n"}


def _coerce(setting: Setting, raw: Any, key: str) -> Any:
    if setting.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise InvalidInput(f"{key}: {raw!r} is not true or false")
    if not isinstance(raw, str):
        raise InvalidInput(f"{key}: expected text, got {type(raw).__name__}")
    value = raw.strip()
    if msg := check_text(value):
        raise InvalidInput(f"{key}: {msg}")
    if setting.kind == "choice" and value not in setting.choices:
        raise InvalidInput(f"{key}: {value!r} is not one of {', '.join(setting.choices)}")
    if setting.check and (msg := setting.check(value)):
        raise InvalidInput(f"{key}: {msg}")
    return value


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``key=value`` strings from ``--set``; the value may contain '='."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {item!r}: write it as key=value, e.g. --set staging.kfp.auth=dex")
        out[key.strip()] = value
    return out


# ---------------------------------------------------------------- mlops.toml


def to_toml_dict(spec: ProjectSpec) -> dict:
    project: dict[str, Any] = {}
    for s in project_settings():
        if s.key != "branches":
            _nest(project, s.key, spec.get(s.key))
    project["branches"] = spec.branch_names
    branches = {}
    for b, bs in spec.branches.items():
        nested: dict[str, Any] = {}
        for s in branch_settings():
            _nest(nested, s.key, _read(bs, s))
        branches[b] = nested
    tool = {"template_version": spec.template_version, "kind": spec.kind, "secrets_mode": spec.secrets_mode}
    if spec.upstream:
        tool["upstream"] = spec.upstream
    if spec.remote:
        tool["remote"] = spec.remote
    return {"mlops": tool, "project": project, "branches": branches}


def _nest(table: dict[str, Any], key: str, value: Any) -> None:
    """``data.dvc`` → ``[data] dvc``: dotted keys become TOML tables, as users would write them."""
    *groups, leaf = key.split(".")
    for group in groups:
        table = table.setdefault(group, {})
    table[leaf] = value


def dumps(spec: ProjectSpec) -> str:
    import tomli_w

    header = "# Written by jupyter-mlops: the settings this repository was generated from.\n"
    header += "# Later commands (push, status, sync) read it back. Edit with care; keys as in `--set`.\n\n"
    return header + tomli_w.dumps(to_toml_dict(spec))


def from_toml_dict(data: dict, *, source: str = "mlops.toml") -> ProjectSpec:
    try:
        project = dict(data["project"])
        tool = data.get("mlops", {})
        name = project.pop("name")
        branches = project.pop("branches", list(DEFAULT_BRANCHES))
        spec = ProjectSpec.default(name, branches)
        values: dict[str, Any] = dict(_walk(project))
        for b, groups in data.get("branches", {}).items():
            for key, value in _walk(groups):
                values[f"{b}.{key}"] = value
        spec.update(values)
        spec.kind = tool.get("kind", "project")
        spec.secrets_mode = tool.get("secrets_mode", "environments")
        spec.upstream = _git_url(tool.get("upstream", ""), "mlops.upstream")
        spec.remote = _git_url(tool.get("remote", ""), "mlops.remote")
        spec.template_version = tool.get("template_version", __version__)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc.message}", details=exc.details) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(
            f"{source}: missing or malformed entry ({exc}); compare with a freshly generated one"
        ) from None
    return spec.validate()


def _git_url(value: Any, key: str) -> str:
    """A git URL recorded in mlops.toml (a file that travels with the repository): checked before git sees it."""

    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected text, got {type(value).__name__}")
    if value and (problem := check_git_url(value)):
        raise InvalidInput(f"{key}: {problem}")
    return value


def loads(text: str, *, source: str = "mlops.toml") -> ProjectSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source} is not valid TOML: {exc}") from None
    return from_toml_dict(data, source=source)


def load_settings_file(path: str) -> dict[str, Any]:
    """A ``--config`` file: TOML (mlops.toml shape or flat ``key = value``) or JSON, flattened to settings keys."""

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"--config {path}: cannot read it ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"--config {path}: not UTF-8 text; give a TOML or JSON file") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if p.suffix == ".json" else "TOML"
        raise InvalidInput(f"--config {path}: not valid {kind} ({exc}); fix the file or give another") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"--config {path}: expected a table of settings")
    return flatten_settings(data)


def flatten_settings(data: dict) -> dict[str, Any]:
    """Accept the mlops.toml shape ([project], [branches.<b>.<group>]) or nested/flat keys."""
    out: dict[str, Any] = {}
    project = data.get("project")
    if isinstance(project, dict):
        out.update(_walk(project))
    branches = data.get("branches")
    if isinstance(branches, dict):
        for b, groups in branches.items():
            if not isinstance(groups, dict):
                raise InvalidInput(f"branches.{b}: expected a table of settings")
            for k, v in _walk(groups):
                out[f"{b}.{k}"] = v
    elif branches is not None:
        out["branches"] = branches
    for k, v in _walk({k: v for k, v in data.items() if k not in ("project", "branches", "mlops")}):
        out[k] = v
    return out


def _walk(tree: dict, prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _walk(v, key + ".")
        else:
            yield key, v
