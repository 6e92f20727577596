"""Data versioned with DVC: data/ holds pointer files, each branch's DVC remote holds the versions.

    data.uri: data/winequality-red.csv             (src/pipelines/<branch>/config.yaml)
    data/winequality-red.csv.dvc                   (committed: the md5 of the version this commit uses)
    .dvc/config, remote "<branch>"                 (the branch's MinIO/S3 bucket, or a local folder)

A run reads the version its commit pins straight from the branch's remote (DVC's own address for it,
``dvc.api.get_url``), so the pipeline's pull_data step needs no DVC and any run can be repeated from
its commit. `dvc push -r <branch>` uploads a version; the preflight checks the remote holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from src.helpers import report
from src.helpers.config import ROOT, BranchConfig
from src.helpers.report import StepFailed


@dataclass(frozen=True)
class Pinned:
    path: str  # the data file, e.g. data/winequality-red.csv
    md5: str  # the version its .dvc pointer names
    remote: str  # the DVC remote (named after the branch)
    url: str  # where that version lives in the remote
    endpoint: str = ""  # the S3 endpoint of an s3:// remote ("" for AWS S3 or a local folder)

    @property
    def short(self) -> str:
        return f"{self.path} (md5 {self.md5[:8]})"


def pointer_md5(path: str, root: Path = ROOT) -> str:
    pointer = root / f"{path}.dvc"
    try:
        outs = (yaml.safe_load(pointer.read_text(encoding="utf-8")) or {}).get("outs") or [{}]
    except (OSError, yaml.YAMLError) as exc:
        raise StepFailed(
            f"cannot read {pointer.name}: {exc}", f"restore it with `git checkout -- {path}.dvc`"
        ) from None
    md5 = str(outs[0].get("md5") or "")
    if not md5 or md5.endswith(".dir"):
        raise StepFailed(
            f"{path}.dvc does not pin one file's version", "track a single file: `dvc add data/<file>.csv`"
        )
    return md5


def pinned(config: BranchConfig, root: Path = ROOT) -> Pinned:
    """The version of ``data.uri`` this checkout's pointer names, and its address in the branch's remote."""
    import dvc.api
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    path = config.data_uri
    md5 = pointer_md5(path, root)
    try:
        with Repo(str(root)) as repo:
            remotes = repo.config.get("remote", {})
            name = (
                config.branch if config.branch in remotes else repo.config.get("core", {}).get("remote", "")
            )
            if not name or name not in remotes:
                raise StepFailed(
                    f"the DVC config names no remote for the {config.branch} branch",
                    f"add one: `dvc remote add {config.branch} s3://bucket/prefix` and commit .dvc/config",
                )
            endpoint = str(remotes[name].get("endpointurl") or "")
        url = dvc.api.get_url(path, repo=str(root), remote=name)
    except DvcException as exc:
        raise StepFailed(
            f"DVC cannot locate {path} in remote {config.branch!r}: {exc}",
            "pip install -r requirements.txt (it has dvc[s3]) and check .dvc/config",
        ) from None
    return Pinned(path, md5, name, url, endpoint)


def check_pinned(
    config: BranchConfig, env: Mapping[str, str], *, local: bool = False, root: Path = ROOT
) -> Pinned:
    """The preflight for DVC data: the branch's remote answers and holds the version this commit pins."""
    from src.helpers.preflight import check_s3_object

    found = pinned(config, root)
    missing = (
        f"{found.path} at the version this commit pins (md5 {found.md5[:8]}) is not in DVC remote "
        f"{found.remote!r} ({found.url})",
        f"upload it from a checkout of this commit: `dvc push -r {found.remote}` "
        "(after `dvc add`, the version is in your local DVC cache)",
    )
    if found.url.startswith("s3://"):
        check_s3_object(config, found.url, env, endpoint=found.endpoint, missing=missing, what=found.short)
        return found
    folder = Path(found.url.split("/files/md5/")[0])
    if not folder.is_dir():
        raise StepFailed(
            f"DVC remote {found.remote!r} is the folder {folder}, which does not exist",
            "create it or point the remote elsewhere: `dvc remote modify <name> url ...`",
        )
    if not Path(found.url).is_file():
        raise StepFailed(*missing)
    if not local:
        raise StepFailed(
            f"DVC remote {found.remote!r} is a folder on this machine ({folder}); pods cannot read it",
            "use an s3:// remote on the branch's MinIO/S3 for CI (a local folder suits --local runs)",
        )
    report.ok("data", f"{found.short} is in DVC remote {found.remote!r} ({folder})")
    return found
