"""Smoke sweeps over the objectives beyond the papers' three, as a user types them: every run
finishes, logs its objective's own columns and estimate name, and the report reads them from
run.json."""
import pandas as pd
import pytest

from tests.test_cli import DEBIAN, run_cli
from wgan_repro.objectives import get_objective
from wgan_repro.run_files import read_json


@pytest.mark.parametrize("axes", [
    ("model=dcgan,mlp", "loss=ebgan,began"),                 # issue 13's command
    ("model=dcgan", "loss=wgan_gp,hinge,lsgan,fgan,feature_matching"),
    ("critic.norm=layer,spectral", "loss=wgan_gp,hinge"),     # new objectives x critic normalizations
])
def test_a_smoke_sweep_of_new_objectives_finishes_and_reports_their_estimates(tmp_path, fake_data_root, axes):
    data = [] if DEBIAN.exists() else [f"data.root={fake_data_root}"]
    sweep = tmp_path / "sweep"
    proc = run_cli("-m", *axes, "experiment=smoke", f"hydra.sweep.dir={sweep}", "train.threads=1",
                   f"out_dir={tmp_path}", *data)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name != "report")
    losses = axes[1].split("=")[1].split(",")
    other = axes[0].split("=")[1].split(",")
    assert len(runs) == len(losses) * len(other)
    html = (sweep / "report" / "index.html").read_text()
    for run in runs:
        meta = read_json(run / "run.json")
        info = get_objective(meta["config"]["loss"]["name"]).info
        assert read_json(run / "status.json")["status"] == "finished"
        assert meta["objective"]["estimate"] == info.estimate
        metrics = pd.read_csv(run / "metrics.csv")
        assert set(info.logged) <= set(metrics.columns)
        assert metrics[["loss_critic", "loss_generator", "estimate", *info.logged]].notna().all().all()
        if axes[0].startswith("critic.norm"):
            assert meta["config"]["critic"]["norm"] in run.name
    assert all(f"loss={loss}" in html for loss in losses)         # every run has its row in the report
