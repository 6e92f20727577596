"""The JupyterLab extension's cost, side by side with peers, in one run.

1. Size: the extension's own JavaScript (as installed) against the 60 KB goal and against a peer
   extension installed in the same environment (@jupyter-widgets/jupyterlab-manager).
2. Startup: time until JupyterLab shows its launcher with the extension enabled vs disabled (same
   machine, rounds interleaved), and how many requests reach /jupyter-mlops/api/ before any panel
   is opened (goal: none).
3. Opening: time from the launcher tile's click to the wizard's fields filled with the server's
   defaults, against JupyterLab's own "Text File" card (the server creates the file, the editor opens).

    python benchmarks/bench_lab.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lab_support import API, JupyterLab, built_extension_dir, chromium, own_javascript_bytes  # noqa: E402

GOAL_BYTES = 60_000
PEER = "@jupyter-widgets/jupyterlab-manager"


def peer_bytes() -> int | None:
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("labextensions"):
        static = Path(base, *PEER.split("/"), "static")
        if static.is_dir():
            return sum(p.stat().st_size for p in static.glob("*.js"))
    return None


def time_to_launcher(browser, lab: JupyterLab) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if f"/{API}" in r.url else None)
    start = time.perf_counter()
    page.goto(lab.url)
    page.locator(".jp-LauncherCard").first.wait_for(timeout=120_000)
    elapsed = time.perf_counter() - start
    page.wait_for_load_state("networkidle")
    context.close()
    return elapsed, len(seen)


def time_to_open(browser, lab: JupyterLab, which: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(lab.url)
    page.locator(".jp-LauncherCard").first.wait_for(timeout=120_000)
    page.wait_for_load_state("networkidle")
    start = time.perf_counter()
    if which == "wizard":
        page.locator(".jp-LauncherCard", has_text="MLOps project").click()
        page.wait_for_function("(document.querySelector('.jp-mlops-Wizard [data-key=name]') || {}).value")
    else:  # a built-in launcher card whose panel also needs the server: a new text file in its editor
        page.locator(".jp-LauncherCard", has_text="Text File").click()
        page.locator(".jp-FileEditor .cm-content").first.wait_for(timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    sizes = own_javascript_bytes(built_extension_dir())
    total, peer = sum(sizes.values()), peer_bytes()
    print(f"own JavaScript: {total} bytes in {len(sizes)} files; goal {GOAL_BYTES} -> ratio {total / GOAL_BYTES:.2f}")
    if peer:
        print(f"peer {PEER}: {peer} bytes -> ours is {total / peer:.2f} of it")

    root = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    with_ext = JupyterLab(root).start()
    without_ext = JupyterLab(root, disabled_extensions=("jupyter-mlops",)).start()
    try:
        with chromium() as browser:
            time_to_launcher(browser, with_ext)  # warm the caches
            time_to_launcher(browser, without_ext)
            on, off, early = [], [], []
            wizard, editor = [], []
            for _ in range(args.rounds):
                t, n = time_to_launcher(browser, with_ext)
                on.append(t)
                early.append(n)
                off.append(time_to_launcher(browser, without_ext)[0])
                wizard.append(time_to_open(browser, with_ext, "wizard"))
                editor.append(time_to_open(browser, with_ext, "editor"))
    finally:
        with_ext.stop()
        without_ext.stop()
        shutil.rmtree(root, ignore_errors=True)

    med = statistics.median
    print(
        f"launcher shown: with the extension {med(on) * 1000:.0f} ms, without {med(off) * 1000:.0f} ms "
        f"-> ratio {med(on) / med(off):.2f} (goal <= 1.10)"
    )
    print(f"requests to {API} before a panel is opened: {max(early)} (goal 0)")
    print(
        f"wizard ready (click -> defaults shown): {med(wizard) * 1000:.0f} ms; Text File editor: "
        f"{med(editor) * 1000:.0f} ms -> ratio {med(wizard) / med(editor):.2f} (goal <= 1.5)"
    )


if __name__ == "__main__":
    main()
