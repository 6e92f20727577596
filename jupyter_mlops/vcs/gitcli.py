"""Local git through the git command itself: few calls, no heavy import (init must stay fast).

GitPython is used where its object model pays for itself (push, sync); plain commands here.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from .. import timeouts
from ..errors import Conflict, InvalidInput, MlopsError
from ..settings.validators import redact_url

try:  # F_SETPIPE_SZ for FastImport's input (Linux)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class GitError(MlopsError):
    reason = "git_failed"
    http_status = 409
    exit_code = 1


# Transports git may use for any URL this tool hands it. Not ext:: (it runs a command) nor fd:: (it waits
# on a file descriptor forever); a user's own narrower GIT_ALLOW_PROTOCOL is kept narrower.
ALLOWED_PROTOCOLS = ("file", "git", "http", "https", "ssh")
# git gets its credentials another way (a header for one process, or the user's credential helper):
# a GitHub token in the environment has no business in git, its hooks or its helpers.
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
# Commands that talk to a remote: they get the network time limit.
REMOTE_COMMANDS = ("clone", "fetch", "push", "ls-remote")


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if k not in TOKEN_VARIABLES}
    # Never let git stop on a prompt: a face without a terminal would hang.
    full_env["GIT_TERMINAL_PROMPT"] = "0"
    users = [p for p in full_env.get("GIT_ALLOW_PROTOCOL", "").split(":") if p]
    allowed = [p for p in ALLOWED_PROTOCOLS if not users or p in users]
    full_env["GIT_ALLOW_PROTOCOL"] = ":".join(allowed) or "file"
    full_env["LC_ALL"] = "C"
    if extra:
        full_env.update(extra)
    return full_env


def check_argument(value: str, what: str) -> str:
    """The gate for a value that becomes a positional git argument (a URL, a path, a ref): it may not
    read as an option, nor carry a line break or NUL. Callers also put ``--end-of-options`` (or ``--``)
    before positional arguments; this refuses what validation upstream should already have refused."""
    if not isinstance(value, str) or not value or value.startswith("-") or any(c in value for c in "\0\n\r"):
        raise InvalidInput(
            f"{what} {value!r} cannot be given to git (it is empty, starts with '-' or holds a line break); "
            "give a git URL or a path"
        )
    return value


def start(args: Sequence[str], cwd: Path | str) -> subprocess.Popen:
    """Start a local git command without waiting, to overlap it with other work; finish it with ``wait``."""
    return subprocess.Popen(
        ["git", *args],
        cwd=str(cwd),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait(proc: subprocess.Popen, what: str, *, check: bool = True) -> str:
    try:
        out, err = proc.communicate(timeout=timeouts.seconds("git"))
    except subprocess.TimeoutExpired:
        timeouts.stop(proc)
        raise _timed_out(what) from None
    if check and proc.returncode != 0:
        raise GitError(f"git {what} failed: {err.strip() or out.strip()}")
    return out


def git(
    args: Sequence[str],
    cwd: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = True,
    remote: str | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """Run one git command with the hardened environment and a time limit (the network one for commands
    that talk to a remote). ``remote``: the URL it talks to, named (without credentials) when it times out."""

    kind = "network" if args[0] in REMOTE_COMMANDS else "git"
    what = f"git {args[0]}" + (f" ({redact_url(remote)})" if remote else f" in {cwd}")
    try:
        proc = timeouts.run(
            ["git", *args],
            cwd=cwd,
            env=_env(env),
            input=input,
            timeout=timeouts.seconds(kind),
            what=what,
            kind=kind,
            text=text,
        )
    except FileNotFoundError:
        raise InvalidInput("git is not installed or not on PATH; install git and try again") from None
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode(errors="replace")
        out = proc.stdout if text else proc.stdout.decode(errors="replace")
        raise GitError(f"git {args[0]} failed in {cwd}: {err.strip() or out.strip()}")
    return proc


def cat_files(repo: Path, objects: Sequence[str]) -> dict[str, bytes]:
    """Contents of several ``rev:path`` objects in one ``git cat-file --batch`` call; missing ones left out."""
    request = "".join(f"{o}\n" for o in objects).encode()
    proc = git(["cat-file", "--batch"], repo, input=request, check=False, text=False)
    out: dict[str, bytes] = {}
    data, pos = proc.stdout, 0
    for obj in objects:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header, pos = data[pos:end], end + 1
        if header.endswith(b" missing") or header.endswith(b" ambiguous"):
            continue
        size = int(header.rsplit(b" ", 1)[1])
        out[obj] = data[pos : pos + size]
        pos += size + 1
    return out


def is_repo(path: Path) -> bool:
    return (path / ".git").exists()


IDENTITY_QUERY = ["config", "--get-regexp", r"^user\.(name|email)$"]


def identity(cwd: Path, config_output: str | None = None) -> tuple[str, str]:
    """The committer identity git will use; a clear error naming the fix when there is none.

    ``config_output`` is the output of ``git IDENTITY_QUERY`` when the caller already ran it
    (init runs it alongside ``git init``).
    """
    name, email = _identity_in_environment()
    if not (name and email):
        if config_output is None:
            config_output = git(IDENTITY_QUERY, cwd, check=False).stdout
        for line in config_output.splitlines():
            key, _, value = line.partition(" ")
            if key == "user.name" and not name:
                name = value
            elif key == "user.email" and not email:
                email = value
    if not (name and email):
        missing = " and ".join(k for k, v in (("user.name", name), ("user.email", email)) if not v)
        raise InvalidInput(
            f"git has no {missing} to sign the first commit with. Set it once, then run the command again:\n"
            '  git config --global user.name "Your Name"\n'
            '  git config --global user.email "you@example.org"'
        )
    return name, email


def _identity_in_environment() -> tuple[str, str]:
    name = os.environ.get("GIT_COMMITTER_NAME") or os.environ.get("GIT_AUTHOR_NAME") or ""
    email = os.environ.get("GIT_COMMITTER_EMAIL") or os.environ.get("GIT_AUTHOR_EMAIL") or ""
    return name, email


def identity_in_environment() -> bool:
    """The environment names the committer (CI, scripts): git's config need not be asked."""
    return all(_identity_in_environment())


def head_branch(repo: Path) -> str | None:
    proc = git(["symbolic-ref", "--quiet", "--short", "HEAD"], repo, check=False)
    return proc.stdout.strip() or None


def branches(repo: Path) -> dict[str, str]:
    """Local branch → commit id."""
    proc = git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/"], repo, check=False)
    out = {}
    for line in proc.stdout.splitlines():
        name, _, sha = line.partition(" ")
        out[name] = sha
    return out


def has_commits(repo: Path) -> bool:
    return git(["rev-parse", "--verify", "--quiet", "HEAD"], repo, check=False).returncode == 0


def create_branches(repo: Path, names: Sequence[str], start: str = "HEAD") -> None:
    """Create several branches at one commit with a single git call."""
    if names:
        git(["update-ref", "--stdin"], repo, input="".join(f"create refs/heads/{n} {start}\n" for n in names))


def ensure_clean_paths(repo: Path, paths: Sequence[str]) -> None:
    """Refuse when the index already holds staged changes to the paths we are about to commit."""
    proc = git(["diff", "--cached", "--name-only", "--", *paths], repo, check=False)
    staged = proc.stdout.split()
    if staged:
        raise Conflict("Some files init would commit are already staged with your changes:", details=staged)


class FastImport:
    """The first commit of a new repository and all its branches in one ``git fast-import`` process, fed as the
    contents become known: ``blob`` for each file (git packs it while the next one renders), then ``commit``.
    One git process where add/commit/branch/branch take four; the work tree need not hold the files yet
    (``index_files`` gives it its index once it does)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.marks: dict[str, int] = {}
        self._expired = False
        # Kept as one pack: below fastimport.unpackLimit (default 100 objects) git runs unpack-objects to write
        # each object loose, which took longer than the import itself (47 of 83 ms for a new project's 60 files).
        # Zlib level 1 and no deltas: the pack is 10 % larger (131 KB instead of 119 KB) and written in two thirds
        # of the time (22 ms instead of 33); `git gc` or the first push repacks it anyway.
        self._proc = subprocess.Popen(
            ["git", "-c", "fastimport.unpackLimit=0", "-c", "core.compression=1"]
            + ["fast-import", "--quiet", "--done", "--depth=0"],
            cwd=str(repo),
            env=_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        # A pipe holds 64 KiB: the first files (the example's 84 KB CSV is the 7th) filled it while git was still
        # starting, and rendering waited for git to read (up to 15 ms of init, profiled). A pipe that holds a whole
        # new project lets rendering go on while git packs (Linux; elsewhere the pipe keeps its size).
        if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ") and self._proc.stdin is not None:
            try:
                fcntl.fcntl(self._proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
            except OSError:  # above /proc/sys/fs/pipe-max-size
                pass
        # Writing to its input has no time limit of its own: this ends git (and so the writing) when the limit passes.
        self._timer = threading.Timer(timeouts.seconds("git"), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def blob(self, path: str, content: bytes) -> None:
        mark = self.marks[path] = len(self.marks) + 1
        self._send(b"blob\nmark :%d\ndata %d\n" % (mark, len(content)) + content + b"\n")

    def commit(
        self, files: Sequence[tuple[str, bool]], message: str, branches: Sequence[str], ident: tuple[str, str]
    ) -> None:
        """The commit on ``branches[0]`` holding ``files`` (path, executable; each sent with ``blob``), the other
        branches at it; then wait for git to finish."""
        name, email = ident
        offset = -time.timezone if time.localtime().tm_isdst <= 0 else -time.altzone
        tz = f"{'+' if offset >= 0 else '-'}{abs(offset) // 3600:02d}{abs(offset) % 3600 // 60:02d}"
        msg = message.encode()
        mark = len(self.marks) + 1
        out = bytearray(f"commit refs/heads/{branches[0]}\nmark :{mark}\n".encode())
        out += f"committer {name} <{email}> {int(time.time())} {tz}\n".encode()
        out += b"data %d\n" % len(msg) + msg + b"\n"
        for path, executable in files:
            out += b"M %s :%d %s\n" % (b"100755" if executable else b"100644", self.marks[path], _quote(path))
        for branch in branches[1:]:
            out += f"reset refs/heads/{branch}\nfrom :{mark}\n".encode()
        self._send(bytes(out) + b"done\n")
        _, err = self._proc.communicate()  # bounded by the timer
        self._timer.cancel()
        if self._proc.returncode != 0:
            self._fail(err)

    def close(self) -> None:
        """End git without committing (a failure or a cancel elsewhere)."""
        self._timer.cancel()
        timeouts.stop(self._proc)

    def _send(self, data: bytes) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(data)
        except BrokenPipeError:  # git stopped reading: it failed, or the time limit ended it
            self._timer.cancel()
            self._fail(self._proc.communicate()[1])

    def _expire(self) -> None:
        self._expired = True
        timeouts.kill_group(self._proc)

    def _fail(self, err: bytes) -> NoReturn:
        if self._expired:
            raise _timed_out("fast-import")
        raise GitError(f"git fast-import failed in {self.repo}: {err.decode(errors='replace').strip()}")


def _timed_out(what: str) -> timeouts.TimedOut:
    return timeouts.TimedOut(f"git {what} did not finish within {timeouts.seconds('git'):g} s; {timeouts.hint('git')}")


def index_files(repo: Path, files: Sequence[tuple[str, bool]]) -> None:
    """The index of a new repository's work tree, from its files (path, executable), while ``FastImport`` may still
    be writing the commit that holds them: git hashes each file without storing it (``--info-only``: fast-import
    stores the objects) and records its stat data, so the index matches the commit and ``git status`` has nothing
    to read again. The executable bit is set as given, not read from a file system that may not keep it.
    No ``--`` here: ``--chmod=+x`` must stand between the two lists of paths; check_argument refuses a path that
    could read as an option."""
    args = ["update-index", "--add", "--info-only", *(check_argument(p, "path") for p, x in files if not x)]
    executable = [check_argument(p, "path") for p, x in files if x]
    git([*args, "--chmod=+x", *executable] if executable else args, repo)


def _quote(path: str) -> bytes:
    if any(c in path for c in '"\\\n') or path.startswith(" "):
        escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'.encode()
    return path.encode()
