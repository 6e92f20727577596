"""What differs between two compiled pipelines (build/<branch>/pipeline.yaml): steps, images, parameters.

A compiled pipeline is KFP's PipelineSpec (YAML): each task of the DAG (and of a ``dsl.If`` group's DAG) names
its component, whose executor is a container (an image, and a command that carries the step's Python source
for a lightweight component); the pipeline's parameters have the branch's defaults (its config.yaml). Two
specs are compared step by step (by task name): a step added or removed, or changed in its code, its image or
its inputs; and parameter by parameter. The second YAML document, the Kubernetes platform spec (which secret a
step's environment comes from), is compared per step too.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class StepChange:
    name: str
    change: str  # added | removed | changed
    details: list[str] = field(default_factory=list)  # "code (+3 -1 lines)", "image a -> b", ...
    code_diff: str = ""  # a unified diff of the step's command (its source code), when that changed


@dataclass
class ParameterChange:
    name: str
    source: Any  # the promoted branch's default ("" when it has no such parameter)
    target: Any


@dataclass
class PipelineDiff:
    steps: list[StepChange] = field(default_factory=list)
    parameters: list[ParameterChange] = field(default_factory=list)
    images: dict[str, tuple[str, str]] = field(default_factory=dict)  # step -> (source image, target image)

    @property
    def empty(self) -> bool:
        return not (self.steps or self.parameters)


def load(path: Path) -> tuple[dict, dict]:
    """(PipelineSpec, Kubernetes platform spec or {}) of a compiled pipeline file."""
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return documents[0], (documents[1] if len(documents) > 1 else {})


def steps(spec: dict, platform: dict) -> dict[str, dict[str, Any]]:
    """Each step (task) of the pipeline, wherever it sits (the root DAG or a condition's): its image, its
    command and arguments as text, its inputs, and its platform settings (secrets as environment)."""
    components = spec.get("components") or {}
    executors = (spec.get("deploymentSpec") or {}).get("executors") or {}
    kubernetes = ((platform.get("platforms") or {}).get("kubernetes") or {}).get("deploymentSpec") or {}
    found: dict[str, dict[str, Any]] = {}

    def walk(dag: dict) -> None:
        for name, task in (dag.get("tasks") or {}).items():
            component = components.get((task.get("componentRef") or {}).get("name", "")) or {}
            if "dag" in component:
                walk(component["dag"])
                continue
            label = component.get("executorLabel", "")
            container = (executors.get(label) or {}).get("container") or {}
            inputs = component.get("inputDefinitions") or {}
            found[name] = {
                "image": container.get("image", ""),
                "code": "\n".join(map(str, (container.get("command") or []) + (container.get("args") or []))),
                "inputs": sorted(
                    f"{n}: {d.get('parameterType') or (d.get('artifactType') or {}).get('schemaTitle', '')}"
                    for kind in ("parameters", "artifacts")
                    for n, d in (inputs.get(kind) or {}).items()
                ),
                "platform": json.dumps((kubernetes.get("executors") or {}).get(label) or {}, sort_keys=True),
            }

    walk((spec.get("root") or {}).get("dag") or {})
    return found


def parameters(spec: dict) -> dict[str, Any]:
    declared = ((spec.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
    return {name: d.get("defaultValue", "") for name, d in declared.items()}


def compare(source: Path, target: Path) -> PipelineDiff:
    """``source`` (the promoted branch's compiled pipeline) against ``target`` (the branch it goes to)."""
    (a_spec, a_platform), (b_spec, b_platform) = load(source), load(target)
    a_steps, b_steps = steps(a_spec, a_platform), steps(b_spec, b_platform)
    out = PipelineDiff()
    for name in sorted(set(a_steps) | set(b_steps)):
        a, b = a_steps.get(name), b_steps.get(name)
        if a and b:
            out.images[name] = (a["image"], b["image"])
        if a is None or b is None:
            out.steps.append(StepChange(name, "added" if b is None else "removed"))
            continue
        change = StepChange(name, "changed")
        if a["code"] != b["code"]:
            before, after = b["code"].splitlines(), a["code"].splitlines()
            lines = list(difflib.unified_diff(before, after, "before", "after", n=2, lineterm=""))
            added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
            removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
            change.details.append(f"code (+{added} -{removed} lines)")
            change.code_diff = "\n".join(lines)
        if a["image"] != b["image"]:
            change.details.append(f"image {b['image']} -> {a['image']}")
        if a["inputs"] != b["inputs"]:
            gained = [f" +{i}" for i in sorted(set(a["inputs"]) - set(b["inputs"]))]
            lost = [f" -{i}" for i in sorted(set(b["inputs"]) - set(a["inputs"]))]
            change.details.append("inputs" + "".join(gained + lost))
        if a["platform"] != b["platform"]:
            change.details.append("platform settings (secrets as environment)")
        if change.details:
            out.steps.append(change)
    a_params, b_params = parameters(a_spec), parameters(b_spec)
    for name in sorted(set(a_params) | set(b_params)):
        if a_params.get(name, "") != b_params.get(name, ""):
            out.parameters.append(ParameterChange(name, a_params.get(name, ""), b_params.get(name, "")))
    return out
