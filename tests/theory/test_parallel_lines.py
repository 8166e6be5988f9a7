import math

import numpy as np
import pandas as pd
import pytest

from wgan_repro.theory.common import rank_correlation
from wgan_repro.theory.parallel_lines import closed_forms, fit_and_estimate, train_theta

LOG2 = math.log(2)
SMALL = dict(hidden=64, layers=2, batch_size=256, eval_samples=4096, device="cpu")


@pytest.mark.parametrize("theta", [-2.0, -0.5, 0.1, 1.0, 3.0])
def test_closed_forms_away_from_zero(theta):
    assert closed_forms(theta) == {"W": abs(theta), "JS": pytest.approx(LOG2), "KL": math.inf, "TV": 1.0}


def test_closed_forms_at_zero_are_all_zero():
    assert closed_forms(0.0) == {"W": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}


def test_rank_correlation_handles_ties_and_direction():
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert rank_correlation([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894427, abs=1e-5)


def test_critic_estimate_follows_abs_theta_while_js_estimate_sits_at_log2():
    thetas = np.linspace(-1, 1, 9)                       # 9 values, 0 included
    critic = [fit_and_estimate(float(t), "wgan", steps=100, lr=5e-3, clip=0.01, seed=0, **SMALL) for t in thetas]
    js = [fit_and_estimate(float(t), "gan", steps=300, lr=1e-3, clip=None, seed=7, **SMALL) for t in thetas]
    assert rank_correlation(np.abs(thetas), critic) > 0.9
    assert abs(critic[4]) < 0.1 * max(critic)            # theta = 0: nothing to tell apart
    for t, value in zip(thetas, js):
        if t != 0:
            assert abs(value - LOG2) < 0.1 * LOG2, (t, value)
        else:
            assert abs(value) < 0.05, value              # the same samples: JS = 0, not log 2


def test_only_the_wgan_gradient_moves_theta_steadily_to_zero():
    common = dict(theta0=1.0, iters=150, gen_lr=8.0, n_critic=5, warmup_steps=100, critic_lr=5e-3, disc_lr=1e-3,
                  clip=0.01, hidden=64, layers=2, batch_size=128, seed=0, device="cpu")
    runs = {loss: train_theta(loss, **common) for loss in ("wgan", "gan")}
    wgan, gan = runs["wgan"], runs["gan"]
    assert isinstance(wgan, pd.DataFrame) and len(wgan) == 150
    # the critic's gradient keeps its sign and size while theta > 0: theta falls steadily
    moving = wgan[wgan.theta > 0.05]
    assert (moving.grad > 0).all() and moving.grad.max() < 3 * moving.grad.min()
    assert wgan.theta.abs().iloc[-10:].max() < 0.1
    # the minimax GAN's gradient vanishes once its discriminator saturates
    assert gan.grad.abs().iloc[-10:].max() < 1e-2 * gan.grad.abs().max()
