"""Record docs/media/cicd.cast: change a parameter, commit, push, and watch the branch's CI/CD submit the pipeline.

The second walkthrough, using the generated repository: in a project made by `jupyter mlops init` and pushed
with `jupyter mlops push` (the embedded default: a bare repository on this machine), a data scientist changes
alpha in src/pipelines/development/config.yaml, commits, and runs `git push`. The push runs the development
branch's own workflow (.github/workflows/development.yml, from the pushed commit): install, unit tests and
lint, the preflight, compile and submit. Its log comes back as the push's "remote:" lines, and the Kubeflow run
it created is named after the branch and commit, with what started it ([code]).

What is real: the generated project and its workflow file, act (nektos/act, GitHub Actions' engine, run in
host mode), git, the project's tests, the preflight's HTTP checks, the pipeline's compilation with the kfp
compiler and the submission's HTTP calls made by the kfp SDK. What stands in, because it cannot run here:
- the runner host: act runs the steps on this machine (no GitHub, no Docker); the remote's post-receive hook
  hands the push to it (tests/act_support.py), and the three marketplace actions are local stand-ins
  (tests/act_actions/, each documented);
- the Kubeflow Pipelines API server: tests/standins/kfp.py, which follows the v2beta1 REST API and parses
  every uploaded pipeline strictly; the data is the project's synthetic sample served over HTTP.
development's kfp.host and data.uri point at those two (set with `jupyter mlops init --set`, off camera).

    python docs/record_cicd.py                 # writes docs/media/cicd.cast
    asciinema play docs/media/cicd.cast        # or the player on the documentation's Videos page

It fails instead of writing a recording when any step shows an error. tests/test_walkthrough_cicd.py runs the
same flow (walkthrough()) without writing it, so a template change that breaks it fails the suite.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
for path in (str(DOCS), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

import record_terminal as terminal  # noqa: E402  (the recorder: pty, typing, asciicast v2)

OUT = DOCS / "media" / "cicd.cast"
WORK = Path("/tmp/jupyter-mlops-cicd")  # a fixed place, so the recording shows the same paths every time
TITLE = (
    "jupyter mlops: change alpha, git commit, git push → the branch's CI/CD submits the pipeline. Real: the workflow "
    "file, act's engine, the tests, the compile and the submission's HTTP calls; standing in: the runner host "
    "(act, host mode, on this machine) and the Kubeflow Pipelines API server"
)
PROJECT = "wine-quality"
BRANCH = "development"
CONFIG = f"src/pipelines/{BRANCH}/config.yaml"
COMMANDS = [
    f"cd {PROJECT}",
    "jupyter mlops status",
    f'grep -nE "^  (host|uri|alpha):" src/pipelines/{BRANCH}/*.yaml',  # where CI submits, the data, alpha
    f"sed -i 's/^  alpha: .*/  alpha: 0.2/' {CONFIG}",
    "git diff",
    'git commit -qam "development: try alpha 0.2" && git log --oneline -1',
    "git push",
    "jupyter mlops status",
]
# Any of these on the screen means a step went wrong: the recording is not written.
ERROR_MARKERS = ("error:", "Error:", "ERROR", "Traceback", "✗", "❌", "Job failed", "::error::")
COMMAND_TIMEOUT = 900


@dataclass
class Walkthrough:
    """What the flow did: the terminal's events and screen, the pushed commit, the KFP stand-in's state."""

    events: list[tuple[float, str]]
    screen: str
    project: Path
    remote: Path
    commit: str
    kfp: object  # tests.standins.kfp.KfpState once the stand-in stopped


def expected_on_screen(commit: str) -> list[str]:
    """What a successful run shows: the edit, the push, each workflow step passing, the submitted run."""
    return [
        "+  alpha: 0.2",
        f"{BRANCH} -> {BRANCH}",
        "Success - Main Unit tests and lint",
        "✓ check: the development branch is ready to submit",
        "✓ compile: build/development/pipeline.yaml",
        f"✓ pipeline: uploaded version {BRANCH}-{commit[:12]} of {PROJECT}",
        "✓ run: created in experiment",
        "run: started by code",
        "🏁  Job succeeded",
        "[in sync]",
    ]


@contextlib.contextmanager
def stand_ins(work: Path) -> Iterator[tuple[object, object]]:
    """The KFP API stand-in (no auth: development's standalone KFP) and an HTTP server for the data."""
    from tests.generated_support import StaticFiles
    from tests.standins.kfp import KfpStandin

    data = work / "data-server"
    data.mkdir(parents=True, exist_ok=True)
    with KfpStandin("none") as kfp, StaticFiles(data) as files:
        yield kfp, files


def prepare(work: Path, home: Path, kfp_host: str, data_url: str) -> tuple[Path, Path]:
    """Off camera, as in the first walkthrough: init (development pointed at the stand-ins), the synthetic
    sample served as the data, push to the embedded default; then the remote runs workflows on push."""
    from tests.act_support import install_push_trigger

    env = terminal.shell_environment(home)
    project = work / PROJECT

    def run(*args: str, cwd: Path = work) -> None:
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")

    run(
        sys.executable, "-m", "jupyter_mlops", "init", PROJECT, "--yes",
        "--set", f"{BRANCH}.kfp.host={kfp_host}", "--set", f"{BRANCH}.data.uri={data_url}",
    )  # fmt: skip
    run(sys.executable, "-m", "src.helpers.sample_data", str(work / "data-server" / Path(data_url).name), cwd=project)
    run(sys.executable, "-m", "jupyter_mlops", "push", "--yes", cwd=project)
    remote = home / ".local" / "share" / "jupyter-mlops" / "remotes" / f"{PROJECT}.git"
    install_push_trigger(remote, work / "runner")
    return project, remote


def walkthrough(
    work: Path = WORK, *, key_delay: float = terminal.KEY_DELAY, after_command: float = terminal.AFTER_COMMAND
) -> Walkthrough:
    """The whole flow: stand-ins up, the project prepared, then COMMANDS typed into a recorded terminal."""
    home = terminal.fresh_work(work)
    with stand_ins(work) as (kfp, files):
        project, remote = prepare(work, home, kfp.host, files.url("winequality-red.synthetic.csv"))
        rec = terminal.record_commands(
            COMMANDS, work, home, key_delay=key_delay, after_command=after_command, command_timeout=COMMAND_TIMEOUT
        )
    commit = subprocess.run(
        ["git", "rev-parse", BRANCH], cwd=remote, capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    return Walkthrough(rec.events, rec.screen, project, remote, commit, kfp.state)


def main() -> int:
    result = walkthrough()
    terminal.check(result.screen, expected_on_screen(result.commit), ERROR_MARKERS)
    terminal.write(result.events, OUT, TITLE)
    print(
        f"wrote {OUT.relative_to(REPO)}: {len(result.events)} events, {result.events[-1][0]:.1f} s, "
        f"{OUT.stat().st_size / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
