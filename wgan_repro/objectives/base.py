"""What every objective receives and returns, and what it tells the rest of the suite.

An objective is one function `fn(batch: CriticBatch, **options) -> LossTerms` registered with
an `ObjectiveInfo`. The trainer and the theory experiments call it in two phases: "critic"
(the terms of a critic update) and "generator" (the generator's loss against the current
critic). The `CriticBatch` hands it the critic's outputs and, on request, what some objectives
need besides: the critic's input gradient at interpolates (a gradient penalty) and a state
dict that the checkpoint saves and a resume restores exactly.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Mapping, NamedTuple, Optional

import torch
from torch import nn

CRITIC_PHASE, GENERATOR_PHASE = "critic", "generator"


class MissingExtra(RuntimeError):
    """The objective asked for an extra (inputs, the critic, an embedding) this batch does not carry."""


class LossTerms(NamedTuple):
    """`critic`: the loss the critic minimises; `generator`: the loss the generator minimises
    (its graph runs through the fake outputs); `estimate`: the distance the critic's value
    estimates (detached); `logged`: further scalars for metrics.csv, named in the info's
    `logged` (a gradient penalty, a state variable)."""

    critic: torch.Tensor
    generator: torch.Tensor
    estimate: torch.Tensor
    logged: Mapping[str, torch.Tensor] = MappingProxyType({})


@dataclass(frozen=True)
class ObjectiveInfo:
    """What the report, the figures and the theory experiments need to know about an objective;
    written into run.json under `objective`, so the report reads it from files.

    estimate: the name of the logged estimate (an axis label), e.g. "W-estimate".
    unit: its unit, e.g. "critic units" (a clipped critic's W is known up to a constant) or "nats".
    label: a short name for legends, e.g. "GAN, E[−log D]".
    reference: a value worth a line on the estimate's axis (log 2 for the JS estimate), or None.
    reference_label: that line's label.
    output: what the critic's raw output is: "value" (a critic f(x)) or "logit" (a discriminator's).
    logged: extra scalars `LossTerms.logged` carries, written as metrics.csv columns.
    energy_critic: the objective reads the critic's output as an energy (>= 0, low on the data):
        it needs an energy critic (critic=autoencoder), and other objectives need another.
    rank: the display order in reports (lower first; the papers' WGAN 0, -log D GAN 1, minimax GAN
        2; the others keep the default and follow by name).
    """

    estimate: str
    unit: str
    label: str = ""
    reference: Optional[float] = None
    reference_label: str = ""
    output: str = "value"
    logged: tuple = ()
    energy_critic: bool = False
    rank: int = 100

    def to_json(self) -> dict:
        return {**asdict(self), "logged": list(self.logged)}


@dataclass
class CriticBatch:
    """The critic's raw outputs on a real and a fake batch, with the extras an objective may ask for.

    `real_out`, `fake_out`: shape (N,) floats. `phase`: "critic" or "generator". `real`, `fake`:
    the inputs (None where the caller has only outputs). `state`: the objective's own tensors,
    kept by the trainer and saved in its checkpoint. `rng`: the generator for any randomness the
    objective draws (its state is checkpointed too, so a resumed run draws the same numbers).
    """

    real_out: torch.Tensor
    fake_out: torch.Tensor
    phase: str = CRITIC_PHASE
    real: Optional[torch.Tensor] = None
    fake: Optional[torch.Tensor] = None
    critic: Optional[nn.Module] = None
    state: dict = field(default_factory=dict)
    rng: Optional[torch.Generator] = None

    @property
    def critic_phase(self) -> bool:
        return self.phase == CRITIC_PHASE

    def interpolate_gradients(self) -> torch.Tensor:
        """d critic / d x at x = eps real + (1 - eps) fake, one eps ~ U[0, 1] per sample (WGAN-GP),
        flattened per sample to shape (N, D), with its graph kept so a penalty on it trains the critic."""
        if self.real is None or self.fake is None or self.critic is None:
            raise MissingExtra("this objective needs the critic and its inputs (CriticBatch.real, .fake, .critic)")
        real, fake = self.real.detach().float(), self.fake.detach().float()
        n = real.shape[0]
        eps = torch.rand((n,) + (1,) * (real.dim() - 1), generator=self.rng, device=real.device)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        out = self.critic(mixed).float()          # elementwise ops keep the inputs' memory format
        (grad,) = torch.autograd.grad(out.sum(), mixed, create_graph=True)
        return grad.reshape(n, -1)

    def critic_features(self, which: str) -> torch.Tensor:
        """The critic's last hidden layer on the "real" or the "fake" batch (its `features`), with its graph."""
        x = self.real if which == "real" else self.fake
        if x is None or self.critic is None or not hasattr(self.critic, "features"):
            raise MissingExtra("this objective needs the critic's intermediate features (critic=dcgan or mlp)")
        return self.critic.features(x)

    def fake_embeddings(self) -> torch.Tensor:
        """The critic's embedding of the fake batch, with its graph (an autoencoder critic's `encode`)."""
        if self.fake is None or self.critic is None or not hasattr(self.critic, "encode"):
            raise MissingExtra("this objective needs an autoencoder critic's embedding (critic=autoencoder)")
        return self.critic.encode(self.fake)


@dataclass
class Objective:
    """A registered objective with its options bound, and its info."""

    name: str
    fn: object
    options: dict
    info: ObjectiveInfo

    def __call__(self, batch: CriticBatch) -> LossTerms:
        return self.fn(batch, **self.options)

    def of(self, real_out: torch.Tensor, fake_out: torch.Tensor, phase: str = CRITIC_PHASE) -> LossTerms:
        """The terms from the critic's outputs alone (objectives that need no extras)."""
        return self(CriticBatch(real_out, fake_out, phase))
