"""Record docs/media/terminal.cast: `jupyter mlops init` → `run --local` → `push` on the embedded default.

A real run, recorded as a person would see it: an interactive bash on a pseudo-terminal (100×30), each command
typed into it key by key, and everything the terminal shows written down with its time, in the asciicast v2
format (asciinema's: a JSON header line, then one `[seconds, "o", text]` line per output). Pauses longer than
IDLE_LIMIT (waiting on pip-free local pipeline steps, say) are shortened to it, as `asciinema rec -i` does.

No GitHub account, cluster or network: the pipeline runs on kfp.local with the UCI red-wine data the project
ships (data/example/), and `push` goes to the embedded default (a local bare repository).

    python docs/record_terminal.py     # writes docs/media/terminal.cast
    asciinema play docs/media/terminal.cast   # or the player on the documentation's Videos page

CI does not run this (the recording is a committed output of the script).
"""

from __future__ import annotations

import codecs
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "media" / "terminal.cast"
WORK = Path("/tmp/jupyter-mlops-demo")  # a fixed place, so the recording shows the same paths every time
WIDTH, HEIGHT = 100, 30
IDLE_LIMIT = 1.5  # seconds: longer pauses are shortened to this
KEY_DELAY = 0.035  # seconds between typed keys
AFTER_COMMAND = 1.2  # seconds to read the output before the next command is typed
TITLE = "jupyter mlops: init → run --local → push on the embedded default, real red-wine data"
COMMANDS = [  # README's quick start, as a user types it (this Python already has the project's requirements)
    "jupyter mlops init wine-quality --yes",
    "jupyter mlops run wine-quality --local",
    "jupyter mlops push wine-quality --yes",
    "jupyter mlops status wine-quality",
]
# \[ \] mark the colour codes as taking no room, so that readline wraps a long command line where it should
PROMPT = "\\[\x1b[1;34m\\]\\W\\[\x1b[0m\\] $ "
PROMPT_END = re.compile(r"\x1b\[0m \$ $")


class Recorder:
    """Reads the terminal, keeping each chunk with its (idle-limited) time since the start."""

    def __init__(self, fd: int, key_delay: float = KEY_DELAY) -> None:
        self.fd = fd
        self.key_delay = key_delay
        self.events: list[tuple[float, str]] = []
        self.clock = 0.0
        self.last = time.monotonic()
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.screen = ""  # everything shown, for waiting on the prompt and checking the run

    def _tick(self) -> float:
        now = time.monotonic()
        self.clock += min(now - self.last, IDLE_LIMIT)
        self.last = now
        return round(self.clock, 6)

    def pump(self, seconds: float) -> None:
        """Record whatever the terminal shows during ``seconds``."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the shell exited
                return
            if not data:
                return
            text = self.decoder.decode(data)
            if text:
                self.events.append((self._tick(), text))
                self.screen += text

    def wait_for_prompt(self, timeout: float = 900) -> None:
        end = time.monotonic() + timeout
        while not PROMPT_END.search(self.screen[-40:]):
            if time.monotonic() > end:
                raise SystemExit(f"no prompt after {timeout:.0f} s; the screen ends with:\n{self.screen[-2000:]}")
            self.pump(0.2)

    def type(self, text: str) -> None:
        mark = len(self.screen)
        for key in text:
            os.write(self.fd, key.encode())
            self.pump(self.key_delay)
        os.write(self.fd, b"\r")
        end = time.monotonic() + 10
        while "\n" not in self.screen[mark:] and time.monotonic() < end:  # the shell took the line
            self.pump(0.05)


def shell_environment(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.setdefault("LANG", "C.UTF-8")
    env.update(
        HOME=str(home),
        TERM="xterm-256color",
        PS1=PROMPT,
        COLUMNS=str(WIDTH),
        LINES=str(HEIGHT),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONWARNINGS="ignore",
        GIT_PAGER="cat",  # a pager would wait for a key that nobody types
    )
    return env


def fresh_work(work: Path) -> Path:
    """Empty ``work`` and give it a home with a git identity; returns the home."""
    if work.exists():
        shutil.rmtree(work)
    home = work / "home"
    home.mkdir(parents=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Ada Example\n\temail = ada@example.org\n")
    return home


def record_commands(
    commands: list[str],
    cwd: Path,
    home: Path,
    *,
    key_delay: float = KEY_DELAY,
    after_command: float = AFTER_COMMAND,
    command_timeout: float = 900,
) -> Recorder:
    """Type ``commands`` one by one into an interactive bash in ``cwd`` on a pseudo-terminal, waiting for the
    prompt after each; the recorder holds the events (from the first prompt on) and the whole screen."""
    import fcntl
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive bash in the demo folder
        os.chdir(cwd)
        os.execvpe("bash", ["bash", "--noprofile", "--norc", "-i"], shell_environment(home))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    rec = Recorder(fd, key_delay)
    try:
        rec.wait_for_prompt(30)
        rec.events.clear()  # start the recording at the first prompt
        rec.clock, rec.last = 0.0, time.monotonic()
        rec.events.append((0.0, rec.screen[rec.screen.rfind("\r\n") + 2 if "\r\n" in rec.screen else 0 :]))
        for command in commands:
            rec.pump(min(0.6, after_command))
            rec.type(command)
            rec.wait_for_prompt(command_timeout)
            rec.pump(after_command)
        os.write(fd, b"exit\r")
        rec.pump(1.0)
    finally:
        _end(pid)
        os.close(fd)
    return rec


def _end(pid: int) -> None:
    """Reap the shell; one that did not exit (a timeout above) is stopped first."""
    finished, _ = os.waitpid(pid, os.WNOHANG)
    if not finished:
        os.kill(pid, signal.SIGHUP)
        os.waitpid(pid, 0)


def record() -> list[tuple[float, str]]:
    home = fresh_work(WORK)
    rec = record_commands(COMMANDS, WORK, home)
    check(rec.screen, ["Pushed to the embedded default remote", "run wine-quality --local", "r2="])
    return rec.events


ERROR_MARKERS = ("error:", "Traceback", "✗")


def plain(screen: str) -> str:
    """The screen as a reader sees it: no colour or mode codes, carriage-return redraws collapsed."""
    text = re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|[=>])", "", screen)
    return re.sub(r"[^\n]*\r(?!\n)", "", text)


def check(screen: str, expected: list[str], markers: tuple[str, ...] = ERROR_MARKERS) -> None:
    """The recording must show a successful run, not a failure: no error marker, every expected text."""
    shown = plain(screen)
    problems = [marker for marker in markers if marker in shown]
    problems += [f"missing {text!r}" for text in expected if text not in shown]
    if problems:
        raise SystemExit(f"the recorded run did not go as expected ({', '.join(problems)}):\n{screen[-3000:]}")


def write(events: list[tuple[float, str]], out: Path = OUT, title: str = TITLE) -> None:
    header = {
        "version": 2,
        "width": WIDTH,
        "height": HEIGHT,
        "idle_time_limit": IDLE_LIMIT,
        "title": title,
        "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for t, text in events:
            f.write(json.dumps([t, "o", text], ensure_ascii=False) + "\n")


def main() -> int:
    events = record()
    write(events)
    print(
        f"wrote {OUT.relative_to(DOCS.parent)}: {len(events)} events, {events[-1][0]:.1f} s, "
        f"{OUT.stat().st_size / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
