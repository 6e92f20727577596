"""Submit the compiled pipeline with the kfp v2 SDK: a new version of the branch's pipeline (named by
branch and commit), a run in the branch's experiment, and its link; optionally wait for the run's end."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from src.helpers import limits, report, trigger
from src.helpers.config import BranchConfig
from src.helpers.kfp_client import Connection
from src.helpers.limits import git
from src.helpers.report import AuthFailed, StepFailed

FINAL_STATES = {"SUCCEEDED", "FAILED", "SKIPPED", "CANCELED", "CANCELING"}


@dataclass
class Submission:
    pipeline_id: str
    version_id: str
    version_name: str
    experiment_id: str
    run_id: str
    url: str
    state: str = ""
    started_by: str = ""


def version_name(branch: str, env: Mapping[str, str] | None = None) -> str:
    """``<branch>-<commit>``; a run from uncommitted changes adds ``-dirty-<UTC time>`` (never reused)."""
    env = os.environ if env is None else env
    sha = trigger.commit(env)
    dirty = False
    if sha and not env.get("GITHUB_SHA"):
        try:
            dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
        except (OSError, subprocess.CalledProcessError):
            dirty = False
    name = f"{branch}-{sha[:12]}" if sha else f"{branch}-uncommitted"
    if dirty or not sha:
        name += "-dirty-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
    return name


@contextlib.contextmanager
def _api(action: str) -> Iterator[None]:
    """Turn the SDK's exceptions into one clear line (401/403 are credential problems)."""
    import kfp_server_api
    import urllib3

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the SDK prints its own links; we print ours
            yield
    except kfp_server_api.ApiException as exc:
        detail = _api_message(exc)
        if exc.status in (401, 403):
            raise AuthFailed(
                f"{action}: KFP refused it (HTTP {exc.status}: {detail})",
                "check the branch's KFP credentials and namespace",
            ) from None
        raise StepFailed(
            f"{action}: KFP answered HTTP {exc.status}: {detail}", "see the message; fix and run again"
        ) from None
    except urllib3.exceptions.HTTPError as exc:
        cause = getattr(exc, "reason", None) or exc  # a MaxRetryError carries the last attempt's error
        if isinstance(cause, urllib3.exceptions.TimeoutError):
            seconds = limits.seconds(limits.KFP)
            raise StepFailed(
                f"{action}: the KFP API did not answer within {seconds:g} s",
                f"check that the KFP server at kfp.host is up, or give it longer with {limits.KFP[0]}",
            ) from None
        raise StepFailed(
            f"{action}: the KFP API did not answer ({type(cause).__name__})",
            "check that kfp.host is reachable and run again",
        ) from None


def _api_message(exc: Any) -> str:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return str(exc.reason)
    return str(body.get("message") or body.get("error") or exc.reason)[:300]


def _equals(key: str, value: str) -> str:
    # A v2beta1 filter: https://www.kubeflow.org/docs/components/pipelines/reference/api/kubeflow-pipeline-api-spec/
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": key, "string_value": value}]})


def _named(name: str, list_page: Any, field: str, pages: int = 20) -> Any:
    """The listed item whose display name is ``name``, or None. The server's name filter narrows the pages,
    but the names are compared here: a server that ignores the filter must not hand back another item."""
    token = ""
    for _ in range(pages):
        page = list_page(token)
        match = next((item for item in getattr(page, field) or [] if item.display_name == name), None)
        token = page.next_page_token or ""
        if match is not None or not token:
            return match
    return None


def submit(
    config: BranchConfig,
    connection: Connection,
    package: Path,
    arguments: dict[str, Any],
    env: Mapping[str, str] | None = None,
    label: str = "",
) -> Submission:
    """Upload ``package`` as the commit's version and start a run named after what started it
    (``label``, else the detected trigger: code, data, schedule, manual or local)."""
    client = connection.client()
    name = config.pipeline_name
    namespace = connection.namespace or None
    version = version_name(config.branch, env)
    started_by = label or trigger.detect(env).label
    with _api(f"finding pipeline {name!r}"):
        found = _named(
            name,
            lambda token: client.list_pipelines(
                filter=_equals("display_name", name), namespace=namespace, page_size=50, page_token=token
            ),
            "pipelines",
        )
    if found:
        pipeline_id = found.pipeline_id
    else:
        import kfp_server_api

        # The pipeline alone (POST /apis/v2beta1/pipelines; kfp.Client has no public call for it):
        # upload_pipeline would also add a first version named after the pipeline, which nothing runs.
        body = kfp_server_api.V2beta1Pipeline(
            display_name=name, description=f"{name}: compiled and submitted by CI", namespace=namespace
        )
        with _api(f"creating pipeline {name!r}"):
            pipeline_id = client._pipelines_api.pipeline_service_create_pipeline(body).pipeline_id
        report.ok("pipeline", f"created pipeline {name}")
    with _api(f"looking up version {version}"):
        existing = _named(
            version,
            lambda token: client.list_pipeline_versions(
                pipeline_id, filter=_equals("display_name", version), page_size=50, page_token=token
            ),
            "pipeline_versions",
        )
    if existing:
        version_id = existing.pipeline_version_id
        report.ok("pipeline", f"version {version} of {name} exists already (same commit); reusing it")
    else:
        with _api(f"uploading version {version}"):
            version_id = client.upload_pipeline_version(
                str(package), pipeline_version_name=version, pipeline_id=pipeline_id
            ).pipeline_version_id
        report.ok("pipeline", f"uploaded version {version} of {name}")
    with _api(f"getting experiment {config.experiment!r}"):
        experiment = client.create_experiment(name=config.experiment, namespace=namespace)
    with _api("creating the run"):
        run = client.run_pipeline(
            experiment_id=experiment.experiment_id,
            job_name=f"{name} {version} [{started_by}]",
            pipeline_id=pipeline_id,
            version_id=version_id,
            params=arguments,
        )
    url = connection.ui_link("runs", run.run_id)
    report.ok("run", f"created in experiment {config.experiment}: {url}")
    report.info("run", f"started by {started_by}")
    return Submission(
        pipeline_id,
        version_id,
        version,
        experiment.experiment_id,
        run.run_id,
        url,
        str(run.state or ""),
        started_by,
    )


def wait_for_run(connection: Connection, submission: Submission, timeout: float, poll: float = 10.0) -> str:
    """Poll the run until it ends; fail when it does not succeed or outlasts ``timeout`` seconds."""
    client = connection.client()
    deadline = time.monotonic() + timeout
    report.info("run", f"waiting for the run to finish (at most {timeout:.0f} s)")
    state = ""
    while True:
        with _api("reading the run's state"):
            state = str(client.get_run(submission.run_id).state or "").upper()
        if state in FINAL_STATES:
            break
        if time.monotonic() >= deadline:
            raise StepFailed(
                f"the run is still {state or 'pending'} after {timeout:.0f} s: {submission.url}",
                "follow it in the KFP UI, or wait longer with --timeout",
            )
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
    submission.state = state
    if state != "SUCCEEDED":
        raise StepFailed(
            f"the run ended {state}: {submission.url}", "open the run's page and read the failed step's log"
        )
    report.ok("run", f"SUCCEEDED: {submission.url}")
    return state


def write_job_summary(
    config: BranchConfig, submission: Submission, env: Mapping[str, str] | None = None
) -> None:
    """In GitHub Actions, add the run's link to the job summary page."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    lines = [
        f"### {config.pipeline_name} on {config.branch}",
        "",
        f"- Run: [{submission.run_id}]({submission.url})"
        + (f" ({submission.state})" if submission.state else ""),
        f"- Pipeline version: `{submission.version_name}`",
        f"- Started by: {submission.started_by}",
        f"- Experiment: `{config.experiment}`",
        "",
    ]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
