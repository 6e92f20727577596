"""Start the branch's training run when the drift check found drift or new data, once per data version.

`main.py --drift --retrain` (what the <branch>-monitor workflow runs on its schedule) calls this after the
check. The run is the branch's usual one (the pipeline compiled from this checkout, config.yaml's
parameters, submitted to the branch's Kubeflow) with the trigger in its name:

    wine-quality development-0123456789ab [new-data: data etag:9b2cf535f27731c974343645a3985328]
    wine-quality development-0123456789ab [drift: alcohol, pH; data etag:9b2cf535f27731c974343645a3985328]

Before submitting, the branch's experiment is searched for a run already started for that data version
(its name ends with ``data <version>]``): a schedule that fires again before the new model is deployed
starts nothing, and a data version that trained a failing model is not retrained every day.
"""

from __future__ import annotations

import json
from typing import Mapping

from src.helpers import report
from src.helpers.config import BranchConfig
from src.helpers.drift import DriftResult


def trigger_of(result: DriftResult) -> tuple[str, str]:
    """(label, key): ``drift: <features>; data <version>`` or ``new-data: data <version>``, and the
    ``data <version>`` part every run for that version ends with; ("", "") when nothing calls for a run."""
    version = result.data.now if result.data else ""
    key = f"data {version or 'unversioned'}"
    if result.drifted:
        return f"drift: {', '.join(result.drifted)}; {key}", key
    if result.new_data:
        return f"new-data: {key}", key
    return "", ""


def started_for(connection, config: BranchConfig, key: str) -> list[dict]:
    """Runs of the branch's experiment whose name ends with ``<key>]``: started for this data version."""
    from src.helpers.submit import _api

    client = connection.client()
    namespace = connection.namespace or None
    ending = f"{key}]"
    # A v2beta1 filter (IS_SUBSTRING on the name); the names are compared again here, whatever the server did.
    wanted = {"predicates": [{"operation": "IS_SUBSTRING", "key": "display_name", "string_value": ending}]}
    with _api(f"getting experiment {config.experiment!r}"):
        experiment = client.create_experiment(name=config.experiment, namespace=namespace)
    with _api("listing the experiment's runs"):
        found = client.list_runs(
            experiment_id=experiment.experiment_id,
            namespace=namespace,
            filter=json.dumps(wanted),
            page_size=100,
            sort_by="created_at desc",
        )
    runs = [
        {"run_id": r.run_id, "name": r.display_name, "state": str(r.state or "")}
        for r in found.runs or []
        if str(r.display_name or "").endswith(ending)
    ]
    return runs


def retrain(config: BranchConfig, result: DriftResult | None, env: Mapping[str, str]) -> str:
    """Submit the branch's run for what the check found; returns the run's id ("" when none was started)."""
    label, key = trigger_of(result) if result else ("", "")
    if not label:
        report.skip("retrain", "no drift and no new data: no training run needed")
        return ""
    from src.helpers.entrypoint import compile_pipeline
    from src.helpers.kfp_client import connect
    from src.helpers.local_run import pipeline_arguments
    from src.helpers.submit import submit, write_job_summary
    from src.pipelines.pipeline import pipeline

    connection = connect(config, env)
    earlier = started_for(connection, config, key)
    if earlier:
        first = earlier[-1]
        link = connection.ui_link("runs", first["run_id"])
        report.skip(
            "retrain", f"a run was already started for {key}: {first['name']} ({link}); not starting another"
        )
        return ""
    arguments = pipeline_arguments(config, pipeline)
    if "trigger" in (pipeline.component_spec.inputs or {}):
        arguments["trigger"] = label  # what the MLflow run and the registered version are tagged with
    path = compile_pipeline(config.branch)
    submission = submit(config, connection, path, arguments, env, label=label)
    write_job_summary(config, submission, env)
    return submission.run_id
