"""One critic (discriminator) update, the same for training and for the theory experiments: the
critic's outputs on a real and a fake batch, the objective's critic loss (a gradient penalty
included when the objective asks for one), one optimizer step, then weight clipping when the
objective clips (Algorithm 1 of the WGAN paper: every parameter, BatchNorm's too, in [-c, c])."""
from __future__ import annotations

import contextlib
from typing import Callable, Optional

import torch
from torch import nn

from wgan_repro.objectives import CRITIC_PHASE, CriticBatch, LossTerms, Objective
from wgan_repro.regularizers import HistoricalAverage, add_instance_noise


@torch.no_grad()
def clip_parameters(module: nn.Module, clip: Optional[float]) -> None:
    """Clamp every parameter of `module` to [-clip, clip]; nothing when `clip` is None."""
    if clip is not None:
        for p in module.parameters():
            p.clamp_(-clip, clip)


def critic_update(critic: nn.Module, optimizer: torch.optim.Optimizer, objective: Objective,
                  real: torch.Tensor, fake: torch.Tensor, *, clip: Optional[float] = None,
                  state: Optional[dict] = None, rng: Optional[torch.Generator] = None,
                  autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                  noise_std: float = 0.0, averaging: Optional[HistoricalAverage] = None,
                  ) -> tuple[LossTerms, torch.Tensor, torch.Tensor]:
    """Update `critic` once on `real` and `fake` (already detached from the generator); returns the
    loss terms and the detached outputs on both batches. `state` and `rng` go to the objective
    (its checkpointed state and random numbers); `autocast` wraps the forward passes;
    `noise_std` > 0 adds instance noise (from `rng`) to both inputs; `averaging` adds its
    historical-averaging penalty to the critic's loss and updates its mean after the step."""
    real, fake = add_instance_noise(real, noise_std, rng), add_instance_noise(fake, noise_std, rng)
    with autocast():
        real_out, fake_out = critic(real).float(), critic(fake).float()
    batch = CriticBatch(real_out, fake_out, CRITIC_PHASE, real=real, fake=fake, critic=critic,
                        state=state if state is not None else {}, rng=rng)
    terms = objective(batch)
    optimizer.zero_grad(set_to_none=True)
    (terms.critic + averaging.penalty() if averaging is not None else terms.critic).backward()
    optimizer.step()
    clip_parameters(critic, clip)
    if averaging is not None:
        averaging.update()
    return terms, real_out.detach(), fake_out.detach()
