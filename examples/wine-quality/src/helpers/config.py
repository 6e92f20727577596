"""Load a branch's configuration: org-owned platform.yaml + project-owned config.yaml.

Both live in src/pipelines/<branch>/. Endpoints come from here; credentials only from environment
variables (GitHub secrets in CI, your shell locally), never from these files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
AUTH_MODES = ("none", "token", "dex", "incluster")


class ConfigError(ValueError):
    """A branch configuration file is missing or wrong; the message names the file and the fix."""


@dataclass(frozen=True)
class BranchConfig:
    branch: str
    kfp_host: str
    kfp_auth: str
    kfp_namespace: str
    experiment: str
    pipeline_name: str
    mlflow_uri: str = ""
    s3_endpoint: str = ""
    data_uri: str = ""
    local_data_uri: str = ""  # what --local runs read: data.local_uri (offline), else data.uri
    credentials_secret: str = ""
    secrets: tuple[str, ...] = ()
    optional_secrets: tuple[str, ...] = ()  # read when set (an MLflow server with login)
    params: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)  # the drift check's settings (config.yaml)

    @property
    def folder(self) -> Path:
        return ROOT / "src" / "pipelines" / self.branch

    def for_local(self) -> "BranchConfig":
        """This branch as a local run sees it: data.local_uri instead of a remote data.uri (an http(s):// or
        s3:// one). A data.uri in this repository (e.g. DVC-versioned data) is read as it is."""
        remote = "://" in self.data_uri
        return replace(self, data_uri=self.local_data_uri if remote else self.data_uri)


def branches(root: Path = ROOT) -> list[str]:
    """Every branch that has a configuration folder."""
    base = root / "src" / "pipelines"
    return sorted(p.name for p in base.iterdir() if (p / "platform.yaml").is_file())


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path.relative_to(ROOT)} is missing; restore it from git or the main repo"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.relative_to(ROOT)} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.relative_to(ROOT)} must be a mapping of settings")
    return data


def load_branch_config(branch: str, root: Path = ROOT) -> BranchConfig:
    folder = root / "src" / "pipelines" / branch
    platform = _read(folder / "platform.yaml")
    project = _read(folder / "config.yaml")
    kfp = platform.get("kfp") or {}
    auth = str(kfp.get("auth", "none"))
    if auth not in AUTH_MODES:
        raise ConfigError(
            f"src/pipelines/{branch}/platform.yaml: kfp.auth {auth!r} is not one of {AUTH_MODES}"
        )
    # Environment variables may point a run elsewhere without editing the files (a port-forward, a sample).
    host = os.environ.get("KFP_HOST") or str(kfp.get("host") or "")
    data = project.get("data") or {}
    data_uri = os.environ.get("DATA_URI") or str(data.get("uri") or "")
    local_data_uri = os.environ.get("DATA_URI") or str(data.get("local_uri") or "") or data_uri
    return BranchConfig(
        branch=branch,
        kfp_host=host.rstrip("/"),
        kfp_auth=auth,
        kfp_namespace=str(kfp.get("namespace") or ""),
        experiment=str(project.get("experiment") or f"{project.get('pipeline_name', 'pipeline')}-{branch}"),
        pipeline_name=str(project.get("pipeline_name") or "pipeline"),
        mlflow_uri=str((platform.get("mlflow") or {}).get("uri") or ""),
        s3_endpoint=str((platform.get("s3") or {}).get("endpoint") or ""),
        data_uri=data_uri,
        local_data_uri=local_data_uri,
        credentials_secret=str(platform.get("credentials_secret") or ""),
        secrets=tuple(platform.get("secrets") or ()),
        optional_secrets=tuple(platform.get("optional_secrets") or ()),
        params=dict(project.get("params") or {}),
        monitor=dict(project.get("monitor") or {}),
    )
