"""BEGAN's learning-rate halving when the estimate stalls: when it cuts, by how much, and that a
resumed run cuts at the same iterations as an uninterrupted one."""
import pandas as pd
import pytest
import torch

from wgan_repro.config import validate
from wgan_repro.lr_on_stall import StallHalving
from wgan_repro.presets import preset
from wgan_repro.train import train

SMOKE = ("experiment=smoke", "device=cpu", "train.threads=1", "loss=began")


def _optimizers():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    return torch.optim.Adam([a], lr=1e-4), torch.optim.RMSprop([b], lr=5e-5)


def _feed(tracker: StallHalving, values, optimizers, start: int = 1) -> list:
    return [i for i, v in enumerate(values, start) if tracker.observe(i, torch.tensor(v), optimizers)]


def test_a_falling_estimate_never_cuts_the_rates():
    optimizers = _optimizers()
    tracker = StallHalving(window=10, min_drop=0.01, factor=0.5)
    assert _feed(tracker, [1.0 / (1 + 0.01 * i) for i in range(100)], optimizers) == []
    assert [o.param_groups[0]["lr"] for o in optimizers] == [1e-4, 5e-5]


def test_a_flat_estimate_halves_both_rates_after_every_window_but_the_first():
    optimizers = _optimizers()
    tracker = StallHalving(window=10, min_drop=0.01, factor=0.5)
    assert _feed(tracker, [0.3] * 40, optimizers) == [20, 30, 40]
    assert [o.param_groups[0]["lr"] for o in optimizers] == pytest.approx([1e-4 / 8, 5e-5 / 8])
    assert tracker.halvings == [20, 30, 40]


def test_a_fall_smaller_than_min_drop_counts_as_a_stall():
    optimizers = _optimizers()
    tracker = StallHalving(window=1, min_drop=0.01, factor=0.5)
    # 1.0 -> 0.995 falls by 0.5 % of the best (a stall; the best becomes 0.995); 0.995 -> 0.98 by
    # 1.5 % of it and 0.98 -> 0.5 by far more (progress)
    assert _feed(tracker, [1.0, 0.995, 0.98, 0.5], optimizers) == [2]


def test_the_state_carries_a_half_finished_window_across_a_restart():
    # window means 0.5, 0.367 (progress: the 0.1 carried across the restart decides it; without it
    # the window would be 0.5, a stall), 0.5 (a stall)
    values = [0.5, 0.5, 0.5, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5]
    whole = StallHalving(window=3, min_drop=0.0, factor=0.5)
    expected = _feed(whole, values, _optimizers())
    first, optimizers = StallHalving(window=3, min_drop=0.0, factor=0.5), _optimizers()
    cuts = _feed(first, values[:4], optimizers)
    second = StallHalving(window=3, min_drop=0.0, factor=0.5)
    second.load_state_dict(first.state_dict())
    cuts += _feed(second, values[4:], optimizers, start=5)
    assert cuts == expected == [9]
    assert second.best == pytest.approx(whole.best) == pytest.approx(1.1 / 3)


def test_a_window_that_is_not_finite_is_skipped():
    optimizers = _optimizers()
    tracker = StallHalving(window=2, min_drop=0.0, factor=0.5)
    assert _feed(tracker, [float("nan"), 1.0, 0.5, 0.5, 0.4, float("inf"), 0.6, 0.6], optimizers) == [8]
    assert tracker.best == 0.5


def test_the_trainer_cuts_both_learning_rates_when_m_global_stalls(compose_cfg, tmp_path, caplog):
    # min_drop 1: a window must fall below 0, impossible for M_global >= 0, so every window after
    # the first is a stall: cuts at 4 and 6
    cfg = validate(compose_cfg(*SMOKE, "train.iters=6", "loss.lr_on_stall.enabled=true",
                               "loss.lr_on_stall.window=2", "loss.lr_on_stall.min_drop=1.0"))
    with caplog.at_level("INFO", logger="wgan_repro.train"):
        assert train(cfg, tmp_path) == "finished"
    state = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)
    base = preset("loss", "began")["optim"]["lr"]
    for name in ("opt_g", "opt_d"):
        assert state[name]["param_groups"][0]["lr"] == pytest.approx(base / 4)
    assert state["lr_on_stall"]["halvings"] == [4, 6]
    assert sum("learning rates x 0.5" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize("min_drop", [0.0, 1.0])     # the run's own estimates decide; every window stalls
def test_a_resumed_run_cuts_at_the_same_iteration_as_an_uninterrupted_one(compose_cfg, tmp_path, min_drop):
    options = ("loss.lr_on_stall.enabled=true", "loss.lr_on_stall.window=3", f"loss.lr_on_stall.min_drop={min_drop}",
               "train.checkpoint_every=2")
    full = validate(compose_cfg(*SMOKE, *options, "train.iters=8"))
    train(full, tmp_path / "full")
    train(validate(compose_cfg(*SMOKE, *options, "train.iters=4")), tmp_path / "resumed")   # stops inside a window
    assert train(full, tmp_path / "resumed") == "finished"
    a, b = (pd.read_csv(tmp_path / run / "metrics.csv").drop(columns=["wall_time"]) for run in ("full", "resumed"))
    pd.testing.assert_frame_equal(a, b)
    saved = [torch.load(tmp_path / run / "checkpoints" / "last.pt", weights_only=True) for run in ("full", "resumed")]
    assert saved[0]["lr_on_stall"] == saved[1]["lr_on_stall"]
    for name in ("opt_g", "opt_d"):
        assert saved[0][name]["param_groups"][0]["lr"] == saved[1][name]["param_groups"][0]["lr"]
    if min_drop == 1.0:
        assert saved[1]["lr_on_stall"]["halvings"] == [6]


def test_a_bad_setting_is_refused_with_the_key(compose_cfg):
    with pytest.raises(Exception, match="loss.lr_on_stall"):
        validate(compose_cfg(*SMOKE, "loss.lr_on_stall.factor=2"))
