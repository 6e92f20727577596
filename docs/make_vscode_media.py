"""Save the VS Code extension's screenshots into docs/images/ and make docs/media/vscode.gif from them.

They come from a real run of the end-to-end tests (tests/test_vscode_browser.py): code-server 4.100.3 with the
built .vsix installed, in Debian's Chromium; the wizard completed against the GitHub stand-in, the status view,
Set Secret…. The tests take the pictures; this script tells them where to put them and assembles the GIF with
ffmpeg (as docs/make_wizard_video.py does for the JupyterLab wizard).

    python docs/make_vscode_media.py

Needs what the tests need (.ci/code-server, `cd vscode && npm ci && npm run package`) and ffmpeg. CI does not
run this: the pictures and the GIF are committed outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
OUT = DOCS / "media" / "vscode.gif"
# The order a user meets them: the wizard's pages, the created project, the status view, Set Secret….
FRAMES = [
    "vscode-wizard-project.png",
    "vscode-wizard-platform.png",
    "vscode-wizard-github.png",
    "vscode-wizard-secrets.png",
    "vscode-wizard-review.png",
    "vscode-wizard-done.png",
    "vscode-status.png",
    "vscode-set-secret.png",
]


def main() -> int:
    sys.path.insert(0, str(DOCS))
    from make_wizard_video import assemble

    IMAGES.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MLOPS_SCREENSHOTS=str(IMAGES))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_vscode_browser.py", "-q", "-p", "no:cacheprovider"],
        cwd=DOCS.parent,
        env=env,
    )
    if proc.returncode != 0:
        print("the end-to-end tests failed; no pictures or video were made", file=sys.stderr)
        return 1
    out = assemble(IMAGES, OUT, FRAMES)
    print(f"wrote {out.relative_to(DOCS.parent)} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
