"""publish: a report copied for docs/ keeps no link to a run folder left behind, and its big
figures become small enough for git."""
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image

from wgan_repro.report.publish import publish, shrink_png


def _targets(page: Path) -> list[str]:
    return [t for t in re.findall(r'href="([^"]+)"', page.read_text()) if not t.startswith(("#", "http"))]


def test_a_published_report_has_no_dead_link_and_keeps_every_run_name(paper, tmp_path):
    sweep, runs, report = paper
    run_links = [t for t in _targets(report / "index.html") if t.startswith("../")]
    assert len(run_links) == len(runs)             # the source links every run to its folder
    dest = tmp_path / "docs" / "sweep" / "report"
    changes = publish(report, dest)
    assert changes["run_links_made_plain_text"] == len(runs)
    page = (dest / "index.html").read_text()
    for target in _targets(dest / "index.html"):
        assert (dest / target).exists(), target
    for run in runs.values():
        assert Path(run).name in page             # the run's name is still there, as text
    assert json.loads((dest / "published.json").read_text()) == changes
    # a run folder that is beside the copy keeps its link
    kept = Path(next(iter(runs.values()))).name
    shutil.copytree(sweep / kept, dest.parent / kept)
    assert publish(report, dest)["run_links_made_plain_text"] == len(runs) - 1
    assert f'href="../{quote(kept)}/"' in (dest / "index.html").read_text()


def test_a_big_png_is_shrunk_under_the_limit_and_a_small_one_left_as_it_is(tmp_path):
    rng = np.random.default_rng(0)
    big, small = tmp_path / "big.png", tmp_path / "small.png"
    Image.fromarray(rng.integers(0, 255, (1200, 1200, 3), dtype=np.uint8)).save(big)   # noise: ~4.3 MB
    Image.fromarray(np.zeros((50, 50, 3), np.uint8)).save(small)
    assert big.stat().st_size > 2e6
    how = shrink_png(big, 1_000_000)
    assert big.stat().st_size <= 1_000_000 and "64-colour palette" in how and "half size" in how
    with Image.open(big) as image:
        assert image.size == (600, 600)
    before = small.read_bytes()
    assert shrink_png(small, 1_000_000) == "" and small.read_bytes() == before


def test_bad_input_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match="has no index.html: give a sweep's report folder"):
        publish(tmp_path, tmp_path / "out")
