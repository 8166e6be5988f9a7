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
from wgan_repro.registry import ConfigError

LOG2 = math.log(2.0)


def _info(label: str, rank: int) -> ObjectiveInfo:
    return ObjectiveInfo(estimate="JS estimate", unit="nats", label=label, reference=LOG2, reference_label="log 2",
                         output="logit", rank=rank)


def discriminator_terms(batch: CriticBatch, label_smoothing: float = 1.0):
    """Binary cross-entropy of D on real (target `label_smoothing`, 1 without smoothing) and fake
    (target 0) logits, and the JS estimate log 2 + V(D, G) / 2 from the unsmoothed V."""
    value = -(F.softplus(-batch.real_out).mean() + F.softplus(batch.fake_out).mean())     # V(D, G)
    critic = -value
    if label_smoothing != 1.0:              # one-sided: only the real targets move (Salimans et al. 2016)
        critic = (label_smoothing * F.softplus(-batch.real_out) + (1 - label_smoothing) * F.softplus(batch.real_out)
                  ).mean() + F.softplus(batch.fake_out).mean()
    return critic, LOG2 + value.detach() / 2


def _check_smoothing(label_smoothing: float) -> None:
    if not 0 < label_smoothing <= 1:
        raise ConfigError(f"loss.label_smoothing={label_smoothing} must be in (0, 1] (1: no smoothing; Salimans et al.: 0.9)")


@OBJECTIVES.register("nsgan", _info("GAN, E[−log D]", 1), compat={"added": {"label_smoothing": 1.0}})
def non_saturating(batch: CriticBatch, label_smoothing: float) -> LossTerms:
    """The -log D GAN (conf/loss/nsgan.yaml: DCGAN's Adam 2e-4, beta1 0.5, one discriminator step).

    label_smoothing: the real samples' target alpha (one-sided label smoothing of Salimans et al.
        2016, who use 0.9; fakes keep 0): the optimal discriminator becomes alpha p / (p + q). 1: none.
    """
    _check_smoothing(label_smoothing)
    critic, estimate = discriminator_terms(batch, label_smoothing)
    return LossTerms(critic=critic, generator=F.softplus(-batch.fake_out).mean(), estimate=estimate)


@OBJECTIVES.register("gan", _info("GAN, E[log(1−D)]", 2), compat={"added": {"label_smoothing": 1.0}})
def minimax(batch: CriticBatch, label_smoothing: float) -> LossTerms:
    """The minimax GAN (conf/loss/gan.yaml: DCGAN's Adam 2e-4, beta1 0.5, one discriminator step).

    label_smoothing: the real samples' target alpha (one-sided label smoothing; 1: none).
    """
    _check_smoothing(label_smoothing)
    critic, estimate = discriminator_terms(batch, label_smoothing)
    return LossTerms(critic=critic, generator=-F.softplus(batch.fake_out).mean(), estimate=estimate)
