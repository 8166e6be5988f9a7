"""The frozen-generator protocol of vanishing_gradients and instance_noise at a reduced size,
on the fake Fashion-MNIST of tests/conftest.py (the default-size runs are in test_cli.py, slow)."""
import pytest
import torch

from wgan_repro.config import validate
from wgan_repro.theory.common import TheoryRun
from wgan_repro.theory.frozen import fresh_critic_run, train_stages

SMALL = ("experiment=vanishing_gradients", "device=cpu", "train.threads=1", "data.image_size=32",
         "arch.nz=32", "arch.ngf=16", "arch.ndf=16", "train.batch_size=32")
STAGE, D_ITERS = 10, 300


@pytest.fixture(scope="module")
def frozen(tmp_path_factory, fake_data_root):
    from hydra import compose, initialize_config_dir

    from tests.conftest import CONF

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = validate(compose(config_name="config", overrides=[*SMALL, f"data.root={fake_data_root}"]))
    run = TheoryRun(cfg=cfg, run_dir=tmp_path_factory.mktemp("frozen"), device=torch.device("cpu"))
    trainer, snapshots = train_stages(run, [STAGE])
    assert trainer.iter == STAGE and cfg.loss.name == "nsgan"
    return trainer, snapshots[STAGE]


def test_saturating_gradient_vanishes_as_the_discriminator_trains(frozen):
    trainer, state = frozen
    curve = fresh_critic_run(trainer, state, loss="gan", probes={"minimax": "gan", "nonsat": "nsgan"}, steps=D_ITERS, lr=2e-4, points=6, probe_batches=2, seed=1)
    assert curve.step.iloc[0] == 1 and curve.step.iloc[-1] == D_ITERS
    assert curve.accuracy.iloc[-1] == 1.0                                   # perfect discriminator
    drop = curve.grad_minimax_mean.iloc[0] / curve.grad_minimax_mean.iloc[-1]
    assert drop >= 100, curve
    assert curve.grad_nonsat_mean.iloc[-1] > 2 * curve.grad_nonsat_mean.iloc[0]   # -log D: grows
