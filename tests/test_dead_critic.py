"""The warning for a dead critic: given once, only after the outputs stayed exactly equal on
real and fake batches for the whole patience, and from a real run whose critic was killed."""
import torch

from wgan_repro.config import validate
from wgan_repro.dead_critic import DeadCriticWatch
from wgan_repro.train import Trainer


def _row(i, real, fake):
    return {"iter": i, "critic_real": real, "critic_fake": fake, "estimate": real - fake}


def test_only_an_unbroken_streak_of_equal_outputs_warns_and_only_once():
    watch = DeadCriticWatch(patience=5)
    assert watch.rows([_row(i, 0.1, 0.1) for i in range(4)] + [_row(4, 0.1, 0.2)]) is None   # broken at 5
    assert watch.rows([_row(i, 0.3, 0.3) for i in range(5, 9)]) is None                     # 4 in a row
    message = watch.rows([_row(9, 0.3, 0.3)])
    assert "the critic is dead" in message and "5 logged iterations" in message and "up to iteration 9" in message
    assert watch.rows([_row(i, 0.3, 0.3) for i in range(10, 20)]) is None                   # said once


def test_a_live_critic_never_warns():
    watch = DeadCriticWatch(patience=3)
    g = torch.Generator().manual_seed(0)
    assert all(watch.rows([_row(i, *torch.randn(2, generator=g).tolist())]) is None for i in range(200))


def test_a_run_whose_critic_was_zeroed_warns(compose_cfg, tmp_path, caplog):
    # every critic parameter 0: the output is the constant 0 and no gradient can change that
    cfg = validate(compose_cfg("experiment=smoke", "device=cpu", "train.threads=1", "loss=wgan", "train.iters=60",
                               "loss.warmup.enabled=false", "eval.enabled=false"))
    trainer = Trainer(cfg, tmp_path)
    with torch.no_grad():
        for p in trainer.critic.parameters():
            p.zero_()
    with caplog.at_level("WARNING", logger="wgan_repro.train"):
        assert trainer.fit() == "finished"
    assert sum("the critic is dead" in r.getMessage() for r in caplog.records) == 1
