"""The project spec: every setting, its default, its validation, and its place in ``mlops.toml``.

One table (``SETTINGS`` + ``BRANCH_SETTINGS``) drives ``--set``, the config file, the CLI prompts,
the REST JSON schema and the wizard's fields, so a key means the same thing on every face.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..errors import InvalidInput
from .validators import (  # noqa: F401  (re-exported: faces import the checks from spec)
    KUBEFLOW_USER_NAMESPACE,
    check_branch_name,
    check_choice,
    check_cron,
    check_data_remote,
    check_data_uri,
    check_experiment,
    check_namespace,
    check_one_line,
    check_owner,
    check_python,
    check_registry,
    check_repo_name,
    check_url,
)

DEFAULT_BRANCHES = ("development", "staging", "production")
AUTH_MODES = ("none", "token", "dex", "incluster")
LICENSES = ("placeholder", "MIT", "Apache-2.0", "BSD-3-Clause")
KINDS = ("project", "main")
SECRETS_MODES = ("environments", "repository")

WINE_DATA_URI = "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"
INCLUSTER_MLFLOW = "http://mlflow.mlflow.svc.cluster.local:5000"
INCLUSTER_MINIO = "http://mlflow-minio-service.mlflow.svc.cluster.local:9000"
GHCR = "ghcr.io"
REGISTRY_SECRETS = ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]
# An MLflow server with login (`mlflow server --app-name basic-auth`, or a token-checking proxy) takes these,
# read by the MLflow client itself; a server without login needs none, so they are optional.
MLFLOW_SECRETS = ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]


# ---------------------------------------------------------------- the settings table


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    help: str
    kind: str = "string"  # string | boolean | choice | list
    choices: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None
    secret_free: bool = True  # settings never hold secrets; secrets go through `secrets set`


SETTINGS: tuple[Setting, ...] = (
    Setting("name", "Project name", "GitHub repository name (letters, digits, . - _)", check=check_repo_name),
    Setting("description", "Description", "One line shown on GitHub and in the README", check=check_one_line(350)),
    Setting("owner", "GitHub owner", "User or organisation; empty pushes to a local remote", check=check_owner),
    Setting("python", "Python version", "Used by CI and the pipeline's base image", check=check_python),
    Setting("license", "License", "placeholder leaves a LICENSE with instructions", "choice", LICENSES),
    Setting("example", "Example pipeline", "Include the wine-quality example pipeline", "boolean"),
    Setting("branches", "Branches", "Comma-separated; the first is the default branch", "list"),
    Setting("data.dvc", "DVC data", "Version data/ with DVC; each branch's data.remote holds the versions", "boolean"),
    Setting("containers", "Container steps", "Package the example's train step as an image CI builds", "boolean"),
    Setting(
        "registry", "Image registry", "Where CI pushes step images (ghcr.io: the workflow token)", check=check_registry
    ),
    Setting("compare", "Model comparison", "Notebook and parameter sweep comparing models in MLflow", "boolean"),
)

BRANCH_SETTINGS: tuple[Setting, ...] = (
    Setting("kfp.host", "KFP host", "Kubeflow Pipelines API URL (empty in-cluster)", check=check_url),
    Setting("kfp.auth", "KFP auth", "none, token, dex (Kubeflow login) or incluster", "choice", AUTH_MODES),
    Setting(
        "kfp.namespace", "Namespace", "Kubeflow profile namespace (empty for standalone KFP)", check=check_namespace
    ),
    Setting("kfp.experiment", "Experiment", "KFP experiment the branch's runs go to", check=check_experiment),
    Setting("mlflow.uri", "MLflow URI", "Tracking server the pipeline logs to (empty: no tracking)", check=check_url),
    Setting("s3.endpoint", "S3/MinIO endpoint", "For s3:// data and artifacts (empty: AWS S3)", check=check_url),
    Setting("data.uri", "Data URI", "http(s)://, s3://bucket/key or a path in the repo", check=check_data_uri),
    Setting(
        "data.remote",
        "DVC remote",
        "With data.dvc: s3://bucket/prefix on s3.endpoint, or a local folder",
        check=check_data_remote,
    ),
    Setting(
        "schedule", "Schedule", "Cron (UTC) for scheduled retraining, e.g. 0 3 * * 1; empty: none", check=check_cron
    ),
)


@dataclass
class BranchSettings:
    kfp_host: str = "http://localhost:8080"
    kfp_auth: str = "none"
    kfp_namespace: str = ""
    kfp_experiment: str = ""
    mlflow_uri: str = INCLUSTER_MLFLOW
    s3_endpoint: str = INCLUSTER_MINIO
    data_uri: str = WINE_DATA_URI
    data_remote: str = ""
    schedule: str = ""
    # Project-wide options the branch's secrets depend on, kept in step by ProjectSpec (not settings).
    dvc: bool = False
    registry: str = ""  # the image registry when the project builds step images

    def required_secrets(self) -> list[str]:
        """Secret names this branch's CI needs, from its auth mode, data location and image registry."""
        names = []
        if self.kfp_auth == "token":
            names.append("KFP_TOKEN")
        elif self.kfp_auth == "dex":
            names += ["KFP_USERNAME", "KFP_PASSWORD"]
        if self.data_uri.startswith("s3://") or (self.dvc and self.data_remote.startswith("s3://")):
            names += ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        if self.registry and self.registry.split("/")[0] != GHCR:
            names += REGISTRY_SECRETS  # ghcr.io takes the workflow's own GITHUB_TOKEN
        return names

    def optional_secrets(self) -> list[str]:
        """Secret names CI passes on when they are set and no check requires: what only some servers ask for."""
        return list(MLFLOW_SECRETS) if self.mlflow_uri else []

    def secret_names(self) -> list[str]:
        """Every secret name this branch's CI reads: the required ones, then the optional ones."""
        return self.required_secrets() + self.optional_secrets()


def _attr(key: str) -> str:
    return key.replace(".", "_")


@dataclass
class ProjectSpec:
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
    branches: dict[str, BranchSettings] = field(default_factory=dict)
    kind: str = "project"
    # Written by later commands and read back: push records how secrets are scoped, new/sync the upstream.
    secrets_mode: str = "environments"
    upstream: str = ""
    remote: str = ""
    template_version: str = __version__

    # ----------------------------------------------------------- construction

    @classmethod
    def default(cls, name: str, branches: Iterable[str] = DEFAULT_BRANCHES) -> ProjectSpec:
        spec = cls(name=name)
        spec.branches = {b: default_branch_settings(name, b) for b in branches}
        spec._share_options()
        return spec

    def _share_options(self) -> None:
        """Hand the project-wide options that decide branch secrets (DVC on S3, a registry) to each branch."""
        for settings in self.branches.values():
            settings.dvc = self.data_dvc
            settings.registry = self.registry if self.containers else ""

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
        if key in GLOBAL_KEYS:
            return getattr(self, _attr(key))
        branch, sub = split_branch_key(key, self.branch_names)
        return getattr(self.branches[branch], _attr(sub))

    def set(self, key: str, raw: Any) -> None:
        """Set one setting from user text (``--set key=value``) or a typed value (config file, JSON)."""
        if key == "branches":
            self._set_branches(raw)
            return
        if key in GLOBAL_KEYS:
            setting = GLOBAL_KEYS[key]
            value = _coerce(setting, raw, key)
            if key == "name" and value != self.name:
                self._rename(value)
            setattr(self, _attr(key), value)
            self._share_options()
            return
        branch, sub = split_branch_key(key, self.branch_names)
        setting = BRANCH_KEYS[sub]
        setattr(self.branches[branch], _attr(sub), _coerce(setting, raw, key))

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
        out: dict[str, Any] = {s.key: self.get(s.key) for s in SETTINGS}
        for branch in self.branches:
            for s in BRANCH_SETTINGS:
                out[f"{branch}.{s.key}"] = self.get(f"{branch}.{s.key}")
        return out

    # ----------------------------------------------------------- validation

    def validate(self) -> ProjectSpec:
        problems = []
        for s in SETTINGS:
            if s.check and (msg := s.check(self.get(s.key))):
                problems.append(f"{s.key}: {msg}")
        for b in self.branches:
            if msg := check_branch_name(b):
                problems.append(f"branches: {msg}")
            for s in BRANCH_SETTINGS:
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


GLOBAL_KEYS = {s.key: s for s in SETTINGS}
BRANCH_KEYS = {s.key: s for s in BRANCH_SETTINGS}


def branch_prefix(branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", branch).upper()


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


def split_branch_key(key: str, branches: list[str]) -> tuple[str, str]:
    for branch in sorted(branches, key=len, reverse=True):
        prefix = branch + "."
        if key.startswith(prefix) and key[len(prefix) :] in BRANCH_KEYS:
            return branch, key[len(prefix) :]
    known = ", ".join([s.key for s in SETTINGS] + [f"<branch>.{s.key}" for s in BRANCH_SETTINGS])
    head = key.split(".", 1)[0]
    if "." in key and head not in branches and key.split(".", 1)[1] in BRANCH_KEYS:
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
    for s in SETTINGS:
        if s.key != "branches":
            _nest(project, s.key, spec.get(s.key))
    project["branches"] = spec.branch_names
    branches = {}
    for b, bs in spec.branches.items():
        nested: dict[str, Any] = {}
        for s in BRANCH_SETTINGS:
            _nest(nested, s.key, getattr(bs, _attr(s.key)))
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
        spec.upstream = tool.get("upstream", "")
        spec.remote = tool.get("remote", "")
        spec.template_version = tool.get("template_version", __version__)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc.message}", details=exc.details) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(
            f"{source}: missing or malformed entry ({exc}); compare with a freshly generated one"
        ) from None
    return spec.validate()


def loads(text: str, *, source: str = "mlops.toml") -> ProjectSpec:
    from .._toml import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source} is not valid TOML: {exc}") from None
    return from_toml_dict(data, source=source)


def load_settings_file(path: str) -> dict[str, Any]:
    """A ``--config`` file: TOML (mlops.toml shape or flat ``key = value``) or JSON, flattened to settings keys."""
    import json
    from pathlib import Path

    from .._toml import tomllib

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


# ---------------------------------------------------------------- JSON schema (forms, REST)


def json_schema(branches: Iterable[str] = DEFAULT_BRANCHES) -> dict:
    def prop(s: Setting) -> dict:
        if s.kind == "boolean":
            return {"type": "boolean", "title": s.label, "description": s.help}
        if s.kind == "list":
            return {"type": "string", "title": s.label, "description": s.help}
        out = {"type": "string", "title": s.label, "description": s.help}
        if s.choices:
            out["enum"] = list(s.choices)
        return out

    properties = {s.key: prop(s) for s in SETTINGS}
    for b in branches:
        for s in BRANCH_SETTINGS:
            properties[f"{b}.{s.key}"] = prop(s)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "jupyter-mlops project settings",
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
    }
