#!/usr/bin/env python
"""The wall time of a long job that ran in sittings, read from its log's timestamps.

    python scripts/log_sittings.py results/cpu_claims.log            # gaps over 10 min split sittings
    python scripts/log_sittings.py results/cpu_claims.log --gap 5

Every line starting with a Hydra/logging timestamp (`[2026-12-01 09:49:21,104]`) counts; a
silence longer than `--gap` minutes between two such lines is a pause, not work. Prints one row
per sitting (start, end, minutes) and the total: the figure the protocol's README quotes.
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),\d+\]")


def stamps(text: str) -> list[datetime]:
    return [datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S") for m in map(STAMP.match, text.splitlines()) if m]


def sittings(times: list[datetime], gap_minutes: float) -> list[tuple[datetime, datetime]]:
    """Maximal runs of timestamps no more than `gap_minutes` apart, as (first, last) pairs."""
    out: list[tuple[datetime, datetime]] = []
    for t in sorted(times):
        if out and (t - out[-1][1]).total_seconds() <= gap_minutes * 60:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--gap", type=float, default=10.0, help="minutes of silence that end a sitting (default 10)")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        print(f"error: no log at {args.log}: give the file the job's output went to", file=sys.stderr)
        return 2
    spans = sittings(stamps(args.log.read_text(errors="replace")), args.gap)
    if not spans:
        print(f"error: {args.log} has no timestamped lines ([YYYY-MM-DD HH:MM:SS,mmm] ...)", file=sys.stderr)
        return 2
    total = 0.0
    print("| sitting | start | end | minutes |\n|---|---|---|---|")
    for i, (start, end) in enumerate(spans, 1):
        minutes = (end - start).total_seconds() / 60
        total += minutes
        print(f"| {i} | {start:%Y-%m-%d %H:%M:%S} | {end:%H:%M:%S} | {minutes:.1f} |")
    print(f"\ntotal: {total:.0f} min ({total / 60:.2f} h) in {len(spans)} sitting{'s' if len(spans) > 1 else ''} (gaps over {args.gap:g} min left out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
