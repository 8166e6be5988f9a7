"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1): the Wasserstein critic with a gradient penalty
lambda E[(||grad f(x_hat)||_2 - 1)^2] at x_hat = eps x + (1 - eps) G(z), one eps ~ U[0, 1] per
sample, instead of weight clipping. The logged W-estimate excludes the penalty, which is
logged beside it (`gradient_penalty`)."""
from __future__ import annotations

import torch

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo

INFO = ObjectiveInfo(estimate="W-estimate", unit="W1 (a 1-Lipschitz critic)", label="WGAN-GP", output="value",
                     logged=("gradient_penalty",))


def gradient_penalty(gradients: torch.Tensor) -> torch.Tensor:
    """mean over samples of (||g_i||_2 - 1)^2 for per-sample gradients `gradients` (N, D)."""
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


@OBJECTIVES.register("wgan_gp", INFO)
def wgan_gp(batch: CriticBatch, penalty: float) -> LossTerms:
    """WGAN-GP (conf/loss/wgan_gp.yaml: Adam 1e-4, betas (0, 0.9), n_critic 5, no clipping; use a
    critic without BatchNorm, e.g. critic.norm=layer, as the paper does, since the penalty is per sample).

    penalty: the weight lambda of the gradient penalty (the paper's 10); 0 turns it off.
    """
    estimate = batch.real_out.mean() - batch.fake_out.mean()
    gp = torch.zeros((), device=batch.real_out.device)
    if batch.critic_phase and penalty > 0:
        gp = gradient_penalty(batch.interpolate_gradients())
    return LossTerms(critic=-estimate + penalty * gp, generator=-batch.fake_out.mean(), estimate=estimate.detach(),
                     logged={"gradient_penalty": gp.detach()})
