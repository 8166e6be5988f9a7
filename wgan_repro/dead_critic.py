"""A warning for a critic that has died: its output no longer depends on its input, so the
estimate is stuck and the generator gets no gradient, while the run goes on as if nothing were
wrong. The sign is that the critic's mean outputs on the real and on the fake batch are exactly
equal, iteration after iteration (a constant function gives the same mean on any batch; a live
critic essentially never does). A clipped ReLU critic can get there when every unit of one
layer is pushed inactive on all inputs: no gradient then reaches the layers below, and none
brings it back."""
from __future__ import annotations

import logging
from typing import Iterable, Optional

log = logging.getLogger("wgan_repro.train")

PATIENCE = 50    # consecutive logged rows with equal outputs before the warning


class DeadCriticWatch:
    """Fed the logged rows (host floats); warns once, after `patience` consecutive rows whose
    `critic_real` equals `critic_fake` exactly. Returns the warning when it is given."""

    def __init__(self, patience: int = PATIENCE):
        self.patience = patience
        self.streak = 0
        self.warned = False

    def rows(self, rows: Iterable[dict]) -> Optional[str]:
        for row in rows:
            self.streak = self.streak + 1 if row["critic_real"] == row["critic_fake"] else 0
            if self.streak >= self.patience and not self.warned:
                self.warned = True
                message = (f"the critic is dead: its output has not depended on its input for {self.streak} logged "
                           f"iterations (mean output {row['critic_real']:.6g} on real and fake batches alike, estimate "
                           f"{row['estimate']:.6g} up to iteration {row['iter']}), so the generator gets no gradient. "
                           "Start again with another seed, a smaller loss.optim.lr or a larger loss.clip")
                log.warning(message)
                return message
        return None
