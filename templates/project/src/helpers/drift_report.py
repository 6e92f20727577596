"""The drift check's report: Markdown (build/<branch>/drift.md, added to the GitHub job summary) and a
standalone HTML page (build/<branch>/drift.html, kept as the monitor workflow's artifact).

Every name and URI in them is text from data or configuration: escaped for Markdown and HTML alike.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Mapping

from src.helpers import report
from src.helpers.config import ROOT
from src.helpers.drift import DriftResult
from src.helpers.report import md_text as _md


def markdown(result: DriftResult) -> str:
    verdict = f"**drift** in {_md(', '.join(result.drifted))}" if result.drifted else "no drift"
    lines = [
        f"### Drift on {_md(result.branch)}: {verdict}",
        "",
        f"{_md(result.current_uri)} ({result.rows} rows) against {_md(result.reference)} "
        f"({result.reference_rows} training rows). A feature drifted when the KS test rejects one "
        f"distribution (p < {result.p_value:g} / {len(result.features)}) and it moved at least "
        f"{result.min_shift:g} training sd.",
        "",
        "| feature | KS p-value | moved (sd) | mean: training → now | verdict |",
        "|---|---:|---:|---|---|",
    ]
    for f in result.features:
        if f.note:
            lines.append(f"| {_md(f.name)} | | | | {_md(f.note)} |")
            continue
        verdict = "**drift**" if f.drifted else "ok"
        means = f"{f.reference_mean:.4g} → {f.current_mean:.4g}"
        lines.append(f"| {_md(f.name)} | {f.p_value:.3g} | {f.shift:.2f} | {means} | {verdict} |")
    if result.data:
        state = "**new data**" if result.data.new else "unchanged"
        lines += [
            "",
            f"Data {_md(result.data.uri)}: {state} (now {_md(result.data.now)}, model trained on "
            f"{_md(result.data.trained_on or 'unrecorded')}).",
        ]
    return "\n".join(lines) + "\n"


def html_report(result: DriftResult) -> str:
    rows = []
    for f in result.features:
        cells = (
            [f.name, "", "", "", f.note]
            if f.note
            else [
                f.name,
                f"{f.p_value:.3g}",
                f"{f.shift:.2f}",
                f"{f.reference_mean:.4g} → {f.current_mean:.4g}",
                "DRIFT" if f.drifted else "ok",
            ]
        )
        style = ' class="drift"' if f.drifted else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    data = ""
    if result.data:
        state = "new data" if result.data.new else "unchanged"
        data = (
            f"<p>Data {html.escape(result.data.uri)}: <b>{state}</b> (now {html.escape(result.data.now)}, "
            f"model trained on {html.escape(result.data.trained_on or 'unrecorded')}).</p>"
        )
    title = f"Drift on {result.branch}: " + (
        f"drift in {', '.join(result.drifted)}" if result.drifted else "no drift"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:4px 8px}}tr.drift{{background:#fde2e1}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(result.current_uri)} ({result.rows} rows) against {html.escape(result.reference)}
({result.reference_rows} training rows). A feature drifted when the Kolmogorov-Smirnov test rejects one
distribution (p &lt; {result.p_value:g} / {len(result.features)}) and its distribution moved at least
{result.min_shift:g} training standard deviations (Wasserstein distance).</p>
<table><tr><th>feature</th><th>KS p-value</th><th>moved (sd)</th><th>mean: training → now</th>
<th>verdict</th></tr>
{chr(10).join(rows)}
</table>{data}</body></html>
"""


def write_reports(result: DriftResult, env: Mapping[str, str] | None = None) -> Path:
    """build/<branch>/drift.md and drift.html; in GitHub Actions the Markdown joins the job summary and the
    verdict the step's outputs (drift, new_data, data_version)."""
    env = os.environ if env is None else env
    folder = ROOT / "build" / result.branch
    folder.mkdir(parents=True, exist_ok=True)
    text = markdown(result)
    (folder / "drift.md").write_text(text, encoding="utf-8")
    (folder / "drift.html").write_text(html_report(result), encoding="utf-8")
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    if env.get("GITHUB_OUTPUT"):
        outputs = {
            "drift": str(bool(result.drifted)).lower(),
            "new_data": str(result.new_data).lower(),
            "data_version": result.data.now if result.data else "",
        }
        outputs = {k: "".join(c for c in v if c.isprintable()) for k, v in outputs.items()}  # one line each
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.writelines(f"{k}={v}\n" for k, v in outputs.items())
    report.info("drift", f"report: {(folder / 'drift.html').relative_to(ROOT)} and drift.md")
    return folder
