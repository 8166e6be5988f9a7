"""index.html: the whole report on one page that opens from disk with no server (images by
relative path, styles inline)."""
from __future__ import annotations

import datetime
import re
from html import escape
from pathlib import Path
from typing import Optional
from urllib.parse import quote

import pandas as pd

from wgan_repro.report.claims import INCONCLUSIVE, NOT_REPRODUCED, NOT_TESTED, REPRODUCED, claims_name
from wgan_repro.report.collect import Sweep
from wgan_repro.report.tables import SUMMARY_NOTE, seed_cells, summary_cells

VERDICT_CLASS = {REPRODUCED: "ok", NOT_REPRODUCED: "bad", INCONCLUSIVE: "open", NOT_TESTED: "na"}
FIGURES = [
    ("curves.png", "Estimate and quality over training",
     "The critic's estimate (the one its objective names: the W-estimate of WGAN, the JS estimate log 2 + V/2 of the GAN) against generator "
     "iterations: faint raw, solid median-filtered; dashed on the right axis the quality metric (FID, or the exact "
     "W1 on 2-D sets). Rows: generator; columns: objective."),
    ("loss_vs_quality.png", "Estimate against quality",
     "The median-filtered estimate against FID (exact W1 on 2-D sets) at every evaluation point, coloured by "
     "training progress, with Spearman's rank correlation ρ. The WGAN paper's claim: the W-estimate falls with "
     "FID (ρ near +1), the JS estimate does not."),
    ("samples.png", "Final samples",
     "The final sample grid of each run (scatter over the real data for 2-D sets), real data on the left."),
    ("critic.png", "Critic value surfaces (2-D sets)",
     "The critic's value over the plane at the end of training, with real (black) and generated (orange) points."),
]
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1400px;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0} th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left} th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#e3f4e1} .bad{background:#fbe1e1} .open{background:#fdf3d7} .na{background:#f1f1f1;color:#555}
.status-diverged,.status-failed{color:#b00020;font-weight:600} .status-running{color:#c66a00;font-weight:600}
figure{margin:1em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#444;max-width:60em} pre{background:#f7f7f7;padding:.5em;overflow-x:auto;
font-size:.8em} .meta{color:#555;font-size:.9em} code{font-size:.9em}
"""


def _command_text(sweep: Sweep) -> str:
    """The sweep's command for the header; when it made only some of the runs (several commands
    filled the folder, and Hydra keeps only the last one's multirun.yaml), it says so."""
    if not sweep.command:
        return ""
    code = f"<code>python run.py -m {escape(sweep.relative(sweep.command))}</code>"
    made, total = sweep.command_runs, len(sweep.runs)
    if made is None or made == total:
        return f", command {code}"
    return (f"; the last command run into this folder (its multirun.yaml) made {made} of its {total} runs, "
            f"other commands the rest: {code}")


def write_html(out: Path, sweep: Sweep, summary: pd.DataFrame, seeds: Optional[pd.DataFrame], results: list,
               claims_path: Path) -> Path:
    """Write out/index.html from the tables and the figures present in `out`."""
    counts = ", ".join(f"{n} {s}" for s, n in sweep.counts().items())
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>WGAN reproduction report: {escape(sweep.path.name)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>WGAN reproduction report: {escape(sweep.path.name)}</h1>",
        f'<p class="meta">Sweep <code>{escape(sweep.path.resolve().name)}</code>'
        + _command_text(sweep)
        + f". {len(sweep.runs)} runs: {escape(counts)}. Built {datetime.datetime.now():%Y-%m-%d %H:%M}. "
        'Files: <a href="summary.csv">summary.csv</a>, <a href="summary.md">summary.md</a>, '
        '<a href="claims.md">claims.md</a>, <a href="claims.json">claims.json</a>'
        + (', <a href="summary_seeds.csv">summary_seeds.csv</a>' if seeds is not None else "") + ".</p>",
        "<h2>The papers' claims</h2>",
        f'<p class="meta">Thresholds from <code>{escape(claims_name(claims_path, sweep.path))}</code>; a claim is '
        "reproduced when every condition passes, not reproduced when one fails, inconclusive when conditions fail but "
        "every failure rests on a run still improving at its end (towards passing), not tested when a condition has "
        "no run or no number. A flag such as (1 seed) marks a claim judged somewhere on fewer seeds than "
        "settings.min_seeds.</p>",
        _claims_table(results),
        "<h2>Runs</h2>", f'<p class="meta">{escape(SUMMARY_NOTE)}</p>', _table(*summary_cells(summary), status_col=True),
    ]
    if seeds is not None:
        parts += ["<h3>Mean ± std over seeds</h3>", _table(*seed_cells(summary, seeds))]
    for name, title, caption in FIGURES:
        if (out / name).exists():
            parts += [f"<h2>{escape(title)}</h2>",
                      f'<figure><img src="{name}" alt="{escape(title)}"><figcaption>{escape(caption)}</figcaption></figure>']
    parts += _unfinished(sweep)
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _claims_table(results: list) -> str:
    rows = ["<table><tr><th>claim</th><th>source</th><th>number that tests it</th><th>threshold</th>"
            "<th>verdict</th></tr>"]
    for r in results:
        numbers = "<br>".join(escape(c.short()) for c in r.conditions)
        beside = [f"{escape(c.beside['runs'])}: {escape(c.beside['numbers'] or c.beside['reason'])} ({c.beside['outcome']})"
                  for c in r.conditions if c.beside]
        if beside:
            numbers += "<br><i>beside, not judged: " + "; ".join(beside) + "</i>"
        thresholds = "<br>".join(escape(c.text) for c in r.conditions)
        rows.append(f'<tr class="{VERDICT_CLASS[r.verdict]}"><td>{escape(r.claim)}</td><td>{escape(r.source)}</td>'
                    f"<td>{numbers}</td><td>{thresholds}</td><td><b>{escape(r.verdict)}</b>"
                    + (f" ({escape(r.flag)})" if r.flag else "") + (f": {escape(r.note)}" if r.note else "")
                    + "</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


# a run's link to its folder beside the report; report.publish reads links back with RUN_LINK
RUN_LINK = re.compile(r'<a href="\.\./([^"/]+)/">(.*?)</a>')


def run_link(folder: str, text: str) -> str:
    return f'<a href="../{quote(folder)}/">{text}</a>'


def _table(header: list, rows: list, status_col: bool = False) -> str:
    status_at = header.index("status") if status_col and "status" in header else None
    lines = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for k, cell in enumerate(row):
            text = escape(str(cell))
            if k == status_at:
                state = str(cell).split(":")[0]
                cells.append(f'<td class="status-{escape(state)}">{text}</td>')
            elif k == 0 and status_col:
                cells.append(f"<td>{run_link(str(cell), text)}</td>")
            else:
                cells.append(f'<td class="num">{text}</td>' if _is_number(cell) else f"<td>{text}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _is_number(cell) -> bool:
    try:
        float(str(cell).split(" ")[0])
        return True
    except ValueError:
        return False


def _unfinished(sweep: Sweep) -> list:
    runs = [r for r in sweep.runs if not r.finished]
    if not runs:
        return []
    parts = ["<h2>Runs that did not finish</h2>"]
    for run in runs:
        where = f"at iteration {run.iter}" + (f" of {run.iters}" if run.iters else "") if run.iter is not None else ""
        parts.append(f'<h3><span class="status-{escape(run.status)}">{escape(run.status)}</span> '
                     f"{escape(run.name)} {escape(where)}</h3>")
        if run.message:
            parts.append(f"<p>{escape(sweep.relative(run.message))}</p>")
        if run.notes:
            parts.append(f"<p>{escape(sweep.relative('; '.join(run.notes)))}</p>")
        if run.log_tail:
            tail = sweep.relative(chr(10).join(run.log_tail))
            parts.append(f"<p class=\"meta\">last lines of run.log:</p><pre>{escape(tail)}</pre>")
    return parts
