"""`python -m wgan_repro.reproduce`: the plan of parts, and the whole command end to end at smoke
size (every part runs, the page judges every claim), killed and resumed."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wgan_repro import reproduce
from wgan_repro.run_files import read_json


def test_the_plan_runs_the_theory_in_the_papers_order_then_the_claims_sweeps(tmp_path):
    spec = reproduce.load_scale("cpu")
    parts = reproduce.plan(spec, tmp_path, ["out_dir=x"])
    assert [p["name"] for p in parts] == [*reproduce.THEORY_ORDER, "claims"]
    theory = parts[0]["argv"][0]
    assert theory[-2:] == ["out_dir=x", f"hydra.run.dir={tmp_path}/theory/parallel_lines"]
    sweeps = parts[-1]["argv"]
    assert len(sweeps) == len(spec["sweeps"]) and all(a[3] == "-m" and a[-1] == f"hydra.sweep.dir={tmp_path}/claims" for a in sweeps)
    assert reproduce.shown(sweeps[0], tmp_path).startswith("python run.py -m " + " ".join(spec["sweeps"][0]))
    assert str(tmp_path) not in reproduce.shown(sweeps[0], tmp_path)


def test_the_cpu_scale_queues_its_sweeps_one_thread_each_and_builds_the_report_once_at_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce.os, "cpu_count", lambda: 4)
    part = reproduce.plan(reproduce.load_scale("cpu"), tmp_path, [])[-1]
    assert part["workers"] == 4
    for argv in part["argv"]:
        assert {"hydra/launcher=basic", "train.threads=1", "hydra.callbacks.report.enabled=false"} <= set(argv)
    assert part["after"] == [[sys.executable, "-m", "wgan_repro.report", str(tmp_path / "claims")]]
    assert reproduce.shown(part["after"][0], tmp_path).startswith("python -m wgan_repro.report ")
    single = reproduce.plan({"sweeps": [["experiment=smoke"]]}, tmp_path, [])[-1]
    assert single["workers"] == 1 and single["after"] == [] and "train.threads=1" not in single["argv"][0]
    with pytest.raises(SystemExit, match=r"sweep_workers must be a positive integer or 'cores', not 0"):
        reproduce.plan({"sweeps": [["experiment=smoke"]], "sweep_workers": 0}, tmp_path, [])


def _waits_for(mine: Path, other: Path) -> list[str]:
    """A command that marks itself started, then exits 0 only if `other` starts within 60 s."""
    code = (f"import pathlib, sys, time; pathlib.Path({str(mine)!r}).touch(); end = time.time() + 60\n"
            f"while not pathlib.Path({str(other)!r}).exists():\n"
            f"    time.sleep(0.05)\n    if time.time() > end: sys.exit(3)")
    return [sys.executable, "-c", code]


def test_queued_commands_run_side_by_side_and_a_failure_stops_only_a_single_worker(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    # each waits for the other to start: only two workers at once can finish them
    assert reproduce.run_commands([_waits_for(a, b), _waits_for(b, a)], 2, "t")
    fail, marker = [sys.executable, "-c", "raise SystemExit(2)"], tmp_path / "ran"
    after = [sys.executable, "-c", f"import pathlib; pathlib.Path({str(marker)!r}).touch()"]
    assert not reproduce.run_commands([fail, after], 1, "t") and not marker.exists()
    assert not reproduce.run_commands([fail, after], 2, "t") and marker.exists()


def test_every_scale_names_known_experiments_and_an_unknown_scale_is_one_line():
    assert {"cpu", "paper", "smoke"} <= set(reproduce.scales())
    for scale in reproduce.scales():
        assert set(reproduce.load_scale(scale)["theory"]) == set(reproduce.THEORY_ORDER)
    with pytest.raises(SystemExit, match=r"unknown scale 'huge': valid scales are cpu, paper, smoke"):
        reproduce.load_scale("huge")


def _reproduce(out: Path, cache: Path):
    """The command as a user types it in `out`'s parent folder (relative paths, as on the page)."""
    cmd = [sys.executable, "-m", "wgan_repro.reproduce", "--scale", "smoke", "--out", out.name,
           f"out_dir={os.path.relpath(cache, out.parent)}"]
    return subprocess.Popen(cmd, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _numbers(out: Path) -> dict:
    """Every theory summary's numbers and every claim's verdict and numbers."""
    result = {}
    for summary in sorted((out / "theory").glob("*/summary.json")):
        data = json.loads(summary.read_text())
        result[summary.parent.name] = {k: v for k, v in data.items() if k not in ("wall_time", "finding")}
    for claim in json.loads((out / "claims.json").read_text()):
        result[claim["id"]] = (claim["verdict"], [c["numbers"] for c in claim["conditions"]])
    return result


@pytest.fixture(scope="module")
def smoke_reproduction(tmp_path_factory):
    base = tmp_path_factory.mktemp("reproduction")
    proc = _reproduce(base / "out", base / "cache")
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output[-3000:]
    return base, output


def test_the_whole_command_runs_every_part_and_judges_every_claim(smoke_reproduction):
    base, output = smoke_reproduction
    out = base / "out"
    parts = read_json(out / "parts.json")
    assert [p["name"] for p in parts["parts"]] == [*reproduce.THEORY_ORDER, "claims"]
    assert all(p["status"] == "finished" and p["wall_time"] > 0 for p in parts["parts"])
    assert "reproduction: 6 of 6 parts finished" in output
    claims = json.loads((out / "claims.json").read_text())
    assert len(claims) >= 16 and all(c["verdict"] for c in claims)
    html = (out / "index.html").read_text()
    for claim in claims:
        assert claim["id"] in html or claim["claim"] in html
    for src in __import__("re").findall(r'src="([^"]+)"', html):
        assert (out / src).exists(), src
    assert str(base) not in html and str(base) not in (out / "reproduction.md").read_text()


@pytest.mark.slow
def test_a_killed_reproduction_resumes_and_redoes_only_the_interrupted_part(smoke_reproduction, tmp_path):
    reference, _ = smoke_reproduction
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = _reproduce(out, cache)
    # kill at a random moment after the first part finished
    deadline = time.monotonic() + 600
    while not (out / "theory" / "parallel_lines" / "summary.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(random.Random().uniform(0, 20))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.parent.name: p.stat().st_mtime_ns for p in (out / "theory").glob("*/summary.json")}
    again = _reproduce(out, cache)
    output, _ = again.communicate(timeout=900)
    assert again.returncode == 0, output[-3000:]
    for name, mtime in before.items():         # what finished before the kill was not redone
        assert (out / "theory" / name / "summary.json").stat().st_mtime_ns == mtime, name
        assert f"{name}: finished before, skipped" in output
    assert _numbers(out) == _numbers(reference / "out")


def test_a_running_parts_wall_time_reaches_parts_json_while_it_runs(tmp_path):
    from wgan_repro.reproduce import Manifest, PartClock

    part = {"name": "p", "kind": "theory", "folder": "theory/p", "argv": [["true"]]}
    manifest = Manifest(tmp_path, "smoke", [part])
    entry = manifest.part("p")
    entry["wall_time"] = 100.0                        # an earlier sitting's time is kept and added to
    clock = PartClock(manifest, entry, every=0.05)
    began = time.monotonic()
    clock.start()
    try:
        deadline = began + 30
        while read_json(tmp_path / "parts.json")["parts"][0]["wall_time"] < 100.1:   # a kill now keeps this
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        clock.stop()
    final = read_json(tmp_path / "parts.json")["parts"][0]["wall_time"]
    assert 100.1 <= final <= 100.0 + (time.monotonic() - began) + 0.1     # rounded to 0.1 s


def test_a_part_whose_runs_changed_starts_anew_and_a_resumed_one_keeps_its_time(tmp_path, monkeypatch):
    """A resumed part adds to the time it spent, whatever the working folder and speed settings; a
    part whose runs changed (other overrides, or its experiment YAML edited: a protocol of another
    length) is other runs, whose time must not be added to it."""
    from wgan_repro.reproduce import Manifest

    package = tmp_path / "package"
    (package / "conf" / "experiment").mkdir(parents=True)
    preset = package / "conf" / "experiment" / "protocol.yaml"
    preset.write_text("train: {iters: 8000}\n")
    monkeypatch.setattr(reproduce, "PACKAGE", package)
    out = tmp_path / "repro"

    def parts(*extra):
        run_py = ["python", "-m", "wgan_repro"]
        return [{"name": "theory", "kind": "theory", "folder": "theory/t",
                 "argv": [run_py + ["experiment=parallel_lines", *extra, f"hydra.run.dir={out}/theory/t"]]},
                {"name": "claims", "kind": "sweep", "folder": "claims",
                 "argv": [run_py + ["-m", "experiment=protocol", "seed=0,1,2", *extra, f"hydra.sweep.dir={out}/claims"]]}]

    def records():
        return [(p["status"], p["wall_time"]) for p in Manifest(out, "cpu", parts_now).data["parts"]]

    first = Manifest(out, "cpu", parts())
    for name, spent in (("theory", 54.0), ("claims", 225.0)):
        first.part(name).update(status="finished", wall_time=spent)
    first.write()
    monkeypatch.chdir(tmp_path / "package")                 # another working folder, other speed settings
    parts_now = parts("train.threads=2", "hydra/launcher=basic")
    assert records() == [("finished", 54.0), ("finished", 225.0)]
    preset.write_text("train: {iters: 6000}\n")             # the protocol changed in its YAML
    assert records() == [("finished", 54.0), ("pending", 0.0)]
    parts_now = parts("loss.optim.lr=1e-3")                 # other overrides: other runs everywhere
    assert records() == [("pending", 0.0), ("pending", 0.0)]

    old = read_json(out / "parts.json")                     # a parts.json written before identities
    for record, spent in zip(old["parts"], (54.0, 225.0)):
        record.update(status="finished", wall_time=spent)
        del record["identity"]
    old["parts"][1]["commands"] = ["python run.py -m experiment=protocol seed=0,1"]
    (out / "parts.json").write_text(json.dumps(old))
    assert records() == [("finished", 54.0), ("pending", 0.0)]    # compared by their commands
