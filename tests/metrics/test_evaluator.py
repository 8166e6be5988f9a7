"""The evaluation hook inside a real (smoke-sized) training run."""
import pandas as pd
import pytest
import torch

from wgan_repro.config import validate
from wgan_repro.job import build_evaluator
from wgan_repro.metrics.evaluator import IMAGE_COLUMNS, MIXTURE_COLUMNS, POINT_COLUMNS
from wgan_repro.run_files import read_json
from wgan_repro.run_layout import TRAIN_COLUMNS
from wgan_repro.train import train

SMOKE = ("experiment=smoke", "device=cpu", "train.threads=1")


def _run(cfg, run_dir):
    assert train(cfg, run_dir, build_evaluator(cfg, run_dir)) == "finished"
    return pd.read_csv(run_dir / "metrics.csv")


def test_quality_columns_every_eval_every_and_at_the_end_without_changing_training(compose_cfg, tmp_path):
    cache = f"eval.cache_dir={tmp_path / 'cache'}"
    cfg = validate(compose_cfg(*SMOKE, cache, "train.iters=5"))
    metrics = _run(cfg, tmp_path / "on")
    assert list(metrics.columns) == list(TRAIN_COLUMNS) + IMAGE_COLUMNS
    evaluated = metrics.dropna(subset=["fid"])["iter"].tolist()
    assert evaluated == [2, 4, 5]
    assert metrics.loc[metrics["iter"].isin(evaluated), IMAGE_COLUMNS].notna().all().all()
    final = read_json(tmp_path / "on" / "final_eval.json")
    assert final["iter"] == 5 and final["n_generated"] == cfg.eval.n_final
    assert final["protocol"]["n_real"] == cfg.eval.n_real and final["protocol"]["classifier_accuracy"] > 0
    assert {"floor", "ceiling", "metrics"} <= set(final)

    off = validate(compose_cfg(*SMOKE, cache, "train.iters=5", "eval.enabled=false"))
    assert build_evaluator(off, tmp_path / "off") is None
    plain = _run(off, tmp_path / "off")
    assert list(plain.columns) == list(TRAIN_COLUMNS) and not (tmp_path / "off" / "final_eval.json").exists()
    base = [c for c in list(TRAIN_COLUMNS) if c != "wall_time"]
    pd.testing.assert_frame_equal(metrics[base], plain[base])         # evaluation draws no training randomness
    a = torch.load(tmp_path / "on" / "checkpoints" / "last.pt", weights_only=False)["generator"]
    b = torch.load(tmp_path / "off" / "checkpoints" / "last.pt", weights_only=False)["generator"]
    assert all(torch.equal(a[k], b[k]) for k in a)                      # BatchNorm running stats included


@pytest.mark.parametrize("data, columns", [("eight_gaussians", MIXTURE_COLUMNS), ("swiss_roll", POINT_COLUMNS)])
def test_two_d_sets_log_exact_w1_beside_the_critic_estimate(compose_cfg, tmp_path, data, columns):
    cfg = validate(compose_cfg(*SMOKE, f"data={data}", "data.n_points=2000", fake_data=False))
    metrics = _run(cfg, tmp_path)
    assert list(metrics.columns) == list(TRAIN_COLUMNS) + columns
    rows = metrics.dropna(subset=["w1_exact"])
    assert rows["iter"].tolist() == [2, 4] and (rows["w1_exact"] > 0).all()
    final = read_json(tmp_path / "final_eval.json")
    assert final["n_generated"] == cfg.eval.n_points_final
    assert final["floor"]["w1_exact"] < final["ceiling"]["w1_exact"]
    if data == "eight_gaussians":
        assert final["floor"]["modes_captured"] == 8
