"""The original GAN (Goodfellow et al. 2014) in its two generator forms: the minimax game
(`gan`, the generator minimises E[log(1 - D(G(z)))], the JS objective) and the -log D trick
(`nsgan`, the papers' GAN baseline). The critic outputs a logit; the sigmoid is applied here
through softplus for stability (log D = -softplus(-l), log(1 - D) = -softplus(l)).

The estimate is the WGAN paper's Fig. 4 JS estimate log 2 + V(D, G) / 2, which an optimal
discriminator makes equal to JS(P_r, P_g): log 2 for disjoint supports.
"""
from __future__ import annotations

import math

import torch.nn.functional as F

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo

LOG2 = math.log(2.0)


def _info(label: str) -> ObjectiveInfo:
    return ObjectiveInfo(estimate="JS estimate", unit="nats", label=label, reference=LOG2, reference_label="log 2",
                         output="logit")


def discriminator_terms(batch: CriticBatch):
    """Binary cross-entropy of D on real (label 1) and fake (label 0) logits (= -V(D, G)), and the JS estimate."""
    critic = F.softplus(-batch.real_out).mean() + F.softplus(batch.fake_out).mean()
    return critic, LOG2 - critic.detach() / 2


@OBJECTIVES.register("nsgan", _info("GAN, E[−log D]"))
def non_saturating(batch: CriticBatch) -> LossTerms:
    """The -log D GAN (conf/loss/nsgan.yaml: DCGAN's Adam 2e-4, beta1 0.5, one discriminator step).
    No options of its own."""
    critic, estimate = discriminator_terms(batch)
    return LossTerms(critic=critic, generator=F.softplus(-batch.fake_out).mean(), estimate=estimate)


@OBJECTIVES.register("gan", _info("GAN, E[log(1−D)]"))
def minimax(batch: CriticBatch) -> LossTerms:
    """The minimax GAN (conf/loss/gan.yaml: DCGAN's Adam 2e-4, beta1 0.5, one discriminator step).
    No options of its own."""
    critic, estimate = discriminator_terms(batch)
    return LossTerms(critic=critic, generator=-F.softplus(batch.fake_out).mean(), estimate=estimate)
