"""Training options that any objective can take, kept apart from the objectives (compare_gan's
habit): instance noise (Arjovsky and Bottou 2017, Sec. 3; Sonderby et al. 2016) and historical
averaging (Salimans et al. 2016, Sec. 3.3). Their settings are `loss.instance_noise` and
`loss.historical_averaging` (conf/config.yaml holds the defaults, off)."""
from __future__ import annotations

from typing import Iterable, Optional

import torch


def instance_noise_std(std: float, anneal_iters: int, gen_iter: int) -> float:
    """The noise scale at generator iteration `gen_iter` (0-based): `std`, falling linearly to 0
    over `anneal_iters` iterations (0: constant)."""
    if std <= 0:
        return 0.0
    if anneal_iters <= 0:
        return float(std)
    return float(std) * max(0.0, 1.0 - gen_iter / anneal_iters)


def add_instance_noise(x: torch.Tensor, std: float, rng: Optional[torch.Generator]) -> torch.Tensor:
    """x + N(0, std^2) drawn from `rng` (x itself when std is 0, so no random number is drawn)."""
    if std <= 0:
        return x
    return x + std * torch.randn(x.shape, generator=rng, device=x.device, dtype=x.dtype)


class HistoricalAverage:
    """The penalty weight * ||theta - mean of theta over past steps||^2 on a set of parameters.
    The running mean is updated after every optimizer step and saved in the checkpoint."""

    def __init__(self, params: Iterable[torch.nn.Parameter], weight: float):
        self.params = list(params)
        self.weight = float(weight)
        self.means = [p.detach().clone() for p in self.params]
        self.count = 1

    def penalty(self) -> torch.Tensor:
        return self.weight * sum(((p - m) ** 2).sum() for p, m in zip(self.params, self.means))

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for p, m in zip(self.params, self.means):
            m.add_((p.detach() - m) / self.count)

    def state_dict(self) -> dict:
        return {"means": [m.clone() for m in self.means], "count": torch.tensor(self.count)}

    def load_state_dict(self, state: dict) -> None:
        for m, saved in zip(self.means, state["means"]):
            m.copy_(saved)
        self.count = int(state["count"])
