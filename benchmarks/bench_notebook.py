"""The notebook faces' costs, side by side with their floors in one run.

1. `%load_ext jupyter_mlops` against a bare IPython start. Each round starts fresh Python processes
   (interleaved): one creates an IPython InteractiveShell (the floor), one creates it and runs
   `%load_ext jupyter_mlops`; the extra wall time is the load cost a user pays. The load is also timed
   inside the process (cold imports included). Goal: ≤ 30 ms over bare IPython.
2. REST latency of `GET status` on a generated project (3 branches, git reads), against the same server's
   cheapest authenticated route (`GET /api/status`, Jupyter's own) as the floor, on a real
   `jupyter server` with the extension enabled, over HTTP on 127.0.0.1.

    python benchmarks/bench_notebook.py [--rounds 15] [--requests 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SHELL = "from IPython.core.interactiveshell import InteractiveShell; shell = InteractiveShell.instance()"
LOAD = (
    SHELL + "\nimport time; t = time.perf_counter(); shell.run_line_magic('load_ext', 'jupyter_mlops')\n"
    "print(time.perf_counter() - t)"
)


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system; less sensitive to a busy machine) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def bench_load_ext(rounds: int, env: dict) -> None:
    bare, loaded, bare_cpu, loaded_cpu, inside = [], [], [], [], []
    for _ in range(rounds):  # interleaved, so machine noise hits both alike
        wall, cpu, _ = timed([sys.executable, "-c", SHELL], env)
        bare.append(wall)
        bare_cpu.append(cpu)
        wall, cpu, out = timed([sys.executable, "-c", LOAD], env)
        loaded.append(wall)
        loaded_cpu.append(cpu)
        inside.append(float(out.strip().splitlines()[-1]))
    b, lo, i = statistics.median(bare), statistics.median(loaded), statistics.median(inside)
    bc, lc = statistics.median(bare_cpu), statistics.median(loaded_cpu)
    print(f"-- %load_ext jupyter_mlops ({rounds} rounds, fresh processes, interleaved)")
    print(f"bare IPython shell start:         wall median {b * 1000:7.1f} ms   cpu median {bc * 1000:7.1f} ms")
    print(f"start + %load_ext jupyter_mlops:  wall median {lo * 1000:7.1f} ms   cpu median {lc * 1000:7.1f} ms")
    print(f"load cost, difference of medians: wall {(lo - b) * 1000:+7.1f} ms        cpu {(lc - bc) * 1000:+7.1f} ms")
    print(f"load cost timed in the process (cold imports included): median {i * 1000:.1f} ms (goal <= 30 ms)")
    print(f"ratio with / without the extension: wall {lo / b:.3f}x, cpu {lc / bc:.3f}x")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        assert response.status == 200, body
    return time.perf_counter() - start


def bench_status(requests: int, work: Path, env: dict) -> None:
    from jupyter_mlops.operations.status import project_status

    root = work / "root"
    root.mkdir()
    subprocess.run(
        [sys.executable, "-m", "jupyter_mlops", "init", str(root / "wine-quality"), "--yes"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port, token = free_port(), secrets.token_hex(16)
    config = work / "jupyter_server_config.json"
    config.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}}}))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--config={config}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
        ],
        env=dict(env, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_RUNTIME_DIR=str(work / "runtime")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        status_url = f"{base}/jupyter-mlops/api/status?path=wine-quality"
        for _ in range(5):  # warm up both
            get(status_url, token)
            get(f"{base}/api/status", token)
        ours, floor, operation = [], [], []
        for _ in range(requests):
            floor.append(get(f"{base}/api/status", token))
            ours.append(get(status_url, token))
            start = time.perf_counter()
            project_status(root / "wine-quality")  # the operation alone, in this process
            operation.append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(30)

    def p95(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.95) - 1]

    f, o, op = statistics.median(floor), statistics.median(ours), statistics.median(operation)
    print(f"-- REST GET status on a generated project ({requests} requests each, interleaved)")
    print(f"floor GET /api/status (Jupyter's):         median {f * 1000:6.2f} ms  p95 {p95(floor) * 1000:6.2f} ms")
    print(f"project_status() in-process (no HTTP):     median {op * 1000:6.2f} ms  p95 {p95(operation) * 1000:6.2f} ms")
    print(f"GET /jupyter-mlops/api/status?path=…:      median {o * 1000:6.2f} ms  p95 {p95(ours) * 1000:6.2f} ms")
    print(
        f"ratio REST status / Jupyter floor: {o / f:.1f}x; REST over the operation alone: "
        f"{(o - op) * 1000:+.2f} ms ({o / op:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-notebook-"))
    home = work / "home"
    home.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
    )
    try:
        subprocess.run([sys.executable, "-c", SHELL], env=env, check=True)  # first start writes the IPython profile
        bench_load_ext(args.rounds, env)
        bench_status(args.requests, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
