"""Drift and new data: is the data today still what the deployed model was trained on?

    python src/pipelines/<branch>/main.py --drift                    the branch's data vs the deployed model's
    python src/pipelines/<branch>/main.py --drift --current URI      e.g. recent inference inputs instead
    python src/pipelines/<branch>/main.py --drift --reference FILE   a reference.json instead of MLflow's
    python src/pipelines/<branch>/main.py --drift --retrain          ... and start a training run when needed

The reference is what train stored with the deployed version (the registered model's @deployed alias): per
feature a summary and a sample of the training rows (``reference/reference.json`` in its MLflow run). Each
numeric feature of the current data is compared with it by two measures:

- the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``'s; see kolmogorov_smirnov): could both
  samples come from one distribution? Rejected below ``p_value`` shared among the features (Bonferroni:
  p_value / features), so eleven features at 0.05 raise a false alarm on at most 5% of checks, not 43%;
- the Wasserstein distance (as ``scipy.stats.wasserstein_distance`` computes it) in training standard
  deviations: how far the distribution moved. With many rows the test rejects tiny, harmless moves; drift
  also needs a move of at least ``min_shift`` (Evidently's default for large samples is the same 0.1).

A feature drifted when both say so; the data drifted when a feature did (or one is missing). One line per
feature and a verdict are printed, and a report written (drift_report.py: build/<branch>/drift.md, which CI
adds to the job summary, and drift.html, kept as an artifact). Exit code 0 no drift, 1 drift.

New data: the version of the branch's data in storage now (the S3 object's VersionId or ETag, an http(s)
server's ETag or Last-Modified, a file's SHA-256; what pull_data records) differs from the one the deployed
model was trained on (its ``data_version`` tag).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Mapping

from src.helpers import report
from src.helpers.config import ROOT, BranchConfig, ConfigError
from src.helpers.report import StepFailed

DEPLOYED_ALIAS = "deployed"
REFERENCE_ARTIFACT = "reference/reference.json"
TIMEOUT = 60
DEFAULTS = {"p_value": 0.05, "min_shift": 0.1}


@dataclass
class FeatureDrift:
    name: str
    p_value: float = 1.0  # KS test: how likely both samples come from one distribution
    shift: float = 0.0  # Wasserstein distance in training standard deviations
    reference_mean: float = math.nan
    current_mean: float = math.nan
    drifted: bool = False
    note: str = ""  # why it was not compared, or is drift by itself (a missing column)

    @property
    def line(self) -> str:
        if self.note:
            return f"{self.name}: {self.note}"
        verdict = "DRIFT" if self.drifted else "no drift"
        return (
            f"{self.name}: KS p={self.p_value:.3g}, moved {self.shift:.2f} sd "
            f"(mean {self.reference_mean:.4g} -> {self.current_mean:.4g}): {verdict}"
        )


@dataclass
class NewData:
    uri: str
    trained_on: str  # the data version (and URI) the deployed model was trained on
    trained_uri: str
    now: str  # the version in storage now

    @property
    def new(self) -> bool:
        moved = bool(self.trained_uri) and self.trained_uri != self.uri
        return bool(self.now) and (moved or self.now != self.trained_on)


@dataclass
class DriftResult:
    branch: str
    reference: str  # what was compared with, e.g. "wine-quality-development version 3 (@deployed)"
    current_uri: str
    rows: int
    reference_rows: int
    features: list[FeatureDrift] = field(default_factory=list)
    data: NewData | None = None
    p_value: float = DEFAULTS["p_value"]
    min_shift: float = DEFAULTS["min_shift"]

    @property
    def drifted(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    @property
    def new_data(self) -> bool:
        return bool(self.data and self.data.new)


# ---------------------------------------------------------------- comparing


def compare(
    reference: Mapping[str, Any], current, *, p_value: float = 0.05, min_shift: float = 0.1
) -> list[FeatureDrift]:
    """Each reference feature against the same column of ``current`` (a pandas DataFrame)."""
    import numpy as np
    import pandas as pd

    features = reference.get("features") or {}
    limit = p_value / max(len(features), 1)
    out = []
    for name, described in features.items():
        if name not in current.columns:
            out.append(FeatureDrift(name, drifted=True, note="missing from the current data: DRIFT"))
            continue
        values = pd.to_numeric(current[name], errors="coerce").to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        sample = np.asarray(described.get("sample") or [], dtype=float)
        if len(values) == 0 or len(sample) == 0:
            out.append(FeatureDrift(name, note="no numbers to compare (empty or not numeric): not compared"))
            continue
        spread = float(described.get("std") or 0.0) or 1.0
        sample, values = np.sort(sample), np.sort(values)
        p = kolmogorov_smirnov(sample, values)[1]
        moved = wasserstein(sample, values) / spread
        out.append(
            FeatureDrift(
                name,
                p_value=p,
                shift=moved,
                reference_mean=float(described.get("mean", sample.mean())),
                current_mean=float(values.mean()),
                drifted=p < limit and moved >= min_shift,
            )
        )
    return out


SMALL = 50  # fewer values on either side: scipy's exact test (the limiting distribution is not close enough)


def kolmogorov_smirnov(first, second) -> tuple[float, float]:
    """The two-sample Kolmogorov-Smirnov test of two sorted samples: (statistic, p-value).

    The statistic is scipy.stats.ks_2samp's, D = the largest gap between the two empirical distribution
    functions. The p-value, with both samples at least SMALL values, is the limiting Kolmogorov distribution's
    with Stephens' correction (Numerical Recipes 3rd ed. §14.3.3; scipy's asymptotic method before 1.5):
    Q((√nₑ + 0.12 + 0.11/√nₑ)·D), nₑ = nm/(n+m). tests/test_drift.py checks both against ks_2samp. Why not
    call it: importing scipy.stats costs about 0.8 s of CPU here (it rewrites its docstrings as it loads),
    more than the whole comparison of 100,000 rows; smaller samples still go to scipy's exact test.
    """
    import numpy as np

    n, m = len(first), len(second)
    if min(n, m) < SMALL:
        from scipy import stats

        tested = stats.ks_2samp(first, second)
        return float(tested.statistic), float(tested.pvalue)
    both = np.concatenate([first, second])
    gaps = np.searchsorted(first, both, side="right") / n - np.searchsorted(second, both, side="right") / m
    statistic = float(np.max(np.abs(gaps)))
    root = math.sqrt(n * m / (n + m))
    return statistic, kolmogorov_sf((root + 0.12 + 0.11 / root) * statistic)


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution, by whichever of its two series converges fast at x."""
    import numpy as np

    if x <= 0:
        return 1.0
    k = np.arange(1, 101)
    if x < 1.0:  # 1 - √(2π)/x · Σ exp(-(2k-1)²π²/(8x²))
        terms = np.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * x * x))
        below = math.sqrt(2 * math.pi) / x * float(np.sum(terms))
        return min(max(1.0 - below, 0.0), 1.0)
    # 2 Σ (-1)^(k-1) exp(-2k²x²)
    return min(max(2.0 * float(np.sum((-1.0) ** (k - 1) * np.exp(-2.0 * k * k * x * x))), 0.0), 1.0)


def wasserstein(first, second) -> float:
    """The 1-Wasserstein distance of two sorted samples: the area between their quantile functions, exact
    (both are step functions; they change only at i/n and j/m). The same number as
    scipy.stats.wasserstein_distance (tests/test_drift.py checks), at a quarter of its cost on 100,000 rows:
    no argsort of both samples joined."""
    import numpy as np

    n, m = len(first), len(second)
    steps = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    widths = np.diff(steps, prepend=0.0)
    # The quantile at u is the ceil(u*n)-th smallest value (the epsilon keeps u = i/n on step i).
    low = first[np.minimum(np.ceil(steps * n - 1e-9).astype(int) - 1, n - 1)]
    high = second[np.minimum(np.ceil(steps * m - 1e-9).astype(int) - 1, m - 1)]
    return float(np.sum(np.abs(low - high) * widths))


# ---------------------------------------------------------------- reading data and versions


def _s3(endpoint: str, env: Mapping[str, str]):
    import boto3
    import botocore.config

    return boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        config=botocore.config.Config(
            connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"max_attempts": 2}
        ),
    )


def _local(uri: str) -> Path:
    path = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
    return path if path.is_absolute() else ROOT / path


def _versioned(version_id: str | None, etag: str | None) -> str:
    if version_id and version_id != "null":
        return f"version:{version_id}"
    return "etag:" + (etag or "").removeprefix("W/").strip('"') if etag else ""


def data_version(uri: str, endpoint: str = "", env: Mapping[str, str] | None = None) -> str:
    """The version of ``uri`` in storage, named as pull_data names it (without downloading when the storage
    says it: an S3 HEAD, an http(s) HEAD)."""
    env = os.environ if env is None else env
    try:
        if uri.startswith("s3://"):
            bucket, _, key = uri[len("s3://") :].partition("/")
            head = _s3(endpoint, env).head_object(Bucket=bucket, Key=key)
            return _versioned(head.get("VersionId"), head.get("ETag"))
        if uri.startswith(("http://", "https://")):
            import requests

            answer = requests.head(uri, allow_redirects=True, timeout=TIMEOUT)
            answer.raise_for_status()
            if version := _versioned(None, answer.headers.get("ETag")):
                return version
            if modified := answer.headers.get("Last-Modified"):
                return "modified:" + parsedate_to_datetime(modified).strftime("%Y%m%dT%H%M%SZ")
            return "sha256:" + hashlib.sha256(_read_bytes(uri, endpoint, env)).hexdigest()[:16]
        return "sha256:" + hashlib.sha256(_local(uri).read_bytes()).hexdigest()[:16]
    except Exception as exc:  # noqa: BLE001 - any storage error is the same failure for the user
        raise _unreadable(uri, exc) from None


def _read_bytes(uri: str, endpoint: str, env: Mapping[str, str]) -> bytes:
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")
        return _s3(endpoint, env).get_object(Bucket=bucket, Key=key)["Body"].read()
    if uri.startswith(("http://", "https://")):
        import requests

        answer = requests.get(uri, timeout=TIMEOUT)
        answer.raise_for_status()
        return answer.content
    return _local(uri).read_bytes()


def read_data(uri: str, endpoint: str = "", env: Mapping[str, str] | None = None):
    """A CSV (``;``, ``,`` or tab separated: read from its header line) as a DataFrame."""
    import pandas as pd

    env = os.environ if env is None else env
    try:
        body = _read_bytes(uri, endpoint, env)
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(uri, exc) from None
    header = body[:4096].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    try:
        sep = csv.Sniffer().sniff(header, delimiters=";,\t").delimiter
    except csv.Error:
        sep = ","
    return pd.read_csv(io.BytesIO(body), sep=sep)


def _unreadable(uri: str, exc: Exception) -> StepFailed:
    status = getattr(exc, "response", None)
    code = status.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(status, dict) else None
    code = code or getattr(status, "status_code", None)
    if code in (401, 403):
        return report.AuthFailed(
            f"{uri}: the storage refused the credentials (HTTP {code})",
            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (in CI: the branch's secrets)",
        )
    return StepFailed(
        f"cannot read {uri}: {type(exc).__name__}: {str(exc)[:200]}", "check the URI and storage"
    )


# ---------------------------------------------------------------- the reference: the deployed version's


@dataclass
class Reference:
    statistics: dict
    label: str
    data_version: str = ""
    data_uri: str = ""


def reference_file(path: Path) -> Reference:
    try:
        statistics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--reference {path}: cannot read it as JSON ({exc})") from None
    if not isinstance(statistics, dict) or not isinstance(statistics.get("features"), dict):
        raise ConfigError(f"--reference {path}: not reference statistics (no 'features'); train writes them")
    return Reference(
        statistics, str(path), statistics.get("data_version", ""), statistics.get("data_uri", "")
    )


def deployed_reference(config: BranchConfig, env: Mapping[str, str]) -> Reference | None:
    """The reference statistics of the model's @deployed version (None when no version is deployed)."""
    from src.helpers.preflight import MLFLOW_LIMITS, _limited, deployed_version

    model = str(config.params.get("model_name") or "")
    if not config.mlflow_uri or not model:
        raise ConfigError(
            f"the {config.branch} branch has no MLflow registry to read the deployed model from "
            "(mlflow.uri in platform.yaml, model_name in config.yaml); give --reference FILE instead"
        )
    client, version = deployed_version(config, env)
    if version is None:
        return None
    with _limited(MLFLOW_LIMITS):
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = client.download_artifacts(version.run_id, REFERENCE_ARTIFACT, folder)
                statistics = json.loads(Path(path).read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - a missing file or an artifact store that refuses: one message
            raise StepFailed(
                f"cannot read {REFERENCE_ARTIFACT} of {model} version {version.version} (MLflow run "
                f"{version.run_id}): {type(exc).__name__}: {str(exc)[:200]}",
                "a version trained before train stored reference statistics has none: train and deploy "
                "a new one; otherwise check the artifact store's credentials (AWS_ACCESS_KEY_ID / "
                "AWS_SECRET_ACCESS_KEY)",
            ) from None
    tags = version.tags or {}
    return Reference(
        statistics,
        f"{model} version {version.version} (@{DEPLOYED_ALIAS})",
        tags.get("data_version") or statistics.get("data_version", ""),
        tags.get("data_uri") or statistics.get("data_uri", ""),
    )


# ---------------------------------------------------------------- the check


def check(
    config: BranchConfig,
    *,
    current_uri: str = "",
    reference_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> DriftResult | None:
    """Compare, print one line per feature and the verdict; None when no version is deployed yet."""
    env = os.environ if env is None else env
    reference = reference_file(reference_path) if reference_path else deployed_reference(config, env)
    if reference is None:
        report.skip(
            "drift",
            f"no version of {config.params.get('model_name')!r} is deployed yet (@{DEPLOYED_ALIAS}): "
            "nothing to compare with; a passing run on the cluster deploys one",
        )
        return None
    data_uri, endpoint = branch_data(config)
    current_uri = current_uri or str(config.monitor.get("current_uri") or "") or data_uri
    if not current_uri:
        raise ConfigError(
            f"no data to compare: data.uri of the {config.branch} branch is empty; give --current URI"
        )
    settings = {k: float(config.monitor.get(k, v)) for k, v in DEFAULTS.items()}
    frame = read_data(current_uri, endpoint if current_uri == data_uri else config.s3_endpoint, env)
    result = DriftResult(
        config.branch,
        reference.label,
        current_uri,
        len(frame),
        int(reference.statistics.get("rows") or 0),
        compare(reference.statistics, frame, **settings),
        **settings,
    )
    report.info("drift", f"{current_uri} ({len(frame)} rows) against {reference.label}")
    for feature in result.features:
        (report.fail if feature.drifted else report.ok)("drift", feature.line)
    if data_uri:
        now = data_version(data_uri, endpoint, env)
        result.data = NewData(data_uri, reference.data_version, reference.data_uri, now)
        if result.data.new:
            was = reference.data_version or "an unrecorded version"
            where = (
                f" of {reference.data_uri}" if reference.data_uri and reference.data_uri != data_uri else ""
            )
            report.warn("data", f"new data: {data_uri} is {now}; the model was trained on {was}{where}")
        else:
            report.ok("data", f"{data_uri} is still {now}, the version the model was trained on")
    if result.drifted:
        report.fail(
            "drift",
            f"{len(result.drifted)} of {len(result.features)} features drifted: {', '.join(result.drifted)}",
        )
    else:
        report.ok("drift", f"no drift in {len(result.features)} features")
    return result


def branch_data(config: BranchConfig) -> tuple[str, str]:
    """What the branch's next run reads, and its S3 endpoint: data.uri, or for DVC-versioned data the
    version this checkout's pointer names in the branch's remote (as pipeline_arguments resolves it)."""
    from src.helpers.local_run import data_versioned

    if not data_versioned(config):
        return config.data_uri, config.s3_endpoint
    from src.helpers.data_version import pinned

    found = pinned(config)
    return found.url, found.endpoint or config.s3_endpoint
