"""Steps packaged as container images: the compiled pipeline runs exactly the image CI builds."""

import configparser
import subprocess

import yaml

from src.helpers import images
from src.helpers.config import branches
from src.helpers.entrypoint import compile_pipeline


def test_a_steps_image_is_registry_repository_step_and_the_commit_of_its_folder():
    (step,) = images.container_steps()
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%H", "--", f"src/steps/{step}/"],
        capture_output=True,
        text=True,
        cwd=images.ROOT,
    ).stdout.strip()
    expected = f"{images.REGISTRY}/acme/wine/{step}:{commit or 'uncommitted'}"
    assert images.image(step, {"GITHUB_REPOSITORY": "Acme/Wine"}) == expected


def test_the_compiled_pipeline_references_the_image(tmp_path):
    (step,) = images.container_steps()
    path = compile_pipeline(branches()[0], tmp_path / "pipeline.yaml")
    spec = next(yaml.safe_load_all(path.read_text()))
    found = {e["container"]["image"] for e in spec["deploymentSpec"]["executors"].values()}
    assert images.image(step) in found


def test_each_image_folder_tells_kfp_where_its_function_is():
    for step in images.container_steps():
        folder = images.STEPS / step
        config = configparser.ConfigParser()
        config.read(folder / "kfp_config.ini")
        ((function, module),) = config["Components"].items()
        assert f"def {function}(" in (folder / module).read_text()
        assert "COPY component.py kfp_config.ini" in (folder / "Dockerfile").read_text()


def test_every_image_is_built_when_the_previous_commit_is_unknown():
    assert images.changed("0" * 40) == images.container_steps()
