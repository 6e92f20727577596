"""What every src/pipelines/<branch>/main.py runs (kept here, org-owned, so main.py stays tiny).

    python src/pipelines/<branch>/main.py                 preflight, compile, upload a version, start a run
    python src/pipelines/<branch>/main.py --wait          ... and wait for the run's end
    python src/pipelines/<branch>/main.py --check         the preflight only
    python src/pipelines/<branch>/main.py --compile-only  compile to build/<branch>/pipeline.yaml (no network)
    python src/pipelines/<branch>/main.py --local         run the whole pipeline here on kfp.local
    ... --param alpha=0.2                                  one run with a parameter other than config.yaml's
    python src/pipelines/<branch>/main.py --inference-test (the example) tests/inference against the deployed
                                                          model, where KServe serves it
    python src/pipelines/<branch>/main.py --drift         (option monitor) drift and new data against the
                                                          deployed model's training data
    ... --drift --current URI                              compare other data (e.g. recent inference inputs)
    ... --drift --retrain                                  on drift or new data, start the branch's run

Exit codes: 0 done; 1 a check, the submission or the run failed (--drift: the data drifted); 2 a
configuration or usage error; 3 credentials missing or rejected; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from src.helpers import limits, report
from src.helpers.config import ROOT, ConfigError, load_branch_config
from src.helpers.report import StepFailed


def compile_pipeline(branch: str, output: Path | None = None) -> Path:
    """Compile the shared pipeline for ``branch`` to YAML, parameter defaults from the branch config."""
    from kfp import compiler

    from src.helpers.local_run import pipeline_arguments
    from src.pipelines.pipeline import pipeline

    config = load_branch_config(branch)
    output = output or ROOT / "build" / branch / "pipeline.yaml"
    output.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(
        pipeline_func=pipeline,
        package_path=str(output),
        pipeline_name=config.pipeline_name,
        pipeline_parameters=pipeline_arguments(config, pipeline) or None,
    )
    return output


def build_parser(branch: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python src/pipelines/{branch}/main.py",
        description=f"Check, compile and submit the {branch} branch's pipeline, or run it here.",
        epilog="Exit codes: 0 done, 1 failed, 2 configuration error, 3 credentials missing or rejected.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only run the preflight checks")
    mode.add_argument("--compile-only", action="store_true", help="only compile (what pull requests run)")
    mode.add_argument(
        "--local", action="store_true", help="run the whole pipeline on this machine (kfp.local)"
    )
    if (ROOT / "tests" / "inference").is_dir():
        mode.add_argument(
            "--inference-test",
            action="store_true",
            help="run tests/inference against the branch's deployed model (KServe V1 and V2)",
        )
    if monitoring():
        mode.add_argument(
            "--drift",
            action="store_true",
            help="compare the data with the deployed model's training data (exit 1 on drift), and notice "
            "new data",
        )
        parser.add_argument(
            "--current",
            metavar="URI",
            help="with --drift: the data to compare (default: monitor.current_uri, else data.uri)",
        )
        parser.add_argument(
            "--reference",
            type=Path,
            metavar="FILE",
            help="with --drift: a reference.json to compare with instead of the deployed version's (MLflow)",
        )
        parser.add_argument(
            "--retrain",
            action="store_true",
            help="with --drift: on drift or new data start the branch's training run (once per data version)",
        )
    parser.add_argument(
        "--wait", action="store_true", help="wait for the submitted run to finish; fail if it fails"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, metavar="SECONDS", help="how long --wait waits (default 3600)"
    )
    parser.add_argument(
        "--skip-check",
        action="store_true",
        help="skip the preflight (CI runs it as its own step just before)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter for this run instead of config.yaml's (repeatable); in CI the "
        "Run-workflow form's fields arrive the same way",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help=f"where to write the compiled YAML (default build/{branch}/pipeline.yaml)",
    )
    return parser


def monitoring() -> bool:
    """The project has the drift check (option monitor: src/helpers/drift.py)."""
    return (ROOT / "src" / "helpers" / "drift.py").is_file()


def main(branch: str, argv: list[str] | None = None) -> int:
    parser = build_parser(branch)
    args = parser.parse_args(argv)
    if not getattr(args, "drift", False):
        given = [f"--{n}" for n in ("current", "reference", "retrain") if getattr(args, n, None)]
        if given:
            parser.error(f"{', '.join(given)} go with --drift")
    try:
        return _run(branch, args)
    except ConfigError as exc:
        report.fail("config", str(exc))
        return 2
    except StepFailed as exc:
        if not getattr(exc, "reported", False):
            modes = ("drift", "inference_test", "check")
            step = next((m for m in modes if getattr(args, m, False)), "run").replace("_test", "")
            report.fail(step, exc.message, exc.fix)
        return exc.exit_code
    except KeyboardInterrupt:
        report.fail("run", "interrupted")
        return 130


def parameter_overrides(args: argparse.Namespace) -> dict[str, str]:
    """The Run-workflow form's fields (RUN_INPUTS in CI), then ``--param`` on top."""
    from src.helpers.trigger import dispatch_inputs

    overrides = dispatch_inputs()
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: write it as NAME=VALUE, e.g. --param alpha=0.2")
        overrides[name.strip()] = value
    return overrides


def _run(branch: str, args: argparse.Namespace) -> int:
    config = load_branch_config(branch)
    overrides = parameter_overrides(args)
    if args.compile_only:
        path = compile_pipeline(branch, args.output)
        report.ok("compile", f"{_shown(path)} (no submission)")
        _report_images()
        return 0
    if getattr(args, "drift", False):
        return _drift(config, args)
    if getattr(args, "inference_test", False):
        return _inference_test(config)
    if args.local:
        from src.helpers.local_run import run_local
        from src.helpers.preflight import check_data
        from src.pipelines.pipeline import pipeline

        if "data_uri" in (pipeline.component_spec.inputs or {}):
            _reported(lambda: check_data(config, os.environ, local=True), "data")
        outputs = run_local(config, overrides)
        _print_outputs(outputs)
        return 0
    connection = None
    if not args.skip_check:
        from src.helpers.preflight import run_preflight

        try:
            connection = run_preflight(config)
        except StepFailed as exc:
            exc.reported = True
            raise
        if args.check:
            report.ok("check", f"the {branch} branch is ready to submit")
            return 0
    from src.helpers.kfp_client import connect
    from src.helpers.local_run import apply_overrides, pipeline_arguments
    from src.helpers.submit import submit, wait_for_run, write_job_summary
    from src.pipelines.pipeline import pipeline

    arguments = apply_overrides(pipeline_arguments(config, pipeline), overrides, pipeline)
    path = compile_pipeline(branch, args.output)
    report.ok("compile", _shown(path))
    _report_images()
    connection = connection or connect(config)
    submission = submit(config, connection, path, arguments)
    try:
        if args.wait:
            wait_for_run(connection, submission, args.timeout)
    finally:
        write_job_summary(config, submission)
    return 0


def _drift(config, args: argparse.Namespace) -> int:
    """The drift and new-data check; with --retrain, the training run it calls for (then exit 0)."""
    from src.helpers.drift import check
    from src.helpers.drift_report import write_reports

    result = check(config, current_uri=args.current or "", reference_path=args.reference)
    if result is not None:
        write_reports(result)
    if args.retrain:
        from src.helpers.retrain import retrain

        retrain(config, result, os.environ)
        return 0
    return 1 if result is not None and result.drifted else 0


def _inference_test(config) -> int:
    """tests/inference against the deployed model; a branch with no known serving URL is a failure here (the
    tests alone would skip): you asked to test the deployed model."""
    import subprocess

    from src.helpers.inference import NoEndpoint, endpoint

    try:
        found = endpoint(config)
    except NoEndpoint as exc:
        raise StepFailed(
            f"no serving URL for the {config.branch} branch: {exc}",
            "INFERENCE_URL names a serving URL directly (e.g. a port-forward to the predictor)",
        ) from None
    report.info("inference", f"{found.source}: model {found.model} at {found.url}")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/inference"]
    env = dict(os.environ, INFERENCE_BRANCH=config.branch)
    limit = limits.seconds(limits.INFERENCE_TESTS)
    try:
        code = subprocess.run(command, cwd=ROOT, env=env, timeout=limit).returncode
    except subprocess.TimeoutExpired:
        raise StepFailed(
            f"the inference tests did not finish within {limit:g} s",
            f"check the model server answers; give them longer with {limits.INFERENCE_TESTS[0]}",
        ) from None
    if code:
        report.fail("inference", f"the inference tests failed (pytest exit code {code}); see above")
        return 1
    report.ok("inference", f"the {config.branch} branch's deployed model answers as registered (V1 and V2)")
    return 0


def _report_images() -> None:
    """The image each containerised step runs (src/steps/<step>/Dockerfile), when the project has any."""
    try:
        from src.helpers.images import report_images
    except ImportError:  # no step of this project is packaged as an image
        return
    report_images()


def _reported(check, name: str) -> None:
    try:
        check()
    except StepFailed as exc:
        report.fail(name, exc.message, exc.fix)
        exc.reported = True
        raise


def _print_outputs(outputs: dict) -> None:
    if not outputs:
        report.ok("local", "the pipeline ran to the end")
        return
    for name, value in outputs.items():
        if isinstance(value, dict):
            shown = ", ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(value.items())
            )
        else:
            shown = str(value)
        label = "metrics" if name == "Output" else name
        report.ok("local", f"the pipeline ran to the end; {label}: {shown}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover - main.py calls main(BRANCH)
    sys.exit(2)
