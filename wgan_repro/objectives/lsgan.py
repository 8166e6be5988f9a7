"""LSGAN (Mao et al. 2017): least squares with codes a (fake), b (real) and c (the value the
generator wants): L_D = 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2], L_G = 1/2 E[(D(G(z)) - c)^2].

The optimal critic D* = (b p + a q) / (p + q) gives L_D* = (b - a)^2 / 2 * integral p q / (p + q),
so the logged estimate 1 - 4 L_D / (b - a)^2 is half the triangular discrimination
integral (p - q)^2 / (p + q): 0 for P = Q, 1 for disjoint supports."""
from __future__ import annotations

from wgan_repro.objectives import OBJECTIVES
from wgan_repro.objectives.base import CriticBatch, LossTerms, ObjectiveInfo
from wgan_repro.registry import ConfigError

INFO = ObjectiveInfo(estimate="triangular discrimination / 2", unit="in [0, 1]", label="LSGAN", reference=1.0,
                     reference_label="disjoint supports", output="value")


@OBJECTIVES.register("lsgan", INFO)
def least_squares(batch: CriticBatch, a: float, b: float, c: float) -> LossTerms:
    """LSGAN (conf/loss/lsgan.yaml: Adam 2e-4, beta1 0.5, one critic step).

    a: the code of fake samples for the critic (the paper's Pearson chi^2 choice: -1; 0-1 coding: 0).
    b: the code of real samples (1 in both codings).
    c: the value the generator pushes D(G(z)) to (0 with the chi^2 choice; 1 with 0-1 coding).
    """
    if a == b:
        raise ConfigError(f"loss.a and loss.b must differ (got {a}): the critic would have nothing to separate")
    critic = 0.5 * ((batch.real_out - b) ** 2).mean() + 0.5 * ((batch.fake_out - a) ** 2).mean()
    generator = 0.5 * ((batch.fake_out - c) ** 2).mean()
    return LossTerms(critic=critic, generator=generator, estimate=1 - 4 * critic.detach() / (b - a) ** 2)
