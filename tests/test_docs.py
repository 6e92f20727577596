"""The documentation: the site builds clean, the generated references are current, the README's quick start
works as written on the embedded default, and the walkthrough videos are there, linked and small.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
MEDIA = DOCS / "media"


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---------------------------------------------------------------- the site


def test_the_site_builds_strict_with_zero_warnings_and_loads_nothing_from_outside(tmp_path):
    site = tmp_path / "site"
    proc = mkdocs_build(REPO_ROOT / "mkdocs.yml", site)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "WARNING" not in output, output

    # every page of the navigation is there, with the generated references and the videos
    for page in (
        "index",
        "install",
        "guide/create",
        "guide/push",
        "guide/secrets",
        "github",
        "platform",
        "generated-repo",
        "troubleshooting",
        "videos",
        "reference/cli",
        "reference/settings",
        "reference/rest-api",
        "jupyterlab",
    ):
        assert (site / f"{page}.html").is_file(), page
    for media in ("wizard.gif", "terminal.cast", "cicd.cast"):
        assert (site / "media" / media).is_file(), media
    assert (site / "assets" / "asciinema-player" / "asciinema-player.min.js").is_file()

    # no page pulls a script, a stylesheet or an image from the internet (a CDN would fail offline)
    external = re.compile(r"""<(?:script|img)[^>]+src=["']https?://|<link[^>]+href=["']https?://[^"']+\.css""")
    for html in site.rglob("*.html"):
        assert not external.search(html.read_text(encoding="utf-8")), html.relative_to(site)


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    """The strict build is the link check: prove it catches what it must."""
    shutil.copy(REPO_ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    page = tmp_path / "docs" / "troubleshooting.md"
    page.write_text(page.read_text() + "\nSee [the missing page](nowhere.md) and [a lost anchor](platform.md#nope).\n")
    proc = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "nowhere.md" in output and "#nope" in output


@pytest.mark.parametrize("script", ["gen_reference.py", "gen_rest_api.py"])
def test_the_generated_references_are_current(script):
    proc = subprocess.run(
        [sys.executable, str(DOCS / script), "--check"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_the_references_cover_every_verb_magic_setting_and_route():
    import yaml

    from jupyter_mlops.cli import VERBS
    from jupyter_mlops.settings.spec import branch_settings, project_settings

    cli = (DOCS / "reference" / "cli.md").read_text()
    for verb in VERBS:
        assert f"## `jupyter mlops {verb}`" in cli
    assert "### `%mlops wizard`" in cli
    settings = (DOCS / "reference" / "settings.md").read_text()
    for s in project_settings():
        assert f"| `{s.key}` |" in settings
    for s in branch_settings():
        assert f"| `<branch>.{s.key}` |" in settings
    api = yaml.safe_load((REPO_ROOT / "jupyter_mlops" / "server" / "openapi.yaml").read_text())
    rest = (DOCS / "reference" / "rest-api.md").read_text()
    for path, item in api["paths"].items():
        for method in ("get", "post", "delete"):
            if method in item:
                assert f"### `{method.upper()} {path}`" in rest


# ---------------------------------------------------------------- the README


def test_the_readme_links_point_at_files_that_exist():
    text = README.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links to its docs"
    missing = [t for t in local if not (REPO_ROOT / t).exists()]
    assert not missing, missing


def test_the_readme_documents_every_verb_and_links_the_videos():
    from jupyter_mlops.cli import VERBS

    text = README.read_text()
    for verb in VERBS:
        assert f"jupyter mlops {verb}" in text, verb
    videos = (DOCS / "videos.md").read_text()
    for media in ("wizard.gif", "terminal.cast", "cicd.cast"):
        assert f"docs/media/{media}" in text and f"media/{media}" in videos, media
    # the made-by table lists every recording's script
    for script in ("make_wizard_video.py", "record_terminal.py", "record_cicd.py"):
        assert f"`python docs/{script}`" in text and f"`python docs/{script}`" in videos, script


def quick_start() -> tuple[list[str], str]:
    """The quick start's bash blocks: the ones to run here, and the test command (CI runs that one)."""
    section = README.read_text().split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    tests_part = section.split("\nRun the tests:\n", 1)
    run_here = re.findall(r"```bash\n(.*?)\n```", tests_part[0], re.S)
    test_command = re.findall(r"```bash\n(.*?)\n```", tests_part[1], re.S)[0]
    return run_here, test_command


def test_ci_runs_the_readme_test_command():
    """.ci/run extracts the command after "Run the tests:" from the README: the same one the README shows."""
    _, shown = quick_start()
    line = next(ln for ln in (REPO_ROOT / ".ci" / "run").read_text().splitlines() if ln.startswith("test_command="))
    proc = subprocess.run(
        ["bash", "-c", f'{line}\nprintf %s "$test_command"'], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout == shown == 'pip install -e ".[test]" && python -m pytest -q'


def _check_editable_install_of_this_checkout() -> None:
    """`pip install -e .` has been done here: jupyter-mlops is installed, editable, from this very checkout."""
    from importlib.metadata import distribution
    from urllib.parse import unquote, urlsplit

    direct = json.loads(distribution("jupyter-mlops").read_text("direct_url.json") or "{}")
    assert direct.get("dir_info", {}).get("editable"), "jupyter-mlops is not an editable install"
    assert Path(unquote(urlsplit(direct["url"]).path)).resolve() == REPO_ROOT.resolve()


def test_the_quick_start_runs_as_written_on_the_embedded_default(tmp_path):
    """Every command of the quick start, in order, offline, in a fresh folder. `pip install -e .` is checked as
    done (the suite runs from that install, and rebuilding it would need the network); `run --local --install`
    finds everything installed here, so it installs nothing."""
    blocks, _ = quick_start()
    assert len(blocks) == 2
    assert len(blocks[0].split(" && ")) <= 4, "the main job in at most four short commands"
    project = tmp_path / "wine-quality"
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_DATA_HOME", "DATA_URI", "KFP_HOST")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    outputs = []
    for block in blocks:
        for command in block.split(" && "):
            if command == "pip install -e .":
                _check_editable_install_of_this_checkout()
                continue
            if command.startswith("pip install "):
                command = command.replace("pip install ", f"{sys.executable} -m pip install --no-index ", 1)
            proc = subprocess.run(
                ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
            )
            assert proc.returncode == 0, f"{command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            outputs.append(proc.stdout)
    text = "\n".join(outputs)

    # what a user sees: the model trained on the shipped real data, the metrics the README shows, the branches
    # pushed, the clone has them
    shown = re.search(r"^✓ local: the pipeline ran to the end; metrics: .*$", README.read_text(), re.M)[0]
    assert shown in text and "r2=0.335" in shown
    assert "✓ data: data/example/winequality-red.csv exists" in text
    assert not (project / ".venv").exists(), "everything was installed already: nothing to install"
    remote = Path(os.environ["HOME"]) / ".local" / "share" / "jupyter-mlops" / "remotes" / "wine-quality.git"
    assert f"Pushed to the embedded default remote {remote}" in text
    heads = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname:short)", "refs/heads"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(heads) == ["development", "production", "staging"]
    for branch in heads:
        assert f"origin/{branch}" in text
    assert (project / "local_outputs" / "development").is_dir()


# ---------------------------------------------------------------- the videos


def read_asciicast(path: Path) -> tuple[dict, str]:
    """An asciicast v2 recording: its header and everything it shows; events in order, a short recording."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] > 0 and header["height"] > 0
    events = [json.loads(line) for line in lines[1:]]
    times = [e[0] for e in events]
    assert all(isinstance(e[0], (int, float)) and e[1] == "o" and isinstance(e[2], str) for e in events)
    assert times == sorted(times) and times[-1] < 180, "events in order, a short recording"
    assert path.stat().st_size < 1_000_000
    return header, "".join(e[2] for e in events)


def test_the_terminal_recording_is_an_asciicast_of_the_quick_start_on_real_data():
    _, screen = read_asciicast(MEDIA / "terminal.cast")
    for shown in (
        "jupyter mlops init wine-quality --yes",
        "jupyter mlops run wine-quality --local",
        "jupyter mlops push wine-quality --yes",
        "Pushed to the embedded default remote",
        "the pipeline ran to the end",
        "r2=0.3",  # the real red-wine data (README: r2=0.335), not a synthetic sample
    ):
        assert shown in screen, shown
    assert "error:" not in screen and "Traceback" not in screen


def test_the_cicd_recording_shows_a_push_running_the_branch_workflow_up_to_the_submitted_run():
    header, screen = read_asciicast(MEDIA / "cicd.cast")
    # the caption says what stands in
    assert "act" in header["title"] and "Kubeflow Pipelines API server" in header["title"]
    for shown in (
        "alpha: 0.2",
        "git commit",
        "git push",
        "running .github/workflows/development.yml for the push to development",
        "Success - Main Unit tests and lint",
        "Success - Main Preflight (data, Kubeflow, MLflow)",
        "✓ compile: build/development/pipeline.yaml",
        "✓ run: created in experiment wine-quality-development",
        "run: started by code",
        "Job succeeded",
        "jupyter mlops status",
    ):
        assert shown in screen, shown
    # the version submitted is the pushed commit's, the one git push reported
    pushed = re.search(r"[0-9a-f]{7}\.\.([0-9a-f]{7})\s+development -> development", screen)
    assert pushed and re.search(rf"uploaded version development-{pushed[1]}[0-9a-f]{{5}} of wine-quality", screen)
    for failure in ("error:", "Traceback", "❌", "Job failed", "✗"):
        assert failure not in screen, failure


def test_the_wizard_video_is_a_short_animated_gif():
    data = (MEDIA / "wizard.gif").read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a")
    assert len(data) < 3_000_000
    from PIL import Image

    with Image.open(MEDIA / "wizard.gif") as gif:
        assert gif.n_frames >= 8  # the launcher, six wizard steps, the status view
        assert gif.size[0] >= 800
