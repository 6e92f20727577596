"""A parameter sweep: one pipeline run per trial of src/pipelines/sweep.yaml, logged to MLflow and compared.

    python -m src.helpers.sweep <branch>            every trial here (kfp.local), logged to MLflow, compared
    python -m src.helpers.sweep <branch> --submit   every trial as a run on the branch's Kubeflow

Local runs log to MLFLOW_TRACKING_URI when set, else to the branch's mlflow.uri when this machine reaches
it, else to a file store in local_outputs/mlruns/ (git-ignored; `mlflow ui --backend-store-uri` shows it).
On Kubeflow each run's evaluate step logs to the branch's MLflow itself; the runs are named after the trial.
"""

from __future__ import annotations

import argparse
import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from src.helpers import report
from src.helpers.config import ROOT, BranchConfig, ConfigError, load_branch_config
from src.helpers.local_run import OUTPUTS, apply_overrides, pipeline_arguments, run_local
from src.helpers.report import StepFailed

SWEEP_FILE = ROOT / "src" / "pipelines" / "sweep.yaml"
METRICS = ("rmse", "r2", "mae")


@dataclass(frozen=True)
class Trial:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sweep:
    name: str
    trials: tuple[Trial, ...]


def load_sweep(path: Path = SWEEP_FILE) -> Sweep:
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    trials = []
    for i, item in enumerate(data.get("trials") or []):
        if not isinstance(item, dict) or not item.get("name") or not isinstance(item.get("params", {}), dict):
            raise ConfigError(f"{where}: trial {i + 1} needs a name and a mapping of params")
        trials.append(Trial(str(item["name"]), dict(item.get("params") or {})))
    names = [t.name for t in trials]
    if not trials or len(set(names)) != len(names):
        raise ConfigError(f"{where}: give trials with different names (found {names or 'none'})")
    return Sweep(str(data.get("name") or "sweep"), tuple(trials))


def tracking_uri(config: BranchConfig, env: Mapping[str, str] | None = None) -> str:
    from src.helpers.kfp_client import in_cluster
    from src.helpers.preflight import _cluster_only

    env = os.environ if env is None else env
    if env.get("MLFLOW_TRACKING_URI"):
        return env["MLFLOW_TRACKING_URI"]
    if config.mlflow_uri and (not _cluster_only(config.mlflow_uri) or in_cluster(env)):
        return config.mlflow_uri
    return (OUTPUTS / "mlruns").resolve().as_uri()


def run_local_sweep(config: BranchConfig, sweep: Sweep, env: Mapping[str, str] | None = None) -> str:
    """Run every trial on kfp.local and log each to MLflow (one run per trial, tagged with the sweep's id).

    Returns the sweep's id, which ``comparison_table`` reads back from MLflow.
    """
    import mlflow

    from src.helpers import trigger
    from src.helpers.preflight import MLFLOW_LIMITS, _limited, check_data

    env = os.environ if env is None else env
    check_data(config, env, local=True)  # once, before any trial: the data every trial reads
    uri = tracking_uri(config, env)
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the file store behind this
    mlflow.set_tracking_uri(uri)
    sweep_id = f"{sweep.name}-{datetime.datetime.now(datetime.timezone.utc):%Y%m%dT%H%M%S}"
    report.info("sweep", f"{len(sweep.trials)} trials of {sweep.name}, logged to {uri}")
    with _limited(MLFLOW_LIMITS):  # a server that does not answer fails the sweep in seconds
        mlflow.set_experiment(experiment_name(config))
        _run_trials(config, sweep, sweep_id, trigger.commit(env))
    return sweep_id


def _run_trials(config: BranchConfig, sweep: Sweep, sweep_id: str, commit: str) -> None:
    import mlflow

    from src.pipelines.pipeline import pipeline

    for trial in sweep.trials:
        report.info("sweep", f"trial {trial.name}: {trial.params}")
        arguments = apply_overrides(pipeline_arguments(config, pipeline, local=True), trial.params, pipeline)
        outputs = run_local(config, trial.params)
        metrics = outputs.get("Output") or outputs.get("metrics") or {}
        tags = {"sweep": sweep_id, "trial": trial.name, "branch": config.branch, "trigger": "sweep"}
        tags["commit"] = commit
        with mlflow.start_run(run_name=trial.name, tags=tags):
            mlflow.log_params({k: v for k, v in arguments.items() if k != "credentials_secret"})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        shown = ", ".join(f"{k}={metrics[k]:.3f}" for k in METRICS if k in metrics)
        report.ok("sweep", f"trial {trial.name}: {shown}")


def experiment_name(config: BranchConfig) -> str:
    return f"{config.experiment}-sweep"


def comparison_table(config: BranchConfig, sweep_id: str, sweep: Sweep | None = None):
    """One row per trial, read back from MLflow: the parameters that differ, the metrics, the MLflow run.
    Also written to local_outputs/<branch>/comparison.csv."""
    import mlflow

    from src.helpers.preflight import MLFLOW_LIMITS, _limited

    with _limited(MLFLOW_LIMITS):
        runs = mlflow.search_runs(
            experiment_names=[experiment_name(config)], filter_string=f"tags.sweep = '{sweep_id}'"
        )
    if runs.empty:
        raise StepFailed(f"MLflow has no runs of sweep {sweep_id}", "run the sweep first (run_local_sweep)")
    varied = sorted({k for t in (sweep or load_sweep()).trials for k in t.params})
    columns = {"tags.trial": "trial", **{f"params.{p}": p for p in varied}}
    columns.update({f"metrics.{m}": m for m in METRICS if f"metrics.{m}" in runs})
    table = runs[[*columns, "run_id"]].rename(columns=columns)
    table = table.sort_values(METRICS[0] if METRICS[0] in table else "trial").set_index("trial")
    folder = OUTPUTS / config.branch
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "comparison.csv")
    return table


def plot_comparison(config: BranchConfig, table):
    """A bar per trial for each metric (lower rmse/mae and higher r2 are better); saved as comparison.png."""
    import matplotlib.pyplot as plt

    metrics = [m for m in METRICS if m in table]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.5), squeeze=False)
    for axis, metric in ((axes[0][i], m) for i, m in enumerate(metrics)):
        table[metric].plot.bar(ax=axis, color="#4c72b0")
        axis.set_title(metric + (" (higher is better)" if metric == "r2" else " (lower is better)"))
        axis.set_xlabel("")
    figure.tight_layout()
    figure.savefig(OUTPUTS / config.branch / "comparison.png")
    return figure


def submit_sweep(config: BranchConfig, sweep: Sweep, *, wait: bool = False, timeout: float = 3600) -> list:
    """Every trial as a run on the branch's Kubeflow: the preflight, one compile and upload (the commit's
    version), then one run per trial named after it. Their evaluate steps log to the branch's MLflow."""
    from src.helpers.entrypoint import compile_pipeline
    from src.helpers.kfp_client import connect
    from src.helpers.preflight import run_preflight
    from src.helpers.submit import submit, wait_for_run
    from src.pipelines.pipeline import pipeline

    try:
        connection = run_preflight(config) or connect(config)
    except StepFailed as exc:
        exc.reported = True  # the preflight printed its lines
        raise
    package = compile_pipeline(config.branch)
    submissions = []
    for trial in sweep.trials:
        arguments = apply_overrides(pipeline_arguments(config, pipeline), trial.params, pipeline)
        label = f"sweep {sweep.name}: {trial.name}"
        submissions.append(submit(config, connection, package, arguments, label=label))
    if wait:
        for submission in submissions:
            wait_for_run(connection, submission, timeout)
    return submissions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.helpers.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("branch")
    parser.add_argument("--submit", action="store_true", help="run the trials on the branch's Kubeflow")
    parser.add_argument("--wait", action="store_true", help="with --submit: wait for every run to finish")
    parser.add_argument("--file", type=Path, default=SWEEP_FILE, help="default: src/pipelines/sweep.yaml")
    args = parser.parse_args(argv)
    try:
        config = load_branch_config(args.branch)
        sweep = load_sweep(args.file.resolve())
        if args.submit:
            submit_sweep(config, sweep, wait=args.wait)
        else:
            table = comparison_table(config, run_local_sweep(config, sweep), sweep)
            print(table.to_string())
    except ConfigError as exc:
        report.fail("config", str(exc))
        return 2
    except StepFailed as exc:
        if not exc.reported:
            report.fail("sweep", exc.message, exc.fix)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
