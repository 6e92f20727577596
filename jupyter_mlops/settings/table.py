"""The settings table: every setting a project has (key, type, check, page, order, ``when``, help), the
pages the forms show them on, and the CI secrets a branch may need.

Everything else reads this: ``spec.py`` (``--set``, mlops.toml, validation), ``forms.py`` (the JSON schema
every form renders: JupyterLab, ipywidgets, VS Code), the CLI's prompts and the reference docs. Adding a
row is the only change a new setting needs to appear on every face.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .._types import AUTH_MODES, LICENSES
from .validators import (
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

# ---------------------------------------------------------------- the settings table
#
# The rows are NamedTuples rather than dataclasses, as every record on init's path: importing dataclasses (with
# the inspect module it imports) and building the classes took 12 ms of each `jupyter mlops init`.

ALWAYS: Mapping[str, Any] = MappingProxyType({})  # a ``when`` with no condition


class Group(NamedTuple):
    """A page of the forms (the wizards, VS Code's webview): settings are shown on their group's page."""

    id: str
    title: str
    intro: str
    per_branch: bool = False  # shown once per branch (a tab each); its settings are written <branch>.<key>


GROUPS: tuple[Group, ...] = (
    Group("project", "Project", "The repository: its name, layout and branches."),
    Group("options", "Options", "What the generated repository includes besides the pipeline skeleton."),
    Group(
        "platform",
        "Platform",
        "Where each branch's pipeline runs. The first branch defaults to a laptop KFP (port-forwarded, no login); "
        "the others to a full Kubeflow with Dex login. Credentials are not asked here: they are CI secrets.",
        per_branch=True,
    ),
    Group(
        "github",
        "GitHub",
        "Where the repository is pushed: a GitHub owner (one GitHub Environment per branch), or none for a local "
        "git remote.",
    ),
)
_GROUP_BY_ID = {g.id: g for g in GROUPS}


class Setting(NamedTuple):
    """One row of the table. Adding a row is all it takes for a setting to reach ``--set``, the config file,
    mlops.toml, the CLI prompts, the REST schema and every form (a row without a ProjectSpec field keeps its
    value in the spec's ``extra`` and starts from ``default``)."""

    key: str
    label: str
    help: str
    kind: str = "string"  # string | boolean | choice | list
    choices: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None
    group: str = "project"  # the page it is on (GROUPS); a per-branch page makes it a <branch>.<key> setting
    order: int = 0  # its place on the page
    # Shown (and applied) only when every key here has that value; a per-branch key means the same branch's.
    when: Mapping[str, bool | str] = ALWAYS
    example: str = ""  # a valid value other than the default: the forms' placeholder, the tests' input
    default: Any = None  # only for a row with no ProjectSpec/BranchSettings field
    secret_free: bool = True  # settings never hold secrets; secrets go through `secrets set`

    @property
    def per_branch(self) -> bool:
        return _GROUP_BY_ID[self.group].per_branch


# The one table: project-wide rows, then per-branch rows (their group is a per-branch page). A list, so a
# test (or an organisation's fork) can add a row and see it everywhere; order here is mlops.toml's order.
TABLE: list[Setting] = [
    Setting(
        "name",
        "Project name",
        "GitHub repository name (letters, digits, . - _)",
        check=check_repo_name,
        order=10,
        example="wine-quality",
    ),
    Setting(
        "description",
        "Description",
        "One line shown on GitHub and in the README",
        check=check_one_line(350),
        order=20,
        example="Wine quality, wired for Kubeflow",
    ),
    Setting(
        "owner",
        "GitHub owner",
        "User or organisation; empty pushes to a local remote",
        check=check_owner,
        group="github",
        order=10,
        example="octo-org",
    ),
    Setting(
        "python",
        "Python version",
        "Used by CI and the pipeline's base image",
        check=check_python,
        order=30,
        example="3.12",
    ),
    Setting("license", "License", "placeholder leaves a LICENSE with instructions", "choice", LICENSES, order=40),
    Setting(
        "example", "Example pipeline", "Include the wine-quality example pipeline", "boolean", group="options", order=10
    ),
    Setting(
        "branches",
        "Branches",
        "Comma-separated; the first is the default branch",
        "list",
        order=50,
        example="dev,qa,prod",
    ),
    Setting(
        "data.dvc",
        "DVC data",
        "Version data/ with DVC; each branch's DVC remote holds the versions",
        "boolean",
        group="options",
        order=30,
    ),
    Setting(
        "containers",
        "Container steps",
        "Package the example's train step as an image CI builds",
        "boolean",
        group="options",
        order=40,
    ),
    Setting(
        "registry",
        "Image registry",
        "Where CI pushes step images (ghcr.io: the workflow token)",
        check=check_registry,
        group="options",
        order=50,
        when={"containers": True},
        example="registry.example.org/ml",
    ),
    Setting(
        "compare",
        "Model comparison",
        "Notebook and parameter sweep comparing models in MLflow",
        "boolean",
        group="options",
        order=20,
        when={"example": True},
    ),
    Setting(
        "monitor",
        "Drift and new data",
        "A scheduled check per branch: data drift against the deployed model's training data, or new data in "
        "storage, starts the branch's training run",
        "boolean",
        group="options",
        order=25,
        when={"example": True},
    ),
    Setting(
        "kfp.host",
        "KFP host",
        "Kubeflow Pipelines API URL (empty in-cluster)",
        check=check_url,
        group="platform",
        order=10,
        example="https://kubeflow.example.org/pipeline",
    ),
    Setting(
        "kfp.auth",
        "KFP auth",
        "none, token, dex (Kubeflow login) or incluster",
        "choice",
        AUTH_MODES,
        group="platform",
        order=20,
    ),
    Setting(
        "kfp.namespace",
        "Namespace",
        "Kubeflow profile namespace (empty for standalone KFP)",
        check=check_namespace,
        group="platform",
        order=30,
        example="team-wine",
    ),
    Setting(
        "kfp.experiment",
        "Experiment",
        "KFP experiment the branch's runs go to",
        check=check_experiment,
        group="platform",
        order=40,
        example="wine-nightly",
    ),
    Setting(
        "mlflow.uri",
        "MLflow URI",
        "Tracking server the pipeline logs to (empty: no tracking)",
        check=check_url,
        group="platform",
        order=50,
        example="http://mlflow.example.org:5000",
    ),
    Setting(
        "s3.endpoint",
        "S3/MinIO endpoint",
        "For s3:// data and artifacts (empty: AWS S3)",
        check=check_url,
        group="platform",
        order=60,
        example="http://minio.example.org:9000",
    ),
    Setting(
        "data.uri",
        "Data URI",
        "http(s)://, s3://bucket/key or a path in the repo",
        check=check_data_uri,
        group="platform",
        order=70,
        example="s3://wine-data/winequality-red.csv",
    ),
    Setting(
        "data.remote",
        "DVC remote",
        "Where DVC keeps the data's versions: s3://bucket/prefix on the S3 endpoint, or a local folder",
        check=check_data_remote,
        group="platform",
        order=80,
        when={"data.dvc": True},
        example="s3://wine-data/dvc",
    ),
    Setting(
        "schedule",
        "Schedule",
        "Cron (UTC) for scheduled retraining, e.g. 0 3 * * 1; empty: none",
        check=check_cron,
        group="platform",
        order=90,
        example="0 3 * * 1",
    ),
    Setting(
        "monitor.schedule",
        "Monitor schedule",
        "Cron (UTC) of the drift and new-data check; empty: only by hand (Run workflow)",
        check=check_cron,
        group="platform",
        order=100,
        when={"example": True, "monitor": True},
        example="30 5 * * *",
        default="0 5 * * *",
    ),
    Setting(
        "monitor.current_uri",
        "Current data",
        "What the check compares with the training data (e.g. recent inference inputs): http(s)://, s3:// or a "
        "path; empty: the branch's data URI",
        check=check_data_uri,
        group="platform",
        order=110,
        when={"example": True, "monitor": True},
        example="s3://wine-data/inference/latest.csv",
    ),
]


def project_settings() -> list[Setting]:
    """The project-wide rows (``name``, ``data.dvc``, …), in table order."""
    return [s for s in TABLE if not s.per_branch]


def branch_settings() -> list[Setting]:
    """The per-branch rows (written ``<branch>.<key>``), in table order."""
    return [s for s in TABLE if s.per_branch]


def on_page(group: Group) -> list[Setting]:
    """A page's rows in the order the forms show them."""
    return sorted((s for s in TABLE if s.group == group.id), key=lambda s: s.order)


def project_setting(key: str) -> Setting | None:
    return next((s for s in TABLE if s.key == key and not s.per_branch), None)


def branch_setting(key: str) -> Setting | None:
    return next((s for s in TABLE if s.key == key and s.per_branch), None)


def when_key(key: str, branch: str | None) -> str:
    """The full key a ``when`` entry names: a per-branch key means the same branch's."""
    return f"{branch}.{key}" if branch and branch_setting(key) else key


def applies(setting: Setting, values: Mapping[str, Any], branch: str | None = None) -> bool:
    """Whether a setting is shown and applied with these values (flat keys); absent keys take no part."""
    for key, wanted in setting.when.items():
        full = when_key(key, branch)
        if full in values and values[full] != wanted:
            return False
    return True


# ---------------------------------------------------------------- the CI secrets a branch may need


class Matches(NamedTuple):
    """A ``when`` value that is a regular expression the setting's text must match (re.search)."""

    pattern: str


class CiSecret(NamedTuple):
    """A secret a branch's CI reads (same name in every environment). It is needed when any one of ``when``'s
    conditions holds; a condition holds when every key has its value (a literal, or Matches)."""

    name: str
    title: str
    help: str
    when: tuple[Mapping[str, Any], ...]
    optional: bool = False  # CI runs without it (e.g. an MLflow without login); forms offer it, push does not ask
    # The branch workflow's steps that read it (least privilege): "check" (the preflight), "submit" (compile,
    # submit, --wait), "images" (the registry login), "inference" (the tests against the deployed model);
    # "monitor" is the drift workflow's step (option monitor: the data, MLflow, and the KFP login for the
    # training run it may start). The pipeline's own steps on the cluster get theirs from the Kubernetes
    # credentials secret, never from the workflow.
    steps: tuple[str, ...] = ("check",)


_S3_URI = Matches("^s3://")
_S3_DATA = ({"data.uri": _S3_URI}, {"data.dvc": True, "data.remote": _S3_URI})
# ghcr.io takes the workflow's own GITHUB_TOKEN; any other registry needs a login.
_OWN_REGISTRY = ({"containers": True, "registry": Matches(r"^(?!ghcr\.io(/|$)).")},)
_TRACKING = ({"mlflow.uri": Matches(".")},)  # the branch logs to an MLflow server
# The preflight, the submission, a retraining and the inference tests (KServe behind the same gateway) use the
# KFP login; the preflight, the drift check and the inference tests read the data and MLflow.
_KFP_STEPS = ("check", "submit", "monitor", "inference")
_DATA_STEPS = ("check", "monitor", "inference")
SECRETS: list[CiSecret] = [
    CiSecret(
        "KFP_TOKEN",
        "KFP token",
        "Bearer token for the Kubeflow Pipelines API",
        ({"kfp.auth": "token"},),
        steps=_KFP_STEPS,
    ),
    CiSecret(
        "KFP_USERNAME", "Kubeflow user", "Dex login, e.g. user@example.com", ({"kfp.auth": "dex"},), steps=_KFP_STEPS
    ),
    CiSecret(
        "KFP_PASSWORD", "Kubeflow password", "Dex password of that user", ({"kfp.auth": "dex"},), steps=_KFP_STEPS
    ),
    CiSecret(
        "AWS_ACCESS_KEY_ID", "S3/MinIO access key", "Reads s3:// data and DVC versions", _S3_DATA, steps=_DATA_STEPS
    ),
    CiSecret("AWS_SECRET_ACCESS_KEY", "S3/MinIO secret key", "The access key's secret", _S3_DATA, steps=_DATA_STEPS),
    CiSecret("REGISTRY_USERNAME", "Registry user", "Login for the image registry", _OWN_REGISTRY, steps=("images",)),
    CiSecret(
        "REGISTRY_PASSWORD", "Registry password", "Password or token for that login", _OWN_REGISTRY, steps=("images",)
    ),
    # An MLflow server with login (`mlflow server --app-name basic-auth`, or a token-checking proxy) takes these,
    # read by the MLflow client itself; a server without login needs none, so they are optional.
    CiSecret(
        "MLFLOW_TRACKING_USERNAME",
        "MLflow user",
        "For an MLflow server with login",
        _TRACKING,
        optional=True,
        steps=_DATA_STEPS,
    ),
    CiSecret(
        "MLFLOW_TRACKING_PASSWORD",
        "MLflow password",
        "That user's password",
        _TRACKING,
        optional=True,
        steps=_DATA_STEPS,
    ),
    CiSecret(
        "MLFLOW_TRACKING_TOKEN",
        "MLflow token",
        "Bearer token (a server behind a token check)",
        _TRACKING,
        optional=True,
        steps=_DATA_STEPS,
    ),
]
REGISTRY_SECRETS = [s.name for s in SECRETS if s.name.startswith("REGISTRY_")]
MLFLOW_SECRETS = [s.name for s in SECRETS if s.name.startswith("MLFLOW_")]


def condition_holds(condition: Mapping[str, Any], value_of: Callable[[str], Any]) -> bool:
    for key, wanted in condition.items():
        value = value_of(key)
        if isinstance(wanted, Matches):
            if not isinstance(value, str) or not re.search(wanted.pattern, value):
                return False
        elif value != wanted:
            return False
    return True
