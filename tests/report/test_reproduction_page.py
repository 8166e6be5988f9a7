"""The reproduction's one page (index.html and reproduction.md) built from a fabricated
reproduction folder: parts.json, the five theory runs and a copy of a fabricated sweep's
report as claims/report/."""
import json
import re
import subprocess
import sys

import pytest

from tests.report.fabricate_theory import TASKS, reproduction
from tests.report.test_html import CHECK, browser
from wgan_repro.report import reproduction as page_module
from wgan_repro.report.collect import ReportError
from wgan_repro.report.reproduction import SECTIONS, build_page, main
from wgan_repro.report.theory_claims import claim_tasks

LABELS = ("reproduced", "not reproduced", "inconclusive", "not tested")
ROW = re.compile(r'<tr id="claim-([^"]+)" class="(\w+)">(.*?)</tr>', re.S)
VERDICT = re.compile(r'<td class="verdict"><b>([^<]+)</b>([^<]*)</td><td>([^<]*)</td>')


@pytest.fixture(scope="module")
def repro(paper, tmp_path_factory):
    """A finished reproduction: every part done, the sweep's report the fabricated paper sweep's."""
    _, _, report = paper
    folder = reproduction(tmp_path_factory.mktemp("repro") / "cpu", report)
    build_page(folder)
    return folder


def claim_rows(html: str) -> dict:
    """{claim id: (row class, verdict label, text after it, seeds cell)} of the top table."""
    rows = {}
    for claim, css, cells in ROW.findall(html):
        found = VERDICT.search(cells)
        assert found, cells
        rows[claim] = (css, *found.groups())
    return rows


def sweep_verdicts(repro) -> dict:
    return {r["id"]: r["verdict"] for r in json.loads((repro / "claims" / "report" / "claims.json").read_text())}


def section_html(html: str, key: str) -> str:
    start = html.index(f'<h2 id="{key}">')
    end = html.find("<h2 ", start + 1)
    return html[start:end if end > 0 else None]


# --------------------------------------------------------------------------- content
def test_every_claim_has_a_verdict_cell(repro):
    html = (repro / "index.html").read_text()
    rows = claim_rows(html)
    sweep = sweep_verdicts(repro)
    assert set(rows) == set(claim_tasks()) | set(sweep) and len(rows) == 14 + 10
    for claim, (css, label, _, seeds) in rows.items():
        assert label in LABELS
        if claim in sweep:
            assert label == sweep[claim].replace(" by this sweep", "")
            assert seeds in ("", "1 seed (fewer than settings.min_seeds)", "2 seeds (fewer than settings.min_seeds)")
        else:
            assert (label, seeds, css) == ("reproduced", "1 run", "ok")
    # the papers' order: WGAN's theory figures, its sweep figures, then Towards Principled
    order = list(rows)
    assert order.index("clipping_large_c_explodes") < order.index("wgan_estimate_tracks_fid")
    assert order.index("gan_drops_modes_2d") < order.index("fresh_discriminator_reaches_accuracy_1")
    assert order[-1] == "instance_noise_keeps_gradient"


def test_the_sections_follow_the_papers_and_each_has_its_figure_statement_and_command(repro):
    html = (repro / "index.html").read_text()
    ids = re.findall(r'<h2 id="([^"]+)">', html)
    assert ids == [s.key for s in SECTIONS]
    parts = {p["name"]: p for p in json.loads((repro / "parts.json").read_text())["parts"]}
    for section in SECTIONS:
        text = section_html(html, section.key)
        assert "<b>The paper:</b>" in text and "<img src=" in text
        for command in parts[section.part]["commands"]:
            assert f"<pre>{command}</pre>" in text
        for claim in [k for k, t in claim_tasks().items() if t in section.tasks] + list(section.claims):
            assert f'id="row-{claim}"' in text
    assert '<img src="theory/parallel_lines/figure.png"' in section_html(html, "wgan-example-1")
    assert "<b>Our numbers:</b> the parallel_lines finding" in html
    assert '<img src="claims/report/curves.png"' in section_html(html, "wgan-figs-3-4")
    assert 'href="claims/report/index.html"' in html


def test_the_header_names_commit_torch_device_and_each_parts_status_and_wall_time(repro):
    html = (repro / "index.html").read_text()
    assert "Commit <code>0123abcd</code>, torch 2.14.1, device cpu: AMD EPYC (2 cores)." in html
    assert "Started 2023-11-14 22:13 UTC" in html
    assert '<td>parallel_lines</td><td>theory</td><td class="ok">finished</td><td class="num">30 s</td>' in html
    assert '<td>claims</td><td>sweep</td><td class="ok">finished</td><td class="num">1 h 30 min</td>' in html
    md = (repro / "reproduction.md").read_text()
    assert "Commit `0123abcd`, torch 2.14.1" in md and "| claims | sweep | finished | 1 h 30 min | claims |" in md


def test_every_image_exists_and_every_link_is_relative(repro):
    html = (repro / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) >= 9 and all((repro / s).is_file() for s in sources)
    assert "critic.png" not in html                       # the sweep has no 2-D run: no surface to show
    for href in re.findall(r'href="([^"]+)"', html):
        assert not href.startswith(("/", "file:", "http")), href
        assert href.startswith("#") or (repro / href).exists(), href
    md = (repro / "reproduction.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert sorted(set(images)) == sorted(set(sources)) and all((repro / s).is_file() for s in images)
    assert md.count("| **") == 2 * len(claim_rows(html))  # once at the top, once in its section


def files_naming(folder, text: str) -> list:
    return [str(p.relative_to(folder)) for p in sorted(folder.rglob("*")) if p.is_file() and text.encode() in p.read_bytes()]


def test_no_file_names_a_folder_of_this_machine(paper, tmp_path, tmp_path_factory):
    _, _, report = paper
    repro = reproduction(tmp_path / "cpu", report)
    data = json.loads((repro / "parts.json").read_text())
    data["parts"][0]["commands"] = [f"python run.py experiment=parallel_lines hydra.run.dir={repro}/theory/parallel_lines"]
    data["device"] = f"cpu (cache {repro.resolve()}/cache)"
    (repro / "parts.json").write_text(json.dumps(data))
    build_page(repro)
    base = str(tmp_path_factory.getbasetemp())
    assert files_naming(repro, base) == ["parts.json"]     # only the input names it; the page does not
    html = (repro / "index.html").read_text()
    assert "hydra.run.dir=cpu/theory/parallel_lines" in html and "cache cpu/cache" in html


# --------------------------------------------------------------------------- parts not finished
def test_running_and_pending_parts_show_as_such_and_their_claims_are_not_tested(paper, tmp_path):
    _, _, report = paper
    statuses = {"instance_noise": "running", "critic_surface": "pending", "claims": "running"}
    repro = reproduction(tmp_path / "cpu", report, statuses=statuses)
    html = build_page(repro).read_text()
    rows = claim_rows(html)
    tasks = claim_tasks()
    for claim, (css, label, note, _) in rows.items():
        task = tasks.get(claim, "claims")
        if task in statuses:
            assert (css, label) == ("na", "not tested"), claim
        else:
            assert label == "reproduced" and task != "claims"
    # the running theory run's folder still holds an old, passing summary: it is not judged
    assert rows["instance_noise_keeps_gradient"][2] == ": the instance_noise run is running"
    assert rows["clipping_small_c_vanishes"][2] == ": the critic_surface run is pending"
    assert "no finished run with task=critic_surface (1 pending)" in html
    assert rows["dcgan_both_work"][2] == ": the claims part is running: its report holds the runs finished so far"
    assert '<td class="open">running</td>' in html and '<td class="na">pending</td>' in html
    assert "<td>theory/critic_surface</td>" in html          # not started: no folder, so no link
    assert all(h.startswith("#") or (repro / h).exists() for h in re.findall(r'href="([^"]+)"', html))
    noise = section_html(html, "tp-sec-3")
    assert "<img" not in noise and "no figure: the instance_noise part is running" in noise
    assert 'status-running">running</span>' in noise
    curves = section_html(html, "wgan-figs-3-4")          # the sweep's partial report is shown, marked
    assert '<img src="claims/report/curves.png"' in curves and "drawn while the claims part was running" in curves


def test_a_sweep_without_its_report_yet_lists_its_claims_as_not_tested(tmp_path):
    repro = reproduction(tmp_path / "cpu", None, statuses={"claims": "pending"})
    html = build_page(repro).read_text()
    rows = claim_rows(html)
    sweep = [k for k in rows if k not in claim_tasks()]
    assert len(sweep) == 10 and all(rows[k][1] == "not tested" for k in sweep)
    assert "no claims/report/claims.json: the claims part is pending" in rows[sweep[0]][2]
    assert "no figure yet: the claims part is pending" in section_html(html, "wgan-figs-5-7")


def test_a_missing_theory_run_is_not_tested_and_the_2d_report_shows_its_critic(points, tmp_path):
    _, _, report = points
    repro = reproduction(tmp_path / "cpu", report, skip=["optimal_critic"])
    html = build_page(repro).read_text()
    rows = claim_rows(html)
    assert rows["optimal_critic_is_linear"][1] == "not tested"
    assert "no run with task=optimal_critic in theory/" in html
    assert "no figure: theory/optimal_critic/ holds no finished run" in section_html(html, "wgan-fig-2")
    assert '<img src="claims/report/critic.png"' in section_html(html, "wgan-sec-4-3")
    assert rows["gan_drops_modes_2d"][1] == "reproduced"


# --------------------------------------------------------------------------- writing, errors, command
def test_the_page_is_written_atomically(repro, monkeypatch):
    before = (repro / "index.html").read_text()

    def broken(_):
        raise RuntimeError("half-way")

    monkeypatch.setattr(page_module, "page_html", broken)
    with pytest.raises(RuntimeError):
        build_page(repro)
    assert (repro / "index.html").read_text() == before
    assert not [p.name for p in repro.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("setup, message", [
    (lambda r: None, "has no parts.json: pass a reproduction folder written by"),
    (lambda r: (r / "parts.json").write_text("{"), "is not a parts file"),
    (lambda r: (r / "parts.json").write_text(json.dumps({"parts": [{"name": "x"}]})),
     "each part needs name, kind, folder and status"),
    (lambda r: (r / "parts.json").write_text(json.dumps(
        {"parts": [{"name": "x", "kind": "theory", "folder": "/abs/x", "status": "finished"}]})),
     "must be a path inside the reproduction folder"),
])
def test_a_folder_that_is_not_a_reproduction_is_one_line(tmp_path, capsys, setup, message):
    folder = tmp_path / "cpu"
    folder.mkdir()
    setup(folder)
    with pytest.raises(ReportError, match=message):
        build_page(folder)
    assert main([str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_the_module_command_rebuilds_the_page(repro):
    (repro / "index.html").unlink()
    proc = subprocess.run([sys.executable, "-m", "wgan_repro.report.reproduction", str(repro)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"page: {repro / 'index.html'}" and (repro / "index.html").is_file()


# --------------------------------------------------------------------------- in a browser
ERRORS = """<script>
window.pageErrors = [];
window.addEventListener("error", function (e) {
  window.pageErrors.push(e.target && e.target.src ? "failed to load " + e.target.src : String(e.message));
}, true);
window.addEventListener("load", function () {
  var out = document.createElement("pre");
  out.id = "error-check";
  out.textContent = window.pageErrors.join("\\n");
  document.body.appendChild(out);
});
</script>
"""


@pytest.mark.skipif(browser() is None, reason="no chromium binary on this machine (setup.sh installs Debian's "
                                              "chromium package with apt-get)")
def test_headless_chromium_loads_every_image_without_a_console_error(repro, tmp_path):
    from PIL import Image

    page = repro / "image-check.html"               # next to index.html, so relative paths resolve alike
    html = (repro / "index.html").read_text()
    page.write_text(html.replace("<style>", ERRORS + "<style>", 1).replace("</body>", CHECK + "</body>"))
    try:
        proc = subprocess.run(
            [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
             page.as_uri()], capture_output=True, text=True, timeout=90)
    finally:
        page.unlink()
    found = re.search(r'<pre id="image-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no check output from chromium (rc {proc.returncode}): {proc.stderr[-2000:]}"
    rows = [line.split() for line in found.group(1).strip().splitlines()]
    expected = re.findall(r'<img src="([^"]+)"', html)
    assert [r[0] for r in rows] == expected and len(expected) >= 9
    for src, width, height in rows:
        with Image.open(repro / src) as img:
            assert (int(width), int(height)) == img.size, src                # decoded at its real size
    errors = re.search(r'<pre id="error-check">(.*?)</pre>', proc.stdout, re.S)
    assert errors and errors.group(1).strip() == "", errors.group(1) if errors else proc.stdout[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert sorted(TASKS) == sorted(s.part for s in SECTIONS if s.part != "claims")


def test_a_claim_no_section_names_goes_to_other_claims(paper, tmp_path):
    _, _, report = paper
    repro = reproduction(tmp_path / "cpu", report)
    path = repro / "claims" / "report" / "claims.json"
    results = json.loads(path.read_text())
    results.append({**results[0], "id": "my_own_claim", "claim": "A claim of my own claims file."})
    path.write_text(json.dumps(results))
    html = build_page(repro).read_text()
    assert list(claim_rows(html))[-1] == "my_own_claim"
    assert re.findall(r'<h2 id="([^"]+)">', html)[-1] == "other"
    assert 'id="row-my_own_claim"' in section_html(html, "other")
