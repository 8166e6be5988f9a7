"""Objective registry: every objective maps the critic's raw outputs on a real and a fake
batch to the same three things, so the training loop, the logs and the report never
special-case one.

- `critic`: the loss the critic (discriminator) minimises;
- `generator`: the loss the generator minimises (depends on the fake outputs' graph);
- `estimate`: the distance the critic's value estimates: the W-estimate
  mean f(real) - mean f(fake) for `wgan`, the JS estimate log 2 + V(D, G) / 2 of the WGAN
  paper's Fig. 4 for `gan` and `nsgan`.

GAN outputs are logits: the sigmoid is applied here, through softplus, for stability
(log D = -softplus(-l), log(1 - D) = -softplus(l)).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from wgan_repro.registry import Registry

OBJECTIVES = Registry("loss")
LOG2 = math.log(2.0)


class LossTerms(NamedTuple):
    critic: torch.Tensor
    generator: torch.Tensor
    estimate: torch.Tensor


Objective = Callable[[torch.Tensor, torch.Tensor], LossTerms]


def get_objective(name: str) -> Objective:
    """The registered objective function called `name` (one line listing the valid ones if unknown)."""
    return OBJECTIVES.get(name)


@OBJECTIVES.register("wgan")
def wasserstein(real_out: torch.Tensor, fake_out: torch.Tensor) -> LossTerms:
    """WGAN: the critic maximises mean f(real) - mean f(fake); the generator minimises -mean f(fake)."""
    estimate = real_out.mean() - fake_out.mean()
    return LossTerms(critic=-estimate, generator=-fake_out.mean(), estimate=estimate.detach())


def _discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Binary cross-entropy of D on real (label 1) and fake (label 0) logits, and the JS estimate."""
    critic = F.softplus(-real_out).mean() + F.softplus(fake_out).mean()   # = -V(D, G)
    js_estimate = LOG2 - critic.detach() / 2
    return critic, js_estimate


@OBJECTIVES.register("gan")
def minimax(real_out: torch.Tensor, fake_out: torch.Tensor) -> LossTerms:
    """The original minimax game: the generator minimises E[log(1 - D(G(z)))] (the JS objective)."""
    critic, estimate = _discriminator_loss(real_out, fake_out)
    return LossTerms(critic=critic, generator=-F.softplus(fake_out).mean(), estimate=estimate)


@OBJECTIVES.register("nsgan")
def non_saturating(real_out: torch.Tensor, fake_out: torch.Tensor) -> LossTerms:
    """The -log D trick: the generator minimises E[-log D(G(z))]."""
    critic, estimate = _discriminator_loss(real_out, fake_out)
    return LossTerms(critic=critic, generator=F.softplus(-fake_out).mean(), estimate=estimate)
