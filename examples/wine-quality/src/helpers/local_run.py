"""Run the branch's pipeline on this machine with kfp.local: no cluster, no deploy, MLflow only when asked.

The steps run as subprocesses of this Python (kfp.local SubprocessRunner, use_venv=False), with the
packages already installed here (pip install -r requirements.txt). Outputs land in local_outputs/<branch>/,
which git ignores.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

from src.helpers import report
from src.helpers.config import ROOT, BranchConfig

OUTPUTS = ROOT / "local_outputs"


def pipeline_arguments(config: BranchConfig, pipeline: Any, *, local: bool = False) -> dict[str, Any]:
    """The run's arguments: config.yaml's params plus what the pipeline takes from the branch config.

    Only names the pipeline declares are passed, so a pipeline without e.g. ``mlflow_uri`` still runs.
    Local runs do not track to the branch's MLflow (``--param mlflow_uri=URI`` tracks one) and read a
    repository-relative data path from this checkout.
    """
    config = config.for_local() if local else config
    data_uri, s3_endpoint = config.data_uri, config.s3_endpoint
    if data_versioned(config):
        from src.helpers.data_version import pinned

        found = pinned(config)
        data_uri = found.url  # the version this commit's DVC pointer names, in the branch's remote
        if local and found.endpoint:  # e.g. a port-forward set with `dvc remote modify --local`
            s3_endpoint = found.endpoint
    if local and data_uri and "://" not in data_uri:
        data_uri = str((ROOT / data_uri).resolve())
    from src.helpers import trigger

    derived = {
        "data_uri": data_uri,
        "s3_endpoint": s3_endpoint,
        "mlflow_uri": "" if local else config.mlflow_uri,
        "mlflow_experiment": config.experiment,
        "credentials_secret": config.credentials_secret,
        # What the MLflow run and the registered version are tagged with (and the run is named after).
        "branch": config.branch,
        "commit": trigger.commit(),
        "trigger": trigger.detect().label,
    }
    accepted = set(pipeline.component_spec.inputs or {})
    arguments = {k: v for k, v in derived.items() if k in accepted and v != ""}
    declared = pipeline.component_spec.inputs or {}
    for name, value in config.params.items():  # YAML's 600 for a float parameter is 600.0
        if name in accepted:
            arguments[name] = _convert(name, value, _TYPES.get(str(declared[name].type), str))
    unknown = sorted(set(config.params) - accepted)
    if unknown:
        report.warn(
            "params", f"config.yaml sets {', '.join(unknown)}, which the pipeline does not take; ignored"
        )
    return arguments


def data_versioned(config: BranchConfig) -> bool:
    """data.uri is a file in this repository tracked by DVC (a ``<file>.dvc`` pointer beside it)."""
    uri = config.data_uri
    if not uri or "://" in uri or Path(uri).is_absolute():
        return False
    return (ROOT / ".dvc").is_dir() and (ROOT / f"{uri}.dvc").is_file()


_TYPES = {"Float": float, "Integer": int, "String": str, "Boolean": bool}


def apply_overrides(arguments: dict[str, Any], overrides: dict[str, Any], pipeline: Any) -> dict[str, Any]:
    """``arguments`` with ``overrides`` (a manual run's inputs, a sweep's parameter set) on top.

    Text values (workflow inputs, ``--param``) are converted to the parameter's type; an unknown name or a
    value of the wrong type is a configuration error that names the parameter.
    """
    from src.helpers.config import ConfigError

    declared = pipeline.component_spec.inputs or {}
    out = dict(arguments)
    for name, value in overrides.items():
        if name not in declared:
            raise ConfigError(
                f"parameter {name!r} is not one the pipeline takes; it takes {', '.join(sorted(declared))}"
            )
        out[name] = _convert(name, value, _TYPES.get(str(declared[name].type), str))
    return out


def _convert(name: str, value: Any, kind: type) -> Any:
    from src.helpers.config import ConfigError

    if not isinstance(value, str):
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        raise ConfigError(f"parameter {name}: {value!r} is not a {kind.__name__}")
    text = value.strip()
    if kind is bool:
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ConfigError(f"parameter {name}: {value!r} is not true or false")
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"parameter {name}: {value!r} is not a {kind.__name__}") from None


def _missing_packages(requirements: list[str]) -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    missing = []
    for text in requirements:
        requirement = Requirement(text)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            missing.append(text)
            continue
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{text} (installed: {installed})")
    return missing


def _pip_steps(pipeline: Any) -> Iterator[tuple[str, int, list[str], list[str]]]:
    """Each step whose command pip-installs first: (executor, index of that part, command, packages)."""
    import re

    executors = pipeline.pipeline_spec.deployment_spec["executors"]
    for name in list(executors.keys()):
        executor = executors[name]
        if "container" not in executor.keys():
            continue
        command = [str(part) for part in executor["container"]["command"]]
        for i, part in enumerate(command):
            if "pip install" in part and '"$0" "$@"' in part:
                packages = []
                for segment in re.findall(r"pip install (.*?)(?:&&|$)", part, flags=re.S):
                    packages += re.findall(r"'([^']+)'", segment)
                yield name, i, command, packages
                break


def step_packages(pipeline: Any) -> list[str]:
    """What the steps pip-install in a pod (their packages_to_install), without kfp's own."""
    wanted = {p for *_, packages in _pip_steps(pipeline) for p in packages}
    return sorted(p for p in wanted if not p.startswith(("kfp==", "--", "typing-extensions")))


@contextlib.contextmanager
def installed_packages_only(pipeline: Any) -> Iterator[None]:
    """Run ``pipeline``'s steps with this environment's packages instead of pip-installing them per task.

    In a pod each step first pip-installs its ``packages_to_install``. Locally (use_venv=False) that
    would call pip in this environment for every task, and could change installed versions; instead
    we check once that every step's packages are installed (requirements.txt lists them all) and skip
    the per-task pip call: a local run installs nothing. The pipeline is restored afterwards, so a
    compile in the same process is unaffected.
    """
    executors = pipeline.pipeline_spec.deployment_spec["executors"]
    wanted = step_packages(pipeline)
    saved: dict[str, list[str]] = {}
    for name, i, command, _ in list(_pip_steps(pipeline)):
        saved[name] = command
        executors[name]["container"]["command"] = command[:i] + ['"$0" "$@"\n'] + command[i + 1 :]
    try:
        missing = _missing_packages(wanted)
        if missing:
            raise report.StepFailed(
                f"the steps need packages this environment lacks: {', '.join(missing)}",
                "pip install -r requirements.txt (or install those packages) and run again",
            )
        yield
    finally:
        for name, command in saved.items():
            executors[name]["container"]["command"] = command


def lightweight_steps(pipeline: Any) -> contextlib.AbstractContextManager:
    """Steps packaged as container images (src/steps/<step>/Dockerfile) run here as the Python function
    they wrap, since kfp.local's SubprocessRunner runs lightweight components only."""
    try:
        from src.helpers.images import as_lightweight
    except ImportError:  # no step of this project is packaged as an image
        return contextlib.nullcontext()
    return as_lightweight(pipeline)


def run_local(config: BranchConfig, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the whole pipeline locally and return its outputs (the example returns its metrics).

    ``overrides`` replace parameters of config.yaml for this run (a sweep's parameter set).
    """
    from kfp import local

    from src.pipelines.pipeline import pipeline

    root = OUTPUTS / config.branch
    root.mkdir(parents=True, exist_ok=True)
    arguments = apply_overrides(pipeline_arguments(config, pipeline, local=True), overrides or {}, pipeline)
    report.info("local", f"running {config.pipeline_name} on kfp.local; outputs in {root.relative_to(ROOT)}/")
    if "mlflow_uri" in (pipeline.component_spec.inputs or {}):
        report_tracking(arguments)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), raise_on_error=True)
    with lightweight_steps(pipeline), installed_packages_only(pipeline):
        try:
            task = pipeline(**arguments)
        except RuntimeError as exc:
            raise report.StepFailed(
                f"the local run failed: {exc}", "read the failing step's log above"
            ) from None
    outputs = _plain(task.outputs)
    run_folder = max((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, default=root)
    (root / "last-run.json").write_text(
        json.dumps({"run": run_folder.name, "outputs": outputs}, indent=2) + "\n"
    )
    return outputs


def report_tracking(arguments: dict[str, Any]) -> None:
    """Say whether this local run logs to MLflow: by default it does not (the branch's mlflow.uri is for the
    cluster's runs), and ``--param mlflow_uri=URI`` tracks one."""
    if arguments.get("mlflow_uri"):
        report.info("mlflow", f"this run is tracked in {arguments['mlflow_uri']}")
    else:
        report.skip(
            "mlflow",
            "this local run is not tracked (local runs never log to the branch's MLflow); "
            "to track one: --param mlflow_uri=http://localhost:5000",
        )


def _plain(outputs: Any) -> dict[str, Any]:
    """Pipeline outputs as plain values: parameters as they are, artifacts as their metadata."""
    if outputs is None:
        return {}
    if not isinstance(outputs, dict):
        outputs = {"Output": outputs}
    plain = {}
    for name, value in outputs.items():
        metadata = getattr(value, "metadata", None)
        plain[name] = dict(metadata) if isinstance(metadata, dict) else value
    return plain
