"""examples/wine-quality/ is exactly what the generator writes today (scripts/refresh_example.py refreshes it)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "wine-quality"
SCRIPT = REPO_ROOT / "scripts" / "refresh_example.py"


def test_the_committed_example_is_what_init_generates_now():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_example_is_plain_files_with_the_example_pipeline():
    assert not (EXAMPLE / ".git").exists(), "the example must not be a nested git repository"
    assert (EXAMPLE / "src" / "pipelines" / "pipeline.py").is_file()
    steps = sorted(p.stem for p in (EXAMPLE / "src" / "steps").glob("*.py") if p.stem != "__init__")
    assert {"pull_data", "preprocess", "train", "evaluate", "deploy"} <= set(steps)
    for branch in ("development", "staging", "production"):
        assert (EXAMPLE / "src" / "pipelines" / branch / "main.py").is_file()
        assert (EXAMPLE / ".github" / "workflows" / f"{branch}.yml").is_file()


def test_the_check_notices_a_change_to_the_example(tmp_path):
    """The drift check is not vacuous: a copy of the example with one edit is reported as stale."""
    import importlib.util
    import shutil

    spec = importlib.util.spec_from_file_location("refresh_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    copy = tmp_path / "copy"
    shutil.copytree(EXAMPLE, copy)
    (copy / "README.md").write_text((copy / "README.md").read_text() + "\nhand edit\n")
    (copy / "notes.txt").write_text("not generated\n")
    (copy / "src" / "steps" / "train.py").unlink()
    assert module.differences(EXAMPLE, copy) == [
        "missing from the example: src/steps/train.py",
        "not generated any more: notes.txt",
        "differs: README.md",
    ]
