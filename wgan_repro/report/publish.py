"""`python -m wgan_repro.report.publish SWEEP/report DEST [--max-png-mb 1]`: a sweep's report
copied for git (docs/...), its pages' links to the run folders turned into plain text and its
largest figures made small enough to commit.

A report's index.html links every run to its folder beside the report (`../<run>/`), which is
right inside results/ but broken in a copy that leaves the runs behind (checkpoints and sample
files are far too big for git). The copy keeps a link whose target exists beside DEST and turns
the others into their text, so a reader of the committed page meets no dead link. A PNG over
--max-png-mb (a sample grid of many runs reaches several MB) is stored with a 64-colour palette,
and at half its size if that is not enough; DEST/published.json lists what was changed. Every
other file is copied as it is; an existing DEST is replaced.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote

from wgan_repro.report.html import RUN_LINK


def unlink_missing_runs(html: str, base: Path) -> tuple[str, int]:
    """`html` with each `../<run>/` link whose folder is not under `base` replaced by its text;
    and how many were replaced."""
    dropped = 0

    def replace(match) -> str:
        nonlocal dropped
        if (base / unquote(match.group(1))).is_dir():
            return match.group(0)
        dropped += 1
        return match.group(2)

    return RUN_LINK.sub(replace, html), dropped


PALETTE_COLOURS = 64
PUBLISHED_FILE = "published.json"


def shrink_png(path: Path, max_bytes: int) -> str:
    """Make the PNG at `path` at most `max_bytes` if it is larger: a palette first, then half size
    (at most three halvings). Returns what was done ('' when nothing was needed)."""
    from PIL import Image

    if path.stat().st_size <= max_bytes:
        return ""
    with Image.open(path) as image:
        image = image.convert("RGB")
    done, halvings = f"{PALETTE_COLOURS}-colour palette", 0
    while True:
        image.quantize(colors=PALETTE_COLOURS).save(path, optimize=True)
        if path.stat().st_size <= max_bytes or halvings == 3:
            break
        image = image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.LANCZOS)
        halvings += 1
    size = {0: "", 1: ", half size", 2: ", quarter size", 3: ", an eighth of its size"}[halvings]
    return done + size


def publish(report: Path, dest: Path, max_png_mb: float = 1.0) -> dict:
    """Copy `report` to `dest`, the run links that would dangle there removed and every PNG over
    `max_png_mb` shrunk; what was changed (also written to dest/published.json)."""
    report, dest = Path(report), Path(dest)
    if not (report / "index.html").is_file():
        raise SystemExit(f"error: {report} has no index.html: give a sweep's report folder "
                         f"(python -m wgan_repro.report SWEEP writes SWEEP/report)")
    if dest.resolve() == report.resolve():
        raise SystemExit(f"error: {dest} is the report itself: give another folder (e.g. docs/<name>/report)")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(report, dest)
    dropped = 0
    for page in dest.glob("*.html"):
        text, n = unlink_missing_runs(page.read_text(), dest.parent)
        page.write_text(text)
        dropped += n
    shrunk = {}
    for png in sorted(dest.glob("*.png")):
        before = png.stat().st_size
        how = shrink_png(png, int(max_png_mb * 1e6))
        if how:
            shrunk[png.name] = f"{how} ({before / 1e6:.2f} MB -> {png.stat().st_size / 1e6:.2f} MB)"
    changes = {"run_links_made_plain_text": dropped, "figures_shrunk": shrunk}
    (dest / PUBLISHED_FILE).write_text(json.dumps(changes, indent=2) + "\n")
    return changes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wgan_repro.report.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", help="a sweep's report folder, e.g. results/multirun/cpu_claims/report")
    parser.add_argument("dest", help="where the copy goes, e.g. docs/cpu_claims/report (replaced if it exists)")
    parser.add_argument("--max-png-mb", type=float, default=1.0, help="shrink a PNG larger than this (default 1)")
    args = parser.parse_args(argv)
    if args.max_png_mb <= 0:
        raise SystemExit(f"error: --max-png-mb must be positive, not {args.max_png_mb}")
    changes = publish(Path(args.report), Path(args.dest), args.max_png_mb)
    print(f"published {args.report} to {args.dest}: {changes['run_links_made_plain_text']} links to run folders "
          f"made plain text, {len(changes['figures_shrunk'])} figures shrunk ({args.dest}/{PUBLISHED_FILE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
