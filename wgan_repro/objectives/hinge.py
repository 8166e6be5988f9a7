"""The hinge loss of the geometric GAN (Lim and Ye 2017) and SN-GAN (Miyato et al. 2018): the critic
minimises E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))], the generator -E[D(G(z))].

The optimal critic is +1 where the data density p exceeds the generator's q and -1 elsewhere, with
loss 2 (1 - TV(P, Q)); the logged estimate 1 - L_D / 2 is therefore a total-variation estimate
(a lower bound on TV in [0, 1] while the critic is near optimal)."""
from __future__ import annotations

import torch.nn.functional as F

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo

INFO = ObjectiveInfo(estimate="TV estimate", unit="total variation, in [0, 1]", label="hinge", reference=1.0,
                     reference_label="TV = 1", output="value")


@OBJECTIVES.register("hinge", INFO)
def hinge(batch: CriticBatch) -> LossTerms:
    """The hinge loss (conf/loss/hinge.yaml: SN-GAN's Adam 2e-4, betas (0.5, 0.999), one critic
    step). No options of its own; pair it with critic.norm=spectral for SN-GAN."""
    critic = F.relu(1 - batch.real_out).mean() + F.relu(1 + batch.fake_out).mean()
    return LossTerms(critic=critic, generator=-batch.fake_out.mean(), estimate=1 - critic.detach() / 2)
