"""Pieces shared by the theory experiments: the run's output files, a critic (or discriminator)
trained on two sample sets, gradient norms, measurement schedules and a rank correlation.

Every experiment is a function `experiment(run: TheoryRun, **options) -> dict` registered in
`wgan_repro.theory`; it writes its figure and CSV through `run` and returns its headline
numbers with a `finding` sentence built from them.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import pandas as pd
import torch
from omegaconf import DictConfig, OmegaConf
from torch import nn

from wgan_repro.config import OptimConfig
from wgan_repro.critic_update import critic_update
from wgan_repro.objectives import LossTerms, Objective, get_objective, loss_preset
from wgan_repro.presets import preset
from wgan_repro.run_files import atomic_write_bytes, write_json
from wgan_repro.run_layout import SUMMARY_FILE
from wgan_repro.train import build_optimizer

log = logging.getLogger("wgan_repro.theory")


@dataclass
class TheoryRun:
    """Where and on what one theory experiment runs, and how it writes its files.

    `cfg` is the whole validated run config: the image experiments take their data, networks,
    sizes and generator training from it; the toy experiments only their seed and device.
    """

    cfg: DictConfig
    run_dir: Path
    device: torch.device

    @property
    def seed(self) -> int:
        return int(self.cfg.seed)

    def rng(self, offset: int = 0) -> torch.Generator:
        """A torch generator on the run's device, seeded from the run's seed plus `offset`."""
        return torch.Generator(device=self.device).manual_seed(self.seed + offset)

    def save_figure(self, fig, name: str = "figure.png", dpi: int = 150) -> Path:
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        path = self.run_dir / name
        atomic_write_bytes(path, buffer.getvalue())
        return path

    def write_csv(self, frame: pd.DataFrame, name: str) -> Path:
        path = self.run_dir / name
        atomic_write_bytes(path, frame.to_csv(index=False, float_format="%.6g").encode())
        return path

    def write_summary(self, summary: dict) -> Path:
        path = self.run_dir / SUMMARY_FILE
        write_json(path, summary)
        return path


def pyplot():
    """matplotlib.pyplot on the Agg backend, with the house style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8,
                         "axes.grid": True, "grid.alpha": 0.3})
    return plt


def figure(nrows: int, ncols: int, width: float = 4.2, height: float = 3.4):
    """A figure of `nrows` x `ncols` panels (a 2-D array of axes)."""
    fig, axes = pyplot().subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def paper_optimizer(objective: str, params, lr: float) -> torch.optim.Optimizer:
    """The optimizer of objective `objective`'s YAML file (conf/loss/<name>.yaml: RMSProp for the
    clipped critic, DCGAN's Adam for the GAN discriminator, ...) at learning rate `lr`."""
    settings = OmegaConf.merge(OmegaConf.structured(OptimConfig), loss_preset(objective)["optim"])
    settings.lr = lr
    return build_optimizer(settings, params)


def objective_clip(objective: str, clip: Optional[float]) -> Optional[float]:
    """`clip` for an objective whose YAML file clips the critic's weights (WGAN), else None."""
    return clip if loss_preset(objective).get("clip") is not None else None


def is_discriminator(objective: str) -> bool:
    """Whether the objective's critic outputs a logit (a GAN discriminator, with an accuracy)."""
    return get_objective(objective).info.output == "logit"


def fresh_mlp(dim: int, hidden: int, layers: int, seed: int, device) -> nn.Module:
    """A freshly initialised (seeded) `mlp` critic of the project on `dim`-D points."""
    from wgan_repro.models import build_critic

    torch.manual_seed(seed)
    return build_critic({**preset("critic", "mlp"), "hidden": hidden, "layers": layers}, (dim,)).to(device)


def train_critic(critic: nn.Module, real: Callable[[], torch.Tensor], fake: Callable[[], torch.Tensor], *,
                 loss: "str | Objective", steps: int, optimizer: torch.optim.Optimizer, clip: Optional[float] = None,
                 noise_std: float = 0.0, noise_rng: Optional[torch.Generator] = None, state: Optional[dict] = None,
                 measure: Optional[Callable[[int], None]] = None, measure_at: Iterable[int] = ()) -> LossTerms:
    """Train `critic` for `steps` updates of objective `loss` (a name or a built objective) on
    batches from `real()` and `fake()`, each through the training loop's own critic update.

    `clip` clamps its weights after every step (WGAN); `noise_std` > 0 adds N(0, noise_std^2)
    to both inputs (instance noise). `state` is the objective's own state (BEGAN's k_t), carried
    from step to step as the trainer carries it. `measure(step)` is called after the steps listed in
    `measure_at` (0: before the first update). Returns the loss terms of the last step.
    """
    objective = get_objective(loss) if isinstance(loss, str) else loss
    state = {} if state is None else state
    measure_at = set(measure_at)
    if measure and 0 in measure_at:
        measure(0)
    terms = None
    for step in range(1, steps + 1):
        terms, _, _ = critic_update(critic, optimizer, objective, real(), fake(), clip=clip, rng=noise_rng,
                                    noise_std=noise_std, state=state)
        if measure and step in measure_at:
            measure(step)
    return terms


def grad_norm(loss: torch.Tensor, params: Sequence[torch.Tensor], retain_graph: bool = False) -> float:
    """The L2 norm of d loss / d params, all parameters concatenated."""
    grads = torch.autograd.grad(loss, list(params), retain_graph=retain_graph, allow_unused=True)
    return float(torch.sqrt(sum((g.detach().double() ** 2).sum() for g in grads if g is not None)))


def log_steps(steps: int, points: int) -> list[int]:
    """About `points` distinct iteration numbers spaced evenly on a log axis from 1 to `steps`."""
    return sorted({int(round(s)) for s in np.geomspace(1, max(steps, 1), max(points, 2))})


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (ties get their average rank)."""
    rx, ry = pd.Series(list(x)).rank().to_numpy(), pd.Series(list(y)).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def fmt(value: float, digits: int = 3) -> str:
    """A number for a finding sentence: fixed point when moderate, scientific otherwise."""
    if value == 0 or not np.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}" if 1e-3 <= abs(value) < 1e5 else f"{value:.{max(digits - 1, 1)}e}"
