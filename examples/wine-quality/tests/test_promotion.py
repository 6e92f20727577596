"""Promotion evidence (src/helpers/promotion.py, pipeline_diff.py) on this repository's compiled pipelines."""

import subprocess
import sys

import pytest
import yaml

from src.helpers import pipeline_diff, promotion
from src.helpers.config import ROOT, branches


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Every branch's pipeline, compiled by its own main.py."""
    folder = tmp_path_factory.mktemp("compiled")
    out = {}
    for branch in branches():
        out[branch] = folder / f"{branch}.yaml"
        command = [sys.executable, f"src/pipelines/{branch}/main.py", "--compile-only", "--output"]
        subprocess.run([*command, str(out[branch])], cwd=ROOT, check=True, capture_output=True, timeout=300)
    return out


def test_one_pipeline_compared_with_itself_has_no_difference(compiled):
    first = next(iter(compiled.values()))
    assert pipeline_diff.compare(first, first).empty


def test_a_changed_step_and_parameter_are_named(compiled, tmp_path):
    """Given a copy of a branch's pipeline whose first step runs other code in another image and whose first
    parameter has another default, then the comparison names that step, both changes and the parameter."""
    original = next(iter(compiled.values()))
    documents = list(yaml.safe_load_all(original.read_text()))
    spec = documents[0]
    tasks = spec["root"]["dag"]["tasks"]
    component = {name: spec["components"][task["componentRef"]["name"]] for name, task in tasks.items()}
    step = next(name for name in tasks if "executorLabel" in component[name])  # a step, not a dsl.If group
    label = component[step]["executorLabel"]
    container = spec["deploymentSpec"]["executors"][label]["container"]
    container["image"] = "registry.example.org/other:1"
    container["args"] = [*container.get("args", []), "--changed"]
    parameter = next(iter(pipeline_diff.parameters(spec)))
    spec["root"]["inputDefinitions"]["parameters"][parameter]["defaultValue"] = "changed"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump_all(documents))

    diff = pipeline_diff.compare(changed, original)

    (change,) = diff.steps
    assert change.name == step and change.change == "changed"
    assert change.details[0] == "code (+1 -0 lines)" and "+--changed" in change.code_diff
    assert change.details[1].endswith("-> registry.example.org/other:1")
    assert [(p.name, p.source) for p in diff.parameters] == [(parameter, "changed")]


def test_the_evidence_markdown_keeps_values_as_text(compiled):
    """A configuration value is data: in the pull request's body it cannot become markup or HTML."""
    source = promotion.Side("development", "a", "1" * 40, "development", {"params.note": "<b>x</b> | y"})
    target = promotion.Side("staging", "b", "2" * 40, "staging", {"params.note": "z"})
    changed = [{"key": "params.note", "source": "<b>x</b> | y", "target": "z"}]
    evidence = promotion.Evidence(source, target, changed)
    text = promotion.markdown(evidence)
    assert "| params.note | &lt;b&gt;x&lt;/b&gt; \\| y | z |" in text
    assert "<b>" not in text


def test_the_command_compares_two_branches_and_appends_the_summary(tmp_path):
    """Two branches' folders at this commit (what a pull request's workflow runs, without the registry): the
    job summary gets the comparison, whose first setting difference is each branch's own experiment."""
    first, second = branches()[:2]
    summary = tmp_path / "summary.md"
    command = [sys.executable, "-m", "src.helpers.promotion", first, second, "--from-ref", "HEAD"]
    command += ["--to-ref", "HEAD", "--no-registry", "--summary", str(summary)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    text = summary.read_text()
    assert f"### Promotion evidence: {first} → {second}" in text and text.strip() in proc.stdout
    assert "| setting |" in text and "| experiment |" in text
    assert "| note | not read (--no-registry) | not read (--no-registry) |" in text
    assert "#### Files the merge brings (0)" in text
