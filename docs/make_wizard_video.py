"""Make docs/media/wizard.gif: the JupyterLab wizard, from browser screenshots of a real run.

The frames come from the browser tests (tests/test_lab_browser.py, through docs/make_screenshots.py): JupyterLab
with the installed extension in Debian's Chromium, the wizard filled in and completed against the GitHub
stand-in. This script runs them with the screenshots going to a temporary folder, then assembles the frames in
the order a user meets them into an animated GIF with ffmpeg (Debian's package: `apt-get install -y ffmpeg`).

    python docs/make_wizard_video.py               # run the browser tests, then assemble
    python docs/make_wizard_video.py --frames DIR  # assemble screenshots already in DIR

CI does not run this (the GIF is a committed output); nothing in the tests needs ffmpeg.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "media" / "wizard.gif"
# The order a user meets them: the launcher tile, the wizard's steps, then the project's status view.
FRAMES = [
    "launcher.png",
    "wizard-1-project.png",
    "wizard-options.png",
    "wizard-2-platform.png",
    "wizard-3-github.png",
    "wizard-4-secrets.png",
    "wizard-5-review.png",
    "wizard-6-create.png",
    "status.png",
]
SECONDS_PER_FRAME = 2.5
WIDTH = 960  # pixels; the screenshots are scaled down to keep the GIF small


def assemble(frames: Path, out: Path = OUT, names: list[str] = FRAMES) -> Path:
    """Concatenate the frames ``names`` (each shown SECONDS_PER_FRAME) into an optimised-palette GIF that loops
    (docs/make_vscode_media.py reuses this for the VS Code walkthrough)."""
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not installed: apt-get install -y ffmpeg")
    missing = [name for name in names if not (frames / name).is_file()]
    if missing:
        raise SystemExit(f"{frames} lacks {', '.join(missing)}: did the browser tests pass?")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlops-gif-") as tmp:
        listing = Path(tmp) / "frames.txt"
        lines = []
        for name in names:
            lines += [f"file '{(frames / name).resolve()}'", f"duration {SECONDS_PER_FRAME}"]
        lines.append(f"file '{(frames / names[-1]).resolve()}'")  # the concat demuxer drops the last duration
        listing.write_text("\n".join(lines) + "\n")
        scale = f"fps=2,scale={WIDTH}:-2:flags=lanczos"
        graph = f"[0:v]{scale},split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=sierra2_4a"
        subprocess.run(
            [
                "ffmpeg",
                "-y",
                "-loglevel",
                "error",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-filter_complex",
                graph,
                "-loop",
                "0",
                str(out),
            ],
            check=True,
        )
    return out


def main(argv: list[str]) -> int:
    if "--frames" in argv:
        out = assemble(Path(argv[argv.index("--frames") + 1]))
    else:
        sys.path.insert(0, str(DOCS))
        from make_screenshots import main as take_screenshots

        with tempfile.TemporaryDirectory(prefix="mlops-frames-") as tmp:
            if take_screenshots(Path(tmp)) != 0:
                print("the browser tests failed; no video was made", file=sys.stderr)
                return 1
            out = assemble(Path(tmp))
    print(f"wrote {out.relative_to(DOCS.parent)} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
