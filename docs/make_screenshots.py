"""Save the documentation's screenshots of the JupyterLab extension into docs/images/.

They come from a real run of the browser tests (tests/test_lab_browser.py, the JupyterLab-at-root half):
JupyterLab with the installed extension, Debian's Chromium, the wizard completed against the GitHub
stand-in. The tests take the pictures at each step; this script only tells them where to put them.

    python docs/make_screenshots.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"


def main(target: Path = IMAGES) -> int:
    """Run the browser tests with their screenshots going to ``target`` (docs/make_wizard_video.py reuses this)."""
    target.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MLOPS_SCREENSHOTS=str(target))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_lab_browser.py", "-k", "root", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
    )
    for image in sorted(target.glob("*.png")):
        print(image)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
