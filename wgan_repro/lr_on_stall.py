"""Halving the learning rates when the objective's estimate stalls (BEGAN, Berthelot et al. 2017,
Sec. 4: "a learning rate of 0.0001, decayed by a factor of 2 when the measure of convergence
stalls"). The setting is `loss.lr_on_stall` (conf/config.yaml; off by default).

The estimate is averaged over windows of `window` generator iterations (warm-up iterations
included). At the end of a window its mean is compared with the best window mean so far: unless
it is lower by more than `min_drop` (a share of the best's size), both networks' learning rates
are multiplied by `factor`. The first window is the baseline and is never a stall; a window
whose mean is not finite (a diverging run) is skipped. There is no floor on the rate. Only
meaningful for an estimate that falls as training converges (BEGAN's M_global, a W-estimate
after its first rise); an estimate clipped at 0 (EBGAN's TV) would stall once it reaches 0. The
tracker's state goes into the checkpoint, and the optimizers' state holds the learning rates,
so a resumed run halves at the same iterations.
"""
from __future__ import annotations

import logging
import math
from typing import Iterable, Optional

import torch

log = logging.getLogger("wgan_repro.train")


class StallHalving:
    """Multiplies the learning rates by `factor` after every window whose mean estimate did not
    fall below the best window mean by `min_drop` x |best|.

    Fed the estimate of every generator iteration as a device tensor: it is summed on the device
    and read once per window, so the training loop does not wait on it."""

    def __init__(self, window: int, min_drop: float, factor: float):
        self.window, self.min_drop, self.factor = window, min_drop, factor
        self.total: Optional[torch.Tensor] = None
        self.count = 0
        self.best: Optional[float] = None
        self.halvings: list[int] = []           # the generator iterations at which the rates were cut

    def observe(self, gen_iter: int, estimate: torch.Tensor, optimizers: Iterable[torch.optim.Optimizer]) -> bool:
        """Add the estimate of generator iteration `gen_iter`; at the end of a window (`gen_iter` a
        multiple of `window`), cut the rates if it stalled. Returns whether they were cut."""
        value = estimate.detach().double()
        self.total = value if self.total is None else self.total + value
        self.count += 1
        if gen_iter % self.window:
            return False
        mean = float(self.total) / self.count
        self.total, self.count = None, 0
        if not math.isfinite(mean):
            return False
        if self.best is None or mean < self.best - self.min_drop * abs(self.best):
            self.best = mean
            return False
        rates = []
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] *= self.factor
                rates.append(group["lr"])
        self.halvings.append(gen_iter)
        log.info("estimate stalled (mean %.4g over the %d iterations to %d, best window %.4g): learning rates x %g -> %s",
                 mean, self.window, gen_iter, self.best, self.factor, ", ".join(f"{r:.3g}" for r in dict.fromkeys(rates)))
        self.best = min(self.best, mean)
        return True

    def state_dict(self) -> dict:
        return {"total": self.total, "count": self.count, "best": self.best, "halvings": list(self.halvings)}

    def load_state_dict(self, state: dict) -> None:
        self.total, self.count = state["total"], state["count"]
        self.best, self.halvings = state["best"], list(state["halvings"])


def build_stall_halving(cfg) -> Optional[StallHalving]:
    """The tracker for a `loss.lr_on_stall` config section, or None when it is off."""
    if not cfg.enabled:
        return None
    return StallHalving(cfg.window, cfg.min_drop, cfg.factor)
