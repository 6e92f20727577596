"""Generate the reference pages from the code itself, so they cannot drift:

- docs/reference/cli.md from the CLI's argparse parsers, and the magics' extra verbs from theirs;
- docs/reference/settings.md from the settings table (jupyter_mlops/settings/spec.py) and its defaults.

    python docs/gen_reference.py          # rewrite the pages
    python docs/gen_reference.py --check  # exit 1 when a committed page is stale (tests/test_docs.py runs this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


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


def _magic_verbs(out: list[str]) -> None:
    """The verbs only the notebook faces have (``%mlops wizard``), from the magics' own parser."""
    from jupyter_mlops.cli import VERBS
    from jupyter_mlops.notebook.magics import parser

    for name, sub in _subparsers(parser()).items():
        if name not in VERBS:
            out += [f"### `%mlops {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]


MACHINE_INTERFACE = [
    "## Machine interface: `--json`",
    "",
    "Every verb takes `--json`, the interface scripts and the VS Code extension use. Standard output then holds",
    "only JSON objects, one per line; everything else (the lines a person reads) goes to standard error:",
    "",
    "```text",
    '{"event": {"step": "git", "state": "done", "message": "Committed on development; …", "link": null, "time": …}}',
    '{"event": {"step": "init", "state": "done", "message": "Project wine ready in …", "link": null, "time": …}}',
    '{"root": "/home/me/wine", "mode": "new", "files": […], "branches": {"create": ["staging", "production"], …}}',
    "```",
    "",
    '- one `{"event": …}` line per progress event: `step`, `state` (start, done, skip, warn, fail, info),',
    "  `message`, `link` (a URL or path, or null) and `time` (seconds since the epoch);",
    '- then one last line: either `{"error": {"reason", "message", "details", "fix", "exit_code"}}` —',
    "  `reason` is one of invalid_input, conflict, not_found, unauthenticated, forbidden, remote_failure,",
    "  cancelled (internal_error for a bug) and `fix` is what to do — or the verb's result object (it never has a",
    '  top-level `event` or `error` key). `--dry-run` gives `{"dry_run": true, "plan": …, "describe": […]}`.',
    "- The exit status is the CLI's: 0, 2 for the user's mistake, 1 for a remote failure or a waiting conflict,",
    "  130 when interrupted. A usage error is an error line too; `--help` text goes to standard error.",
    "- It never prompts. The GitHub token comes from `GITHUB_TOKEN`/`GH_TOKEN`; secret values from standard input",
    "  (`secrets set NAME`, `push --secrets-file -`, `new --secrets-file -`); none is ever printed.",
    "- SIGTERM and SIGINT (Ctrl-C) end a run the same way: what was half-done is rolled back or resumable, the last",
    "  line is a `cancelled` error, and running the command again finishes the job.",
    "- `jupyter mlops schema --json` prints the settings' JSON schema (what every form renders);",
    "  `jupyter mlops validate --json` reads a settings object on standard input and answers",
    '  `{"valid", "errors": {key: message}, "required_secrets", "optional_secrets"}` without writing anything.',
    "",
]


def render() -> str:
    import os

    os.environ["COLUMNS"] = "100"  # argparse wraps help at the terminal width: fix it for a stable file
    from jupyter_mlops.cli import build_parser

    parser = build_parser()
    out = [
        "# CLI and magics reference",
        "",
        "Generated from the parsers by `python docs/gen_reference.py`; a test fails when it is stale.",
        "Every verb's settings keys (`--set KEY=VALUE`) are listed in the [settings reference](settings.md).",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    out += MACHINE_INTERFACE
    _walk(parser, [], out)
    out += [
        "## Magics: `%mlops`",
        "",
        "`%load_ext jupyter_mlops` registers the line magic `%mlops`. It takes the CLI's words, parsed by the same",
        "parsers: `%mlops init --name x --yes` is `jupyter mlops init --name x --yes`. A mistake is an IPython",
        "`UsageError` (one line, no traceback); results render as HTML with a plain-text fallback. Secret values",
        "and tokens are always asked with a hidden prompt, never written in the cell. The notebook faces add:",
        "",
    ]
    _magic_verbs(out)
    return "\n".join(out).rstrip() + "\n"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _kind(setting) -> str:
    if setting.choices:
        return " \\| ".join(f"`{c}`" for c in setting.choices)
    return {"boolean": "true \\| false", "list": "comma-separated"}.get(setting.kind, "text")


def _what(setting) -> str:
    when = " and ".join(f"`{k}` = {_shown(v)}" for k, v in setting.when.items())
    return f"{_cell(setting.label)}: {_cell(setting.help)}" + (f" (only when {when})" if when else "")


def _needed_when(secret) -> str:
    from jupyter_mlops.settings.table import Matches

    def term(key, value):
        return f"`{key}` matches `{value.pattern}`" if isinstance(value, Matches) else f"`{key}` = {_shown(value)}"

    return " or ".join(" and ".join(term(k, v) for k, v in c.items()) for c in secret.when)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`" if value != "" else "(empty)"


SCHEMA_SECTION = [
    "",
    "## The schema the forms render",
    "",
    "`GET <base_url>/jupyter-mlops/api/schema[?branches=a,b]` and `jupyter mlops schema --json [--branches a,b]`",
    "return the same JSON Schema (draft 2020-12), exported from the table. Besides each field's `type`, `title`",
    "(label), `description` (help), `enum`, `default` and `examples`, it carries the forms' layout:",
    "",
    "| keyword | where | meaning |",
    "|---|---|---|",
    "| `x-group` | field | the id of the page it is on |",
    "| `x-order` | field | its place on the page (and branch) |",
    "| `x-when` | field | shown and applied only when every listed key has that value; absent: always |",
    "| `x-branch` | per-branch field | the branch it belongs to |",
    "| `x-setting` | field | the key without the branch prefix |",
    "| `x-list` | field | comma-separated (`branches`: the per-branch pages follow it) |",
    "| `x-branches` | top | the branches the per-branch fields are for |",
    "| `x-groups` | top | the pages in order: `id`, `title`, `description`, `x-per-branch` (once per branch) |",
    "| `x-secrets` | top | the CI secrets: `name`, `title`, `description`, `x-when-any` (a list of conditions, any one"
    " holds; `x-when` when there is one), `x-optional`; per-branch keys written `<branch>.kfp.auth`, a value"
    ' `{"pattern": …}` is a regular expression |',
    "",
    "A face renders its pages from `x-groups` and each page's fields from `x-group`/`x-order`, hides a field",
    "whose `x-when` does not hold (and leaves it out of what it sends), and asks the server to validate",
    "(`POST validate`, whose answer lists each branch's `required_secrets`): rules are never re-implemented in a",
    "face. Adding a row to the table is the only change a new setting needs to appear in every face.",
]


def render_settings() -> str:
    from jupyter_mlops.settings.spec import GROUPS, SECRETS, ProjectSpec, branch_settings, dumps, project_settings

    pages = {g.id: g.title for g in GROUPS}

    spec = ProjectSpec.default("wine-quality")
    first, *others = spec.branch_names
    out = [
        "# Settings reference",
        "",
        "Generated from the settings table (`jupyter_mlops/settings/spec.py`) by `python docs/gen_reference.py`;",
        "a test fails when it is stale. The same keys work in `jupyter mlops init --set KEY=VALUE`, `--config FILE`",
        "(TOML or JSON, flat keys or the `mlops.toml` shape), the wizard's fields and the REST API's `settings`.",
        "Defaults below are for a project named `wine-quality` with the default branches.",
        "",
        "## Project-wide settings",
        "",
        "The forms (JupyterLab, the notebook wizard, VS Code) show each setting on its page, in the table's order,",
        "and hide one whose condition does not hold (`jupyter mlops schema` lists them; `--json` gives the schema).",
        "",
        "| key | what | page | values | default |",
        "|---|---|---|---|---|",
    ]
    for s in project_settings():
        out.append(f"| `{s.key}` | {_what(s)} | {pages[s.group]} | {_kind(s)} | {_shown(spec.get(s.key))} |")
    out += [
        "",
        "## Per-branch settings",
        "",
        "Written `<branch>.<key>`, e.g. `--set staging.kfp.auth=token`. The first branch defaults to a standalone",
        "KFP on a laptop; the others to a full Kubeflow behind Dex (see [Connecting to the platform](../platform.md)).",
        "",
        f"| key | what | page | values | default ({first}) | default ({', '.join(others)}) |",
        "|---|---|---|---|---|---|",
    ]
    for s in branch_settings():
        later = spec.get(f"{others[0]}.{s.key}") if others else ""
        later_text = _shown(later).replace(others[0], "<branch>") if others else ""
        out.append(
            f"| `<branch>.{s.key}` | {_what(s)} | {pages[s.group]} | {_kind(s)} | "
            f"{_shown(spec.get(f'{first}.{s.key}'))} | {later_text} |"
        )
    out += [
        "",
        "## CI secrets",
        "",
        "The secrets a branch's CI may read, with the same names in every environment (set with",
        "`jupyter mlops secrets set NAME --env BRANCH`). A per-branch key in the condition is the branch's own.",
        "",
        "| name | what | needed when |",
        "|---|---|---|",
    ]
    for secret in SECRETS:
        needed = _cell(_needed_when(secret)) + (" (optional)" if secret.optional else "")
        out.append(f"| `{secret.name}` | {_cell(secret.title)}: {_cell(secret.help)} | {needed} |")
    out += SCHEMA_SECTION
    out += [
        "",
        "## `mlops.toml` with these defaults",
        "",
        "`init` records the settings in the generated repository's `mlops.toml`; later commands read it back.",
        "",
        "```toml",
        dumps(spec).rstrip(),
        "```",
    ]
    return "\n".join(out).rstrip() + "\n"


PAGES = {
    ROOT / "docs" / "reference" / "cli.md": render,
    ROOT / "docs" / "reference" / "settings.md": render_settings,
}


if __name__ == "__main__":
    stale = []
    for path, make in PAGES.items():
        text = make()
        if "--check" in sys.argv:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"{', '.join(stale)} stale: run python docs/gen_reference.py", file=sys.stderr)
        sys.exit(1)
