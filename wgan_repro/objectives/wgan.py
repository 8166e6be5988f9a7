"""WGAN (Arjovsky, Chintala, Bottou 2017, Algorithm 1): the critic maximises
mean f(real) - mean f(fake), the W-estimate; the generator minimises -mean f(fake).
The weight clipping that keeps f K-Lipschitz is the shared `loss.clip` (the critic update applies it)."""
from __future__ import annotations

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo

INFO = ObjectiveInfo(estimate="W-estimate", unit="critic units (K W1, K set by the clipping)",
                     label="WGAN (clipped critic)", output="value", rank=0)


@OBJECTIVES.register("wgan", INFO)
def wasserstein(batch: CriticBatch) -> LossTerms:
    """WGAN with weight clipping (conf/loss/wgan.yaml: RMSProp 5e-5, c = 0.01, n_critic 5, the
    original code's warm-up of 100 critic steps). No options of its own."""
    estimate = batch.real_out.mean() - batch.fake_out.mean()
    return LossTerms(critic=-estimate, generator=-batch.fake_out.mean(), estimate=estimate.detach())
