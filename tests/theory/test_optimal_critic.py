import json

import numpy as np
import pandas as pd
import pytest
import torch

from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError
from wgan_repro.theory.common import paper_optimizer, train_critic
from wgan_repro.theory.optimal_critic import fresh_energy_critic, optimal_critic


def test_critic_gradient_is_alive_where_the_discriminator_has_vanished(toy_run):
    summary = optimal_critic(toy_run, discriminator="gan", critic_objective="wgan", disc_steps=1000, critic_steps=300, n_fake=1024, grid_points=201)
    at_fakes = pd.read_csv(toy_run.run_dir / "fake_gradients.csv")
    curves = pd.read_csv(toy_run.run_dir / "curves.csv")
    assert len(at_fakes) == 1024 and len(curves) == 201
    assert (toy_run.run_dir / "figure.png").stat().st_size > 10_000
    # the discriminator saturates: D ~ 0 on the fakes and its gradient there is < 1e-3 of its peak
    assert at_fakes.D.mean() < 0.01
    vanished = at_fakes.grad_gan.abs() < 1e-3 * curves.grad_gan.abs().max()
    assert vanished.mean() > 0.9
    # at those same fakes the clipped critic's gradient is a sizeable share of its own peak ...
    critic_share = at_fakes.grad_wgan.abs() / curves.grad_wgan.abs().max()
    assert (critic_share[vanished] > 0.1).mean() > 0.95
    # ... and moves them toward the real data (real mean -2 < fake mean 2: a step along -grad goes left)
    assert (at_fakes.grad_wgan > 0).mean() > 0.95
    assert summary["critic_linear_r2"] > 0.9
    assert summary["share_fakes_gan_vanished"] == vanished.mean()
    assert "finding" in summary and json.dumps(summary)


def test_the_energy_critic_is_low_on_the_data_above_the_margin_at_the_fakes(toy_run):
    summary = optimal_critic(toy_run, discriminator="gan", critic_objective="wgan", disc_steps=200, critic_steps=50,
                             energy_objective="ebgan", energy_steps=1000, n_fake=512, grid_points=201)
    margin = preset("loss", "ebgan")["margin"]
    at_fakes = pd.read_csv(toy_run.run_dir / "fake_gradients.csv")
    # the EBGAN critic loss E[D(x)] + E[max(0, m - D(G(z)))] is minimal at 0 on the data, >= m at the fakes
    assert summary["mean_energy_at_reals"] < 0.1 * margin
    assert (at_fakes.energy >= margin).mean() > 0.95
    # grad_energy is the energy's derivative in x (a finite difference on the grid agrees)
    curves = pd.read_csv(toy_run.run_dir / "curves.csv")
    slope = np.gradient(curves.energy, curves.x)
    smooth = (curves.x - 2.0).abs() < 1.5                               # around the fakes, away from kinks
    assert np.corrcoef(slope[smooth], curves.grad_energy[smooth])[0, 1] > 0.99
    assert summary["share_fakes_energy_toward_real"] > 0.9 and "energy critic" in summary["finding"]


def test_the_energy_critic_leaves_the_other_numbers_as_they_are(toy_run, tmp_path):
    options = dict(discriminator="gan", critic_objective="wgan", disc_steps=100, critic_steps=50, n_fake=256,
                   grid_points=101)
    with_energy = optimal_critic(toy_run, energy_objective="ebgan", energy_steps=20, **options)
    toy_run.run_dir = tmp_path / "without"
    toy_run.run_dir.mkdir()
    without = optimal_critic(toy_run, energy_objective=None, **options)
    assert {k: v for k, v in with_energy.items() if k in without and k != "finding"} == \
        {k: v for k, v in without.items() if k != "finding"}


def test_a_stateful_objective_keeps_its_state_from_step_to_step(toy_run):
    # BEGAN's k_t lives in the state the trainer carries from one critic step to the next; here the
    # fakes reconstruct better than gamma times the reals (all at 0, the data spread wide), so it rises
    critic = fresh_energy_critic("began", hidden=16, layers=2, seed=0, device="cpu")
    g, state = torch.Generator().manual_seed(0), {}
    terms = train_critic(critic, lambda: 3 * torch.randn(64, 1, generator=g), lambda: torch.zeros(64, 1),
                         loss="began", steps=20, state=state,
                         optimizer=paper_optimizer("began", critic.parameters(), 1e-3))
    assert float(state["k"]) > float(terms.logged["k_t"]) > 0       # moved at every step, from the carried value


def test_an_objective_without_an_energy_critic_is_refused(toy_run):
    with pytest.raises(ConfigError, match="theory.energy_objective='wgan' is not an energy-based objective"):
        optimal_critic(toy_run, discriminator="gan", critic_objective="wgan", disc_steps=1, critic_steps=1,
                       energy_objective="wgan")
    with pytest.raises(ConfigError, match="valid names are"):
        optimal_critic(toy_run, discriminator="gan", critic_objective="wgan", energy_objective="ebgn")
