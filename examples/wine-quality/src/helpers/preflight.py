"""Preflight: before anything is compiled or submitted, check what the run will need.

- data:   the branch's data URI answers (http(s), s3:// on MinIO/S3 with the AWS_* variables, a local path);
- kfp:    the KFP API is reachable and accepts this branch's credentials (in its namespace);
- mlflow: when a tracking URI is configured, the registry answers and has (or not yet) the model.

Each check prints one line; a failed required check stops the run (exit code 1, or 3 for credentials).
Run it alone: `python src/pipelines/<branch>/main.py --check` or `python -m src.helpers.preflight BRANCH`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from src.helpers import report
from src.helpers.config import ROOT, BranchConfig, ConfigError, load_branch_config
from src.helpers.kfp_client import Connection, connect, in_cluster, port_forward_hint
from src.helpers.local_run import data_versioned
from src.helpers.report import AuthFailed, StepFailed

TIMEOUT = 20


def check_data(config: BranchConfig, env: Mapping[str, str], *, local: bool = False) -> None:
    uri = config.data_uri
    where = f"data.uri in src/pipelines/{config.branch}/config.yaml"
    if not uri:
        report.skip("data", f"no data to check ({where} is empty)")
        return
    if data_versioned(config):
        from src.helpers.data_version import check_pinned

        check_pinned(config, env, local=local)
    elif uri.startswith(("http://", "https://")):
        _check_http_data(uri)
    elif uri.startswith("s3://"):
        check_s3_object(config, uri, env)
    else:
        path = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
        path = path if path.is_absolute() else ROOT / path
        if not path.is_file():
            raise StepFailed(f"{uri} does not exist ({path})", f"create the file or fix {where}")
        if not local:
            raise StepFailed(
                f"{uri} is a file on this machine; the cluster's pods cannot read it",
                "upload it to MinIO/S3 or an http(s) server and point data.uri there (files suit --local)",
            )
        report.ok("data", f"{uri} exists ({_size(path.stat().st_size)})")


def _check_http_data(uri: str) -> None:
    import requests

    try:
        answer = requests.head(uri, allow_redirects=True, timeout=TIMEOUT)
        if answer.status_code in (403, 405, 501):  # some servers refuse HEAD: ask for the first bytes
            answer = requests.get(uri, headers={"Range": "bytes=0-1023"}, stream=True, timeout=TIMEOUT)
            answer.close()
    except requests.RequestException as exc:
        raise StepFailed(
            f"cannot reach {uri}: {type(exc).__name__}", "check the URL and the network from here"
        ) from None
    if answer.status_code >= 400:
        raise StepFailed(
            f"{uri} answered HTTP {answer.status_code}", "check the URL (and that the file is public)"
        )
    length = answer.headers.get("Content-Length")
    size = f", {_size(int(length))}" if length and length.isdigit() and answer.status_code == 200 else ""
    report.ok("data", f"{uri} is reachable (HTTP {answer.status_code}{size})")


def check_s3_object(
    config: BranchConfig,
    uri: str,
    env: Mapping[str, str],
    *,
    endpoint: str | None = None,
    missing: tuple[str, str] | None = None,
    what: str = "",
) -> None:
    """``uri`` exists on MinIO/S3 (``endpoint``, default the branch's s3.endpoint) and the AWS_* keys read it.

    ``missing``: the message and fix when it does not exist; ``what``: how the success line names it.
    """
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not env.get(name):
            raise AuthFailed(
                f"{uri} needs {name}, which is not set",
                f"in CI: `jupyter mlops secrets set {name} --env {config.branch}`; locally: export {name}",
            )
    endpoint = config.s3_endpoint if endpoint is None else endpoint
    if endpoint and _cluster_only(endpoint) and not in_cluster(env):
        report.skip(
            "data", f"{uri} is on {endpoint}, which only the cluster's pods reach; not checked from here"
        )
        return
    import boto3
    import botocore.exceptions

    bucket, _, key = uri[len("s3://") :].partition("/")
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(connect_timeout=TIMEOUT, retries={"max_attempts": 1}),
    )
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in (401, 403):
            raise AuthFailed(
                f"{endpoint or 'S3'} refused the AWS_* credentials for {uri} (HTTP {status})",
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket's policy",
            ) from None
        if status == 404:
            message, fix = missing or (
                f"{uri} does not exist on {endpoint or 'S3'}",
                "check the bucket and key in data.uri",
            )
            raise StepFailed(message, fix) from None
        raise StepFailed(f"{uri}: {exc}", "check data.uri and s3.endpoint") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise StepFailed(
            f"cannot reach {endpoint or 'S3'}: {exc}", "check s3.endpoint in platform.yaml"
        ) from None
    size = _size(head.get("ContentLength", 0))
    report.ok("data", f"{what} is readable ({size}) at {uri}" if what else f"{uri} is readable ({size})")


def check_kfp(config: BranchConfig, env: Mapping[str, str], *, prefer_incluster: bool = False) -> Connection:
    import requests

    connection = connect(config, env, prefer_incluster=prefer_incluster)
    api = f"{connection.host}/apis/v2beta1"
    session = connection.session()
    try:
        health = session.get(f"{api}/healthz", timeout=TIMEOUT)
    except requests.RequestException:
        raise StepFailed(
            f"cannot reach the KFP API at {connection.host}", port_forward_hint(connection.host)
        ) from None
    _raise_for_auth(health, connection)
    if health.status_code != 200:
        raise StepFailed(
            f"{api}/healthz answered HTTP {health.status_code}",
            "check kfp.host (full Kubeflow serves KFP under /pipeline)",
        )
    multi_user = bool(_json(health).get("multi_user"))
    if multi_user and not connection.namespace:
        raise StepFailed(
            "this KFP is multi-user and the branch has no namespace",
            f"set kfp.namespace in src/pipelines/{config.branch}/platform.yaml to your Kubeflow profile "
            "(e.g. kubeflow-user-example-com)",
        )
    params = {"page_size": 1}
    if connection.namespace:
        params["namespace"] = connection.namespace
    listing = session.get(f"{api}/experiments", params=params, timeout=TIMEOUT)
    _raise_for_auth(listing, connection)
    if listing.status_code != 200:
        raise StepFailed(
            f"listing experiments answered HTTP {listing.status_code}: {_message(listing)}",
            "check kfp.namespace and that your user may use it",
        )
    scope = f" in namespace {connection.namespace}" if connection.namespace else ""
    report.ok("kfp", f"{connection.host} is reachable and accepts {connection.auth} authentication{scope}")
    return connection


def _raise_for_auth(answer, connection: Connection) -> None:
    fixes = {
        "none": "this KFP requires authentication: set kfp.auth in platform.yaml (token, dex or incluster)",
        "token": "KFP_TOKEN is wrong or expired: set a fresh one",
        "dex": "check KFP_USERNAME / KFP_PASSWORD and that the user's profile owns the namespace",
        "incluster": "the service account may not use KFP: add a PodDefault / RoleBinding in its namespace",
    }
    if answer.status_code in (401, 403):
        raise AuthFailed(
            f"KFP refused the request (HTTP {answer.status_code}: {_message(answer)})", fixes[connection.auth]
        )
    if "text/html" in answer.headers.get("Content-Type", "") and answer.history:
        raise AuthFailed(
            "KFP answered with a login page: the request was not authenticated", fixes[connection.auth]
        )


def check_mlflow(config: BranchConfig, env: Mapping[str, str]) -> None:
    """Optional: never stops the run, since the pipeline's pods may reach MLflow where this machine cannot."""
    import requests

    uri = config.mlflow_uri.rstrip("/")
    model = str(config.params.get("model_name") or "")
    if not uri:
        report.skip(
            "mlflow", "no tracking URI configured (mlflow.uri in platform.yaml); runs are not tracked"
        )
        return
    if _cluster_only(uri) and not in_cluster(env):
        report.skip(
            "mlflow", f"{uri} is reached by the pipeline's pods inside the cluster; not checked from here"
        )
        return
    try:
        answer = requests.get(
            f"{uri}/api/2.0/mlflow/registered-models/get", params={"name": model}, timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        report.warn(
            "mlflow", f"cannot reach {uri} ({type(exc).__name__}); the run continues, tracking may fail"
        )
        return
    if answer.status_code == 404 or _json(answer).get("error_code") == "RESOURCE_DOES_NOT_EXIST":
        report.ok(
            "mlflow", f"{uri} answers; no model {model!r} registered yet (this run registers version 1)"
        )
    elif answer.status_code == 200:
        versions = _json(answer).get("registered_model", {}).get("latest_versions", [])
        latest = max((int(v.get("version", 0)) for v in versions), default=0)
        report.ok("mlflow", f"{uri} answers; model {model!r} is at version {latest}")
    else:
        report.warn(
            "mlflow", f"{uri} answered HTTP {answer.status_code}; the run continues, tracking may fail"
        )


def run_preflight(
    config: BranchConfig,
    env: Mapping[str, str] | None = None,
    *,
    local: bool = False,
    prefer_incluster: bool = False,
) -> Connection | None:
    """Run every check, print one line each, then raise the first failure (credentials first)."""
    env = os.environ if env is None else env
    failures: list[StepFailed] = []
    checks = [("data", lambda: check_data(config, env, local=local))]
    if not local:
        checks.append(("kfp", lambda: check_kfp(config, env, prefer_incluster=prefer_incluster)))
        checks.append(("mlflow", lambda: check_mlflow(config, env)))
    connection = None
    for name, check in checks:
        try:
            result = check()
        except StepFailed as exc:
            report.fail(name, exc.message, exc.fix)
            failures.append(exc)
        else:
            connection = result if isinstance(result, Connection) else connection
    if failures:
        failures.sort(key=lambda f: not isinstance(f, AuthFailed))
        raise failures[0]
    return connection


def _cluster_only(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith(".svc.cluster.local") or host.endswith(".svc")


def _json(answer) -> dict:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(answer) -> str:
    data = _json(answer)
    return str(data.get("message") or data.get("error") or answer.reason or "").strip()[:200]


def _size(n: int) -> str:
    return f"{n / 1024:.1f} kB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m src.helpers.preflight", description=__doc__.splitlines()[0]
    )
    parser.add_argument("branch")
    args = parser.parse_args(argv)
    try:
        run_preflight(load_branch_config(args.branch))
    except ConfigError as exc:
        print(f"error: {exc}")
        return 2
    except StepFailed as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
