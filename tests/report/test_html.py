"""index.html: the whole report, opened from disk; a headless Chromium checks its images load."""
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

from tests.report.fabricate import paper_sweep
from wgan_repro.report.build import build_report
from wgan_repro.report.claims import DEFAULT_CLAIMS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHECK = """<script>
window.addEventListener("load", function () {
  var rows = [];
  document.querySelectorAll("img").forEach(function (img) {
    rows.push(img.getAttribute("src") + " " + img.naturalWidth + " " + img.naturalHeight);
  });
  var out = document.createElement("pre");
  out.id = "image-check";
  out.textContent = rows.join("\\n");
  document.body.appendChild(out);
});
</script>
"""


def test_index_links_the_report_with_relative_paths(paper):
    _, runs, report = paper
    html = (report / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == ["curves.png", "loss_vs_quality.png", "samples.png"]
    assert all((report / s).is_file() for s in sources)
    for href in re.findall(r'href="([^"]+)"', html):
        assert not href.startswith(("/", "file:", "http")), href
    assert html.count('<tr class="ok">') == 6 and html.count('<tr class="na">') == 4
    assert "RuntimeError: CUDA out of memory" in html                      # the failed run, with its log
    assert "[ERROR] run diverged: non-finite loss at generator iteration 37" in html
    assert 'class="status-running"' in html and "Runs that did not finish" in html
    assert "42 ± 2.83" in html                                              # the seed table


def report_files_naming(report, text: str) -> list:
    """The report's files whose bytes contain `text`."""
    return [p.name for p in sorted(report.rglob("*")) if p.is_file() and text.encode() in p.read_bytes()]


def test_no_report_file_names_a_folder_of_this_machine(paper, tmp_path):
    sweep, _, report = paper
    assert report_files_naming(report, str(sweep.parent)) == []
    md = (report / "claims.md").read_text()
    assert "Sweep: `sweep`. Thresholds: `wgan_repro/conf/report_claims.yaml`." in md
    # a claims file given by its absolute path, and a run whose message and log name the sweep's path
    sweep = tmp_path / "sweep"
    paper_sweep(sweep)
    run = next(p for p in sweep.iterdir() if p.name.startswith("loss=gan,model=dcgan,"))
    (run / "status.json").write_text(json.dumps({"status": "failed", "iter": 20, "iters": 100,
                                                 "message": f"OSError: cannot write {run}/checkpoints/last.pt"}))
    (run / "run.log").write_text(f"[INFO] run folder {run}\nOSError: cannot write {run}/checkpoints/last.pt\n")
    claims = tmp_path / "elsewhere" / "my_claims.yaml"
    claims.parent.mkdir()
    shutil.copy(DEFAULT_CLAIMS, claims)
    report = build_report(sweep, claims).parent
    assert report_files_naming(report, str(tmp_path)) == []
    assert "Thresholds: `my_claims.yaml`" in (report / "claims.md").read_text()
    html = (report / "index.html").read_text()
    assert f"cannot write {run.name}/checkpoints/last.pt" in html and "my_claims.yaml" in html
    assert f"cannot write {run.name}/checkpoints/last.pt" in (report / "summary.csv").read_text()


def test_index_shows_the_critic_surface_for_2d_runs(points):
    _, _, report = points
    html = (report / "index.html").read_text()
    assert '<img src="critic.png"' in html and "exact W1" in html


def browser():
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


@pytest.mark.skipif(browser() is None, reason="no chromium binary on this machine (setup.sh installs Debian's "
                                              "chromium package with apt-get)")
@pytest.mark.parametrize("which", ["paper", "points"])
def test_headless_chromium_loads_every_image(request, tmp_path, which):
    _, _, report = request.getfixturevalue(which)
    page = report / "image-check.html"               # next to index.html, so relative paths resolve alike
    page.write_text((report / "index.html").read_text().replace("</body>", CHECK + "</body>"))
    try:
        proc = subprocess.run(
            [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=90)
    finally:
        page.unlink()
    found = re.search(r'<pre id="image-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no check output from chromium (rc {proc.returncode}): {proc.stderr[-2000:]}"
    rows = [line.split() for line in found.group(1).strip().splitlines()]
    expected = re.findall(r'<img src="([^"]+)"', (report / "index.html").read_text())
    assert [r[0] for r in rows] == expected and len(expected) >= 3
    for src, width, height in rows:
        with Image.open(report / src) as img:
            assert (int(width), int(height)) == img.size, src                # decoded at its real size
