"""Feature matching (Salimans et al. 2016, Sec. 3.1): the discriminator is the GAN's (binary
cross-entropy on logits), the generator instead matches the batch means of the discriminator's
last hidden layer: it minimises ||E f(x) - E f(G(z))||_2^2, with f on real data held fixed."""
from __future__ import annotations

import torch.nn.functional as F

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo
from wgan_repro.objectives.gan import LOG2, discriminator_terms

INFO = ObjectiveInfo(estimate="JS estimate", unit="nats", label="GAN, feature matching", reference=LOG2,
                     reference_label="log 2", output="logit")


@OBJECTIVES.register("feature_matching", INFO)
def feature_matching(batch: CriticBatch) -> LossTerms:
    """Feature matching (conf/loss/feature_matching.yaml: DCGAN's Adam 2e-4, beta1 0.5, one
    discriminator step). No options of its own; the generator's loss is the squared distance of the
    feature means (the critic's `features`: its last hidden layer)."""
    critic, estimate = discriminator_terms(batch)
    if batch.critic_phase:
        generator = F.softplus(-batch.fake_out).mean()        # not used in the critic phase
    else:
        real_mean = batch.critic_features("real").detach().mean(0)
        generator = ((real_mean - batch.critic_features("fake").mean(0)) ** 2).sum()
    return LossTerms(critic=critic, generator=generator, estimate=estimate)
