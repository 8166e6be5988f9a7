"""The report step: turn a sweep folder into figures, tables, the papers' claims judged
against the numbers, and one HTML page. It reads only the files the runs wrote.

    python -m wgan_repro.report results/multirun/<sweep>
"""
from wgan_repro.report.collect import NoFinishedRun, ReportError

__all__ = ["build_report", "ReportError", "NoFinishedRun"]


def build_report(*args, **kwargs):
    """See wgan_repro.report.build.build_report (imported on use: Matplotlib is slow to load)."""
    from wgan_repro.report.build import build_report as _build

    return _build(*args, **kwargs)
