"""Servers the tests start as subprocesses (a real MLflow server, KServe's model server): a free port on
127.0.0.1, a process group of their own (they start children), a readiness URL polled with a deadline, a log
file to show when they fail, and a stop that ends the whole group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command: list[str], *, env: dict[str, str], log: Path, ready_url: str, timeout: float, cwd=None):
    """Start ``command``; return it once ``ready_url`` answers 200, or stop it and raise with its log."""
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(command[1:4])} exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError(f"{ready_url} did not answer within {timeout:.0f} s: {log.read_text(errors='replace')[-3000:]}")


def stop_server(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the server's process group, SIGKILL after 15 s."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
