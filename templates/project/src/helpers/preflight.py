"""Preflight: before anything is compiled or submitted, check what the run will need.

- data:   the branch's data URI answers (http(s), s3:// on MinIO/S3 with the AWS_* variables, a local path);
- kfp:    the KFP API is reachable and accepts this branch's credentials (in its namespace);
- mlflow: when a tracking URI is configured, the server answers and accepts the login, and which version
          of the model is deployed (its @deployed alias).

Each check prints one line; a failed required check stops the run (exit code 1, or 3 for credentials).
Run it alone: `python src/pipelines/<branch>/main.py --check` or `python -m src.helpers.preflight BRANCH`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import urlsplit

from src.helpers import limits, report
from src.helpers.config import ROOT, BranchConfig, ConfigError, load_branch_config
from src.helpers.kfp_client import Connection, connect, in_cluster, port_forward_hint
from src.helpers.local_run import data_versioned
from src.helpers.report import AuthFailed, StepFailed


def check_data(config: BranchConfig, env: Mapping[str, str], *, local: bool = False) -> None:
    seen = config.for_local() if local else config
    key = "data.local_uri" if seen.data_uri != config.data_uri else "data.uri"
    config, uri = seen, seen.data_uri
    where = f"{key} in src/pipelines/{config.branch}/config.yaml"
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

    seconds = limits.seconds(limits.HTTP)
    try:
        answer = requests.head(uri, allow_redirects=True, timeout=seconds)
        if answer.status_code in (403, 405, 501):  # some servers refuse HEAD: ask for the first bytes
            answer = requests.get(uri, headers={"Range": "bytes=0-1023"}, stream=True, timeout=seconds)
            answer.close()
    except requests.Timeout:
        raise StepFailed(f"{uri} did not answer within {seconds:g} s", _slow_fix("the data server")) from None
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
        config=botocore.config.Config(
            connect_timeout=limits.seconds(limits.HTTP),
            read_timeout=limits.seconds(limits.HTTP),
            retries={"max_attempts": 1},
        ),
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
    connection = connect(config, env, prefer_incluster=prefer_incluster)
    api = f"{connection.host}/apis/v2beta1"
    session = connection.session()
    health = _kfp_get(connection, session, f"{api}/healthz")
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
    listing = _kfp_get(connection, session, f"{api}/experiments", params=params)
    _raise_for_auth(listing, connection)
    if listing.status_code != 200:
        raise StepFailed(
            f"listing experiments answered HTTP {listing.status_code}: {_message(listing)}",
            "check kfp.namespace and that your user may use it",
        )
    scope = f" in namespace {connection.namespace}" if connection.namespace else ""
    report.ok("kfp", f"{connection.host} is reachable and accepts {connection.auth} authentication{scope}")
    return connection


def _kfp_get(connection: Connection, session, url: str, **kwargs):
    import requests

    seconds = limits.seconds(limits.HTTP)
    try:
        return session.get(url, timeout=seconds, **kwargs)
    except requests.Timeout:
        raise StepFailed(
            f"the KFP API at {connection.host} did not answer within {seconds:g} s", _slow_fix("KFP")
        ) from None
    except requests.RequestException:
        raise StepFailed(
            f"cannot reach the KFP API at {connection.host}", port_forward_hint(connection.host)
        ) from None


def _slow_fix(what: str) -> str:
    return f"check that {what} is up and reachable from here; or give it longer with {limits.HTTP[0]}"


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


DEPLOYED_ALIAS = "deployed"  # the registered model's alias deploy moves once KServe serves a version
# The preflight's MLflow calls try once and wait at most 10 s: a dead server fails the check in seconds
# (MLflow's client otherwise retries for minutes).
MLFLOW_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
# What KServe's storage initializer downloads a model folder from (deploy refuses anything else).
KSERVE_READABLE = ("s3://", "gs://", "hdfs://", "webhdfs://", "pvc://")


def check_mlflow(config: BranchConfig, env: Mapping[str, str]) -> None:
    """The branch's MLflow server answers and accepts this machine's login (MLFLOW_TRACKING_USERNAME and
    MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, when it has one); says which registered version is
    deployed (the model's @deployed alias). Through MLflow's own client, as the steps talk to it."""
    uri = config.mlflow_uri.rstrip("/")
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
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    model = str(config.params.get("model_name") or "")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        with _limited(MLFLOW_LIMITS):
            experiment = client.get_experiment_by_name(config.experiment)
            registered = _registered(client, model) if model else None
    except MlflowException as exc:
        raise _mlflow_failure(config, uri, exc, env) from None
    if not model:
        report.ok("mlflow", f"{uri} answers")
    elif registered is None:
        report.ok("mlflow", f"{uri} answers; no model {model!r} registered yet (a passing run registers it)")
    elif DEPLOYED_ALIAS in registered.aliases:
        version = registered.aliases[DEPLOYED_ALIAS]
        report.ok("mlflow", f"{uri} answers; {model!r} version {version} is deployed (@{DEPLOYED_ALIAS})")
    else:
        report.ok("mlflow", f"{uri} answers; {model!r} is registered, no version deployed yet")
    location = experiment.artifact_location if experiment else ""
    readable = location.startswith(KSERVE_READABLE) or ".blob.core.windows.net/" in location
    if model and location and not readable:
        report.warn(
            "mlflow",
            f"experiment {config.experiment!r} keeps its models at {location}, which KServe cannot read: "
            "deploy will stop. Run the server with --default-artifact-root s3://<bucket>/ "
            "--no-serve-artifacts and use a new experiment (docs: MLflow, MinIO and KServe)",
        )


def deployed_version(config: BranchConfig, env: Mapping[str, str]):
    """(an MLflow client of the branch's registry, the @deployed version of its model or None when no
    version carries the alias): what the drift check compares with, and what the inference tests expect the
    service to serve. The caller checks that the branch has a registry and a model_name; a registry that
    fails is a StepFailed."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if config.s3_endpoint:  # the platform's MinIO holds MLflow's artifacts too
        os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", config.s3_endpoint)
    client = MlflowClient(tracking_uri=config.mlflow_uri, registry_uri=config.mlflow_uri)
    model = str(config.params.get("model_name") or "")
    try:
        with _limited(MLFLOW_LIMITS):
            return client, client.get_model_version_by_alias(model, DEPLOYED_ALIAS)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return client, None  # no such model yet, or no version carries the alias
        raise _mlflow_failure(config, config.mlflow_uri, exc, env) from None


def _registered(client, model: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(model)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def _mlflow_failure(config: BranchConfig, uri: str, exc, env: Mapping[str, str]) -> StepFailed:
    code = exc.error_code
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        given = env.get("MLFLOW_TRACKING_TOKEN") or env.get("MLFLOW_TRACKING_USERNAME")
        status = 401 if code == "UNAUTHENTICATED" else 403
        what = "refused the login given" if given else "requires a login (none was given)"
        return AuthFailed(
            f"MLflow at {uri} {what} (HTTP {status})",
            "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN): in CI "
            f"`jupyter mlops secrets set MLFLOW_TRACKING_PASSWORD --env {config.branch}` (and the user), "
            f"locally export them; the pipeline's steps read them from the Kubernetes secret "
            f"{config.credentials_secret or '(credentials_secret)'}",
        )
    text = str(exc)
    if "failed with exception" in text:
        known = ("Connection refused", "timed out", "Name or service not known")
        reason = next((m for m in known if m in text), "")
        return StepFailed(
            f"MLflow at {uri} does not answer ({(reason or 'no connection').lower()})",
            f"check mlflow.uri in src/pipelines/{config.branch}/platform.yaml and that the server is up: "
            "the pipeline's steps would fail the same way",
        )
    return StepFailed(f"MLflow at {uri} answered with an error: {text[:300]}", "check the server's log")


@contextlib.contextmanager
def _limited(values: Mapping[str, str]) -> Iterator[None]:
    """MLflow reads its HTTP limits from the environment on each request: set them for these calls only,
    unless this environment already chose its own."""
    saved = {k: os.environ.get(k) for k in values}
    for name, value in values.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


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
