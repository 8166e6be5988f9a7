"""Build a sweep's report/ folder: read the runs, judge the claims, draw the figures, write
the tables and index.html. Written to a temporary folder first, then swapped in, so a report
that fails halfway leaves the previous one (and the runs) untouched."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Optional

from wgan_repro.report.claims import DEFAULT_CLAIMS, judge, load_config, selector_keys, write_claims
from wgan_repro.report.collect import REPORT_DIR, NoFinishedRun, ReportError, Sweep, load_sweep
from wgan_repro.report.figures import Grid, plot_critic_surfaces, plot_curves, plot_loss_vs_quality, plot_samples
from wgan_repro.report.html import write_html
from wgan_repro.report.tables import seed_table, summary_table, write_tables

log = logging.getLogger(__name__)


def build_report(sweep_dir, claims_file: Optional[Path] = None) -> Path:
    """Write `<sweep_dir>/report/` and return its index.html; ReportError for bad input."""
    sweep = load_sweep(sweep_dir)
    if not any(run.finished for run in sweep.runs):
        raise NoFinishedRun(no_finished_message(sweep))
    claims_path = Path(claims_file) if claims_file else DEFAULT_CLAIMS
    settings, claims = load_config(claims_path)
    summary = summary_table(sweep, settings, selector_keys(claims))
    seeds = seed_table(summary)
    results = judge(claims, summary, settings)

    final = sweep.path / REPORT_DIR
    if final.exists() and not final.is_dir():
        raise ReportError(f"{final} exists and is not a folder: move it away, then build the report again")
    tmp = sweep.path / f".{REPORT_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
    except OSError as err:
        raise ReportError(f"cannot write in {sweep.path} ({err.strerror}): make it writable") from None
    try:
        write_tables(tmp, summary, seeds)
        write_claims(tmp, results, sweep.path, claims_path)
        grid = Grid(sweep.runs)
        plot_curves(grid, settings, tmp / "curves.png")
        plot_loss_vs_quality(grid, settings, tmp / "loss_vs_quality.png")
        plot_samples(grid, tmp / "samples.png")
        plot_critic_surfaces(grid, tmp / "critic.png")
        write_html(tmp, sweep, summary, seeds, results, claims_path)
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / "index.html"


def no_finished_message(sweep: Sweep) -> str:
    """Why there is nothing to report, in one line. Running or failed runs resume when the sweep's
    command runs again; diverged ones would only diverge again, so they get no such advice."""
    counts = ", ".join(f"{n} {s}" for s, n in sweep.counts().items())
    diverged = [run for run in sweep.runs if run.status == "diverged"]
    if len(diverged) == len(sweep.runs):
        iters = [str(run.iter) if run.iter is not None else "?" for run in diverged]
        where = _and(iters if len(iters) <= 8 else [*iters[:7], f"{len(iters) - 7} more"])
        return (f"no finished run in {sweep.path}: all {len(diverged)} runs diverged (at generator iteration"
                f"{'s' if len(diverged) > 1 else ''} {where}; {sweep.path}/*/status.json says why): re-running the "
                "same command would diverge again, so change the settings (e.g. a lower loss.optim.lr) in a new sweep")
    also = (f", but the {len(diverged)} diverged would only diverge again: see their status.json" if diverged else "")
    return (f"no finished run in {sweep.path} ({counts}): nothing to compare yet. Let the runs finish (re-running "
            f"the sweep's command resumes them{also}), then run `python -m wgan_repro.report {sweep.path}`")


def _and(items: list) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
