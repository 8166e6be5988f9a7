"""Minibatch discrimination (Salimans et al. 2016, Sec. 3.2): a critic layer that lets each
sample's score depend on how close the other samples of its batch are to it, so a generator
that collapses its batch onto a few points is easy to tell apart.

For features f(x_i) in R^A and a learned tensor T in R^{A x B x C}: M_i = f(x_i) T in R^{B x C},
c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1), o(x_i)_b = sum_j c_b(x_i, x_j) (j over the batch,
itself included), and the layer returns [f(x_i), o(x_i)] (A + B features). The critic is called
on real and fake batches separately, so each is compared only with its own kind."""
from __future__ import annotations

import torch
from torch import nn


class MinibatchDiscrimination(nn.Module):
    def __init__(self, in_features: int, kernels: int, kernel_dim: int):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def closeness(self, features: torch.Tensor) -> torch.Tensor:
        """o(x_i) of shape (N, B): for each kernel, the summed similarity of x_i to every sample of the batch."""
        m = (features @ self.T).view(-1, self.kernels, self.kernel_dim)           # (N, B, C)
        distances = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(3)              # (N, N, B)
        return torch.exp(-distances).sum(1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.cat([features, self.closeness(features)], dim=1)
