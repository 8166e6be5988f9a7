"""Virtual batch normalization (Salimans et al. 2016, Sec. 3.4): each example is normalized with
the statistics of a reference batch, chosen once at the start of training and fixed, together
with the example itself, so that an example's output no longer depends on the other examples of
its batch. The generator runs the reference batch through its layers first (each layer records
its statistics), then the real input."""
from __future__ import annotations

import torch
from torch import nn


class VirtualBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d's affine parameters (and DCGAN's init of them), normalized as above."""

    def __init__(self, channels: int):
        super().__init__(channels, track_running_stats=False)
        self.collect = False             # True during the reference pass
        self.reference = None            # (mean, mean of squares, size) of the reference batch, per channel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.collect or self.reference is None:
            mean, square = x.mean((0, 2, 3)), (x * x).mean((0, 2, 3))
            self.reference = (mean, square, x.shape[0])
            mean, square = mean.view(1, -1, 1, 1), square.view(1, -1, 1, 1)
        else:
            ref_mean, ref_square, n = self.reference
            mean = ((n * ref_mean + x.mean((2, 3))) / (n + 1))[:, :, None, None]
            square = ((n * ref_square + (x * x).mean((2, 3))) / (n + 1))[:, :, None, None]
        scale = torch.rsqrt((square - mean * mean).clamp_min(0) + self.eps)
        return (x - mean) * scale * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def reference_pass(module: nn.Module, run) -> None:
    """Run `run()` (the reference batch through `module`) with every VBN layer recording its statistics."""
    layers = [m for m in module.modules() if isinstance(m, VirtualBatchNorm2d)]
    for layer in layers:
        layer.collect = True
    try:
        run()
    finally:
        for layer in layers:
            layer.collect = False
