"""The end-of-sweep callback: a real `experiment=smoke` sweep gets its report, and a report
that fails is logged without touching the runs."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from tests.report.fabricate import paper_sweep
from wgan_repro.report import callback as callback_module
from wgan_repro.report.callback import ReportCallback

ROOT = Path(__file__).resolve().parents[2]


def test_a_smoke_sweep_builds_its_report(tmp_path, fake_data_root):
    sweep = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", "model=mlp", "loss=wgan,nsgan", "experiment=smoke", "train.iters=2",
         f"hydra.sweep.dir={sweep}", "train.threads=1", f"data.root={fake_data_root}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = sweep / "report"
    assert "report written" in proc.stderr + proc.stdout
    for name in ("index.html", "curves.png", "loss_vs_quality.png", "samples.png", "summary.csv", "summary.md",
                 "claims.md", "claims.json"):
        assert (report / name).is_file(), name
    summary = pd.read_csv(report / "summary.csv")
    assert sorted(summary["loss"]) == ["nsgan", "wgan"] and set(summary["status"]) == {"finished"}
    assert set(summary["iter"]) == {2} and set(summary["experiment"]) == {"smoke"}
    # the evaluator's final_eval.json gives the final FID and its floor/ceiling scale
    assert summary["fid"].notna().all() and summary["fid_rel"].between(0, 1.5).all()
    for loss in ("wgan", "nsgan"):
        logged = pd.read_csv(sweep / f"experiment=smoke,loss={loss},model=mlp,train.iters=2" / "metrics.csv")
        ours = summary.loc[summary["loss"] == loss, "final_estimate"].iloc[0]
        assert ours == pytest.approx(logged["estimate"].iloc[-1])     # 2 rows: a median window of 1
    # a smoke run has 2 evaluation points (too few for a rank correlation or a trend) and only MLP
    # generators: the two class-coverage claims are judged on its numbers (on one seed), the other
    # eight are untested
    claims = (report / "claims.md").read_text()
    assert claims.count("**not tested by this sweep**") == 8
    assert claims.count("**reproduced** (1 seed)") + claims.count("**not reproduced** (1 seed)") == 2
    # the optimizer each run used comes from its run.json, overridden or not
    assert dict(zip(summary["loss"], summary["loss.optim.name"])) == {"wgan": "rmsprop", "nsgan": "adam"}
    assert summary["still_improving"].isna().all()


def config_for(sweep: Path):
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}})


def test_a_failing_report_is_logged_and_the_runs_stay(tmp_path, monkeypatch, caplog):
    sweep = tmp_path / "sweep"
    runs = paper_sweep(sweep)
    before = sorted(p.relative_to(sweep) for p in sweep.rglob("*"))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the report")

    import wgan_repro.report.build as build
    monkeypatch.setattr(build, "build_report", broken)
    with caplog.at_level(logging.INFO, logger=callback_module.__name__):
        ReportCallback().on_multirun_end(config_for(sweep))           # does not raise
    assert "the report failed; the runs are kept" in caplog.text and "a bug in the report" in caplog.text
    assert sorted(p.relative_to(sweep) for p in sweep.rglob("*")) == before
    assert all(r.exists() for r in runs.values())


def test_bad_input_is_a_warning_and_disabled_does_nothing(tmp_path, caplog):
    sweep = tmp_path / "sweep"
    paper_sweep(sweep)
    (sweep / "report").write_text("in the way")
    with caplog.at_level(logging.INFO, logger=callback_module.__name__):
        ReportCallback().on_multirun_end(config_for(sweep))
    assert "no report" in caplog.text and "is not a folder" in caplog.text
    (sweep / "report").unlink()
    ReportCallback(enabled=False).on_multirun_end(config_for(sweep))
    assert not (sweep / "report").exists()


def test_the_callback_is_registered_in_the_config():
    cfg = OmegaConf.load(ROOT / "wgan_repro" / "conf" / "config.yaml")
    entry = cfg.hydra.callbacks.report
    assert entry._target_ == "wgan_repro.report.callback.ReportCallback" and entry.enabled is True
