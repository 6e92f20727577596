"""The Python a project's local run uses, and whether it has what the project's requirements.txt lists.

A local run executes the project's own ``main.py``; its steps import the project's packages (pandas,
scikit-learn, MLflow's client, …) from that Python and never install anything themselves. So before a local
run we check, in that Python, every line of requirements.txt, and say what is missing. When asked, the
missing packages go into the project's own environment, ``<project>/.venv`` (created with access to the
packages this Python already has, so only what is missing is downloaded); the user's environment is never
changed. Once ``.venv`` exists, the project's runs use it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInput, RemoteFailure
from ..progress import Progress

VENV = ".venv"
CHECK_TIMEOUT = 60
INSTALL_TIMEOUT = 1800  # a first install downloads kfp, pandas, scikit-learn, MLflow's client: minutes

# Run inside the project's Python: which requirement lines it does not satisfy (name, version, marker).
_CHECK = r"""
import json, sys
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.requirements import Requirement
except ImportError:
    Requirement = None
missing = []
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")):
        continue
    if Requirement is None:
        missing.append(text)
        continue
    wanted = Requirement(text)
    if wanted.marker is not None and not wanted.marker.evaluate():
        continue
    try:
        found = version(wanted.name)
    except PackageNotFoundError:
        missing.append(text)
        continue
    if wanted.specifier and not wanted.specifier.contains(found, prereleases=True):
        missing.append(f"{text} (installed: {found})")
print(json.dumps(missing))
"""


@dataclass
class ProjectEnvironment:
    root: Path
    python: str  # the interpreter that runs the project's main.py
    missing: list[str] = field(default_factory=list)  # requirement lines it does not satisfy

    @property
    def venv(self) -> Path:
        return self.root / VENV

    @property
    def own(self) -> bool:
        """The project's own environment (<project>/.venv), not the one jupyter-mlops runs in."""
        return Path(self.python).is_relative_to(self.venv)

    def problem(self) -> InvalidInput:
        requirements = self.root / "requirements.txt"
        where = f"{self.venv}" if self.own else f"this Python ({self.python})"
        fix = (
            f"run again with --install to put them into {self.venv} (the project's own environment; yours "
            f"stays as it is), or install them yourself: {self.python} -m pip install -r {requirements}"
        )
        return InvalidInput(
            f"{self.root.name}'s requirements.txt lists packages {where} does not have (a local run installs "
            f"nothing by itself); {fix}:",
            details=self.missing,
            fix=fix,
        )


def project_python(root: Path) -> str:
    """``<project>/.venv``'s Python once it exists, else the Python jupyter-mlops runs in."""
    own = root / VENV / "bin" / "python"
    return str(own) if own.is_file() else sys.executable


def inspect(root: Path) -> ProjectEnvironment:
    """Which Python runs the project and what of requirements.txt it lacks (nothing when there is no file)."""
    env = ProjectEnvironment(root, project_python(root))
    requirements = root / "requirements.txt"
    if requirements.is_file():
        env.missing = _missing(env.python, requirements)
    return env


def _missing(python: str, requirements: Path) -> list[str]:
    try:
        proc = subprocess.run(
            [python, "-c", _CHECK, str(requirements)], capture_output=True, text=True, timeout=CHECK_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RemoteFailure(f"could not run {python} to check {requirements.name}: {exc}") from None
    if proc.returncode != 0:
        raise InvalidInput(f"{requirements} could not be read as requirements: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout)


def install(env: ProjectEnvironment, progress: Progress) -> ProjectEnvironment:
    """Make ``<project>/.venv`` (with this Python's packages visible) if needed and install requirements.txt in
    it; returns the environment as it is afterwards (``missing`` empty, or what pip still could not provide)."""
    if not env.own:
        progress.emit("environment", "start", f"Creating {env.venv} (the project's own environment)")
        _run([sys.executable, "-m", "venv", "--system-site-packages", str(env.venv)], "creating the environment")
        progress.emit("environment", "done", f"Created {env.venv} (the project's own environment)")
    python = project_python(env.root)
    progress.emit("environment", "start", f"Installing {', '.join(env.missing)} into {env.venv}")
    _run([python, "-m", "pip", "install", "-r", str(env.root / "requirements.txt")], "pip install")
    after = inspect(env.root)
    if after.missing:
        raise after.problem()
    progress.emit("environment", "done", f"Installed {', '.join(env.missing)} into {env.venv}")
    return after


def _run(command: list[str], what: str) -> None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RemoteFailure(f"{what} failed: {exc}") from None
    if proc.returncode != 0:
        raise RemoteFailure(f"{what} failed", details=(proc.stdout + proc.stderr).strip().splitlines()[-8:])
