"""Generate docs/reference/cli.md from the CLI's own argparse parsers, so the reference cannot drift.

    python docs/gen_reference.py          # rewrite the file
    python docs/gen_reference.py --check  # exit 1 when the committed file is stale (a test runs this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "reference" / "cli.md"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, words: list[str], out: list[str]) -> None:
    subs = _subparsers(parser)
    if words:
        heading = "#" * min(len(words) + 1, 4)
        out += [f"{heading} `jupyter mlops {' '.join(words)}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in subs.items():
        _walk(sub, words + [name], out)


def render() -> str:
    import os

    os.environ["COLUMNS"] = "100"  # argparse wraps help at the terminal width: fix it for a stable file
    from jupyter_mlops.cli import build_parser

    parser = build_parser()
    out = [
        "# CLI and magics reference",
        "",
        "Generated from the parsers by `python docs/gen_reference.py`; a test fails when it is stale.",
        "The `%mlops` magic takes the same words: `%mlops init --name x --yes` is `jupyter mlops init --name x --yes`",
        "(secret values and tokens are always asked with a hidden prompt, never written in the cell).",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    _walk(parser, [], out)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run python docs/gen_reference.py", file=sys.stderr)
            sys.exit(1)
    else:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}")
