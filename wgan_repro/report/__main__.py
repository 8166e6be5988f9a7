"""`python -m wgan_repro.report SWEEP [--claims FILE]`: write SWEEP/report/ and print the path
of its index.html. Bad input is one line on stderr: exit 2 for a folder that is not a sweep
(or a bad claims file), 1 for a sweep with no finished run."""
from __future__ import annotations

import argparse
import sys

from wgan_repro.report.collect import NoFinishedRun, ReportError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wgan_repro.report",
                                     description="Build the report of a sweep folder into <sweep>/report/.")
    parser.add_argument("sweep", help="a sweep folder, e.g. results/multirun/<sweep>")
    parser.add_argument("--claims", default=None,
                        help="the claims and thresholds file (default: the report_claims.yaml shipped in wgan_repro/conf/)")
    args = parser.parse_args(argv)
    from wgan_repro.report.build import build_report

    try:
        index = build_report(args.sweep, args.claims)
    except NoFinishedRun as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
