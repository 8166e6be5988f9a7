"""f-GAN (Nowozin, Cseke, Tomioka 2016): variational divergence minimisation. The critic's raw
output v goes through the divergence's output activation g_f, and the critic maximises the
lower bound F = E_P[g_f(v)] - E_Q[f*(g_f(v))] on D_f(P || Q) (Table 2 of the paper).

f*(g_f(v)) is written in closed form for each divergence, since composing the two literally
loses everything: 1 - (1 - exp(-v)) is 0 for large v, so the squared Hellinger conjugate
t / (1 - t) divides by zero, and -log(2 - exp(t)) for JS needs 2 - exp(log 2 - softplus(-v)).

The estimate is F in the divergence's own units, except JS: the paper's JS generator gives
2 JS(P, Q), so it is halved to plot with the GAN's JS estimate (both at most log 2).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo
from wgan_repro.registry import ConfigError

LOG2 = math.log(2.0)
Fn = Callable[[torch.Tensor], torch.Tensor]

# divergence -> (g_f(v), f*(g_f(v)), the estimate's scale, its name)
DIVERGENCES: dict[str, tuple[Fn, Fn, float, str]] = {
    "kl": (lambda v: v, lambda v: torch.exp(v - 1), 1.0, "KL"),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda v: v - 1, 1.0, "reverse KL"),
    "pearson": (lambda v: v, lambda v: v * v / 4 + v, 1.0, "Pearson chi^2"),
    "hellinger": (lambda v: -torch.expm1(-v), torch.expm1, 1.0, "squared Hellinger"),
    "js": (lambda v: LOG2 - F.softplus(-v), lambda v: F.softplus(v) - LOG2, 0.5, "JS"),
    "gan": (lambda v: -F.softplus(-v), F.softplus, 1.0, "2 JS - log 4"),
}
GENERATOR_FORMS = ("saddle", "alternative")


def info(divergence: str, generator: str = "alternative") -> ObjectiveInfo:
    """The estimate's name depends on the divergence."""
    name = DIVERGENCES[divergence][3] if divergence in DIVERGENCES else divergence
    reference = {"js": (LOG2, "log 2"), "gan": (0.0, "0 (disjoint: -log 4 .. 0)")}.get(divergence, (None, ""))
    return ObjectiveInfo(estimate=f"{name} lower bound", unit="nats", label=f"f-GAN ({name})", reference=reference[0],
                         reference_label=reference[1], output="value")


@OBJECTIVES.register("fgan", info)
def f_gan(batch: CriticBatch, divergence: str, generator: str) -> LossTerms:
    """f-GAN (conf/loss/fgan.yaml: the paper's Adam 2e-4, beta1 0.5, one critic step per generator step).

    divergence: kl, reverse_kl, pearson, hellinger (squared Hellinger), js or gan (Table 2 of the paper).
    generator: "saddle" (the generator minimises F, the saddle point of the paper's Eq. 6) or
        "alternative" (Sec. 3.2: it maximises E_Q[g_f(v)], the analogue of the -log D trick, which
        the paper uses in its experiments).
    """
    if divergence not in DIVERGENCES:
        raise ConfigError(f"unknown loss.divergence={divergence!r}: use one of {', '.join(DIVERGENCES)}")
    if generator not in GENERATOR_FORMS:
        raise ConfigError(f"unknown loss.generator={generator!r}: use saddle or alternative")
    activation, conjugate, scale, _ = DIVERGENCES[divergence]
    bound = activation(batch.real_out).mean() - conjugate(batch.fake_out).mean()
    if generator == "saddle":
        loss_g = -conjugate(batch.fake_out).mean()       # the part of F that depends on G, to minimise
    else:
        loss_g = -activation(batch.fake_out).mean()
    return LossTerms(critic=-bound, generator=loss_g, estimate=scale * bound.detach())
