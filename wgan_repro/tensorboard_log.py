"""TensorBoard logging of a run (`train.tensorboard=true`): the scalars of metrics.csv at the
same steps (generator iterations) and the sample grids, into `<run folder>/tb/`.

    tensorboard --logdir results/runs          # every run's curves side by side

A resumed run appends to the same event files: the writer is opened with `purge_step` at the
first iteration after the checkpoint, so the events a killed run wrote past its checkpoint are
discarded, as its metrics.csv rows are, and no step is logged twice. TensorBoard is an optional
dependency (`pip install -e ".[tensorboard]"`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import torch

from wgan_repro.registry import ConfigError

TB_DIR = "tb"
NOT_SCALARS = ("iter",)


def check_available() -> None:
    """ConfigError (one line) when TensorBoard is asked for but not installed."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ConfigError("train.tensorboard=true needs the tensorboard package: pip install -e \".[tensorboard]\" "
                          "(or set train.tensorboard=false)") from None


class TensorBoardLog:
    """Writes metrics rows and sample grids as TensorBoard events."""

    def __init__(self, run_dir: Path, resume_iter: Optional[int] = None):
        check_available()
        from torch.utils.tensorboard import SummaryWriter

        purge = resume_iter + 1 if resume_iter is not None else None
        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / TB_DIR), purge_step=purge)

    def rows(self, rows: list[dict]) -> None:
        """Every finite numeric column of each row, at step `iter`."""
        for row in rows:
            step = int(row["iter"])
            for key, value in row.items():
                if key in NOT_SCALARS or isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                if math.isfinite(value):
                    self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def images(self, name: str, images: torch.Tensor, step: int) -> None:
        """A grid of images in [-1, 1] (as the sample PNGs), at step `step`."""
        from torchvision.utils import make_grid

        grid = make_grid(images.detach().float().cpu(), nrow=8, padding=2, normalize=True, value_range=(-1, 1))
        self.writer.add_image(name, grid, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
