"""What every src/pipelines/<branch>/main.py runs: compile the shared pipeline with the branch's config.

Kept here (org-owned) so each branch's main.py stays a two-line entry point.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from src.helpers.config import ROOT, ConfigError, load_branch_config


def compile_pipeline(branch: str, output: Path | None = None) -> Path:
    """Compile the shared pipeline for ``branch`` to YAML and return its path."""
    from kfp import compiler

    from src.pipelines.pipeline import pipeline

    config = load_branch_config(branch)
    output = output or ROOT / "build" / branch / "pipeline.yaml"
    output.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(
        pipeline_func=pipeline,
        package_path=str(output),
        pipeline_name=config.pipeline_name,
        pipeline_parameters=dict(config.params) or None,
    )
    return output


def main(branch: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python src/pipelines/{branch}/main.py",
        description=f"Compile the pipeline for the {branch} branch.",
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the compiled YAML (default build/{branch}/pipeline.yaml)"
    )
    args = parser.parse_args(argv)
    try:
        path = compile_pipeline(branch, args.output)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"compiled {branch} pipeline: {path}")
    return 0
