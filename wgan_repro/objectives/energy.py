"""The energy-based GANs, whose critic is an autoencoder and whose output D(x) >= 0 is the
per-sample reconstruction error (critic=autoencoder).

EBGAN (Zhao, Mathieu, LeCun 2017): the critic minimises E[D(x)] + E[max(0, m - D(G(z)))] (the
hinge per sample, then the mean), the generator E[D(G(z))] through the whole critic, plus the
pull-away term on the embedding of the fake batch. For a fixed generator the optimal energy is
0 where the data density p exceeds the generator's q and m where it is below, with critic loss
m (1 - TV(P, Q)): the logged estimate 1 - L_D / m, clipped to [0, 1], is a total-variation
estimate.

BEGAN (Berthelot, Schumm, Metz 2017): L_D = L(x) - k_t L(G(z)), L_G = L(G(z)), with the
equilibrium control k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1) kept as training
state (in the checkpoint); the logged estimate is the convergence measure
M_global = L(x) + |gamma L(x) - L(G(z))|, with k_t beside it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from wgan_repro.models.autoencoder import pull_away_term
from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo
from wgan_repro.registry import ConfigError

EBGAN = ObjectiveInfo(estimate="TV estimate", unit="total variation, in [0, 1]", label="EBGAN", reference=1.0,
                      reference_label="TV = 1", output="energy", logged=("pull_away",), energy_critic=True)
BEGAN = ObjectiveInfo(estimate="M_global", unit="reconstruction error (the critic's energy units)", label="BEGAN",
                      output="energy", logged=("k_t",), energy_critic=True)


def ebgan_critic_loss(real_energy: torch.Tensor, fake_energy: torch.Tensor, margin: float) -> torch.Tensor:
    """E[D(x)] + E[max(0, m - D(G(z)))], the hinge taken per sample before the mean."""
    return real_energy.mean() + F.relu(margin - fake_energy).mean()


@OBJECTIVES.register("ebgan", EBGAN)
def ebgan(batch: CriticBatch, margin: float, pull_away: float) -> LossTerms:
    """EBGAN (conf/loss/ebgan.yaml: Adam 2e-4, beta1 0.5, one critic step; critic=autoencoder with
    energy l2, the paper's mean squared error).

    margin: m, in the critic's energy units (its per-entry mean reconstruction error).
    pull_away: weight of the pull-away term in the generator's loss (the paper's 0.1; 0: plain EBGAN).
    """
    if margin <= 0 or pull_away < 0:
        raise ConfigError(f"loss.margin={margin} must be > 0 and loss.pull_away={pull_away} >= 0")
    critic = ebgan_critic_loss(batch.real_out, batch.fake_out, margin)
    generator = batch.fake_out.mean()
    pt = torch.zeros((), device=batch.fake_out.device)
    if not batch.critic_phase and pull_away > 0:
        pt = pull_away_term(batch.fake_embeddings())
        generator = generator + pull_away * pt
    estimate = (1 - critic.detach() / margin).clamp(0, 1)
    return LossTerms(critic=critic, generator=generator, estimate=estimate, logged={"pull_away": pt.detach()})


def began_k_update(k: torch.Tensor, real_loss: torch.Tensor, fake_loss: torch.Tensor, gamma: float,
                   lambda_k: float) -> torch.Tensor:
    """k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)."""
    return (k + lambda_k * (gamma * real_loss - fake_loss)).clamp(0.0, 1.0)


@OBJECTIVES.register("began", BEGAN)
def began(batch: CriticBatch, gamma: float, lambda_k: float, k_init: float) -> LossTerms:
    """BEGAN (conf/loss/began.yaml: Adam 1e-4, one critic step; critic=autoencoder with energy l1).

    gamma: the diversity ratio E[L(G(z))] / E[L(x)] the equilibrium aims at (0.5; 0.3-0.7 sweepable).
    lambda_k: the proportional gain of k_t (0.001).
    k_init: k_0 (0), the weight of the fake term before any update.
    """
    if not 0 < gamma <= 1 or lambda_k < 0 or not 0 <= k_init <= 1:
        raise ConfigError(f"loss.gamma={gamma} must be in (0, 1], loss.lambda_k={lambda_k} >= 0 "
                          f"and loss.k_init={k_init} in [0, 1]")
    real_loss, fake_loss = batch.real_out.mean(), batch.fake_out.mean()
    k = batch.state.get("k")
    if k is None:
        k = torch.tensor(float(k_init), device=batch.real_out.device)
    critic = real_loss - k * fake_loss
    m_global = real_loss.detach() + (gamma * real_loss.detach() - fake_loss.detach()).abs()
    if batch.critic_phase:
        batch.state["k"] = began_k_update(k, real_loss.detach(), fake_loss.detach(), gamma, lambda_k)
    return LossTerms(critic=critic, generator=fake_loss, estimate=m_global, logged={"k_t": k.detach().clone()})
