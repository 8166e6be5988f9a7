"""MLP generator and critic: ReLU hidden layers of equal width (the WGAN paper's Fig. 7 uses
4 layers of 512 units). The generator ends in tanh for images (data in [-1, 1]) and is
linear for 2-D points."""
from __future__ import annotations

import math

import torch
from torch import nn

from wgan_repro.models import CRITICS, GENERATORS
from wgan_repro.models.minibatch import MinibatchDiscrimination
from wgan_repro.models.norms import apply_spectral_norm, check_norm, feature_norm
from wgan_repro.registry import ConfigError


def _mlp(n_in: int, n_out: int, hidden: int, layers: int, norm: str = "none") -> nn.Sequential:
    if hidden < 1 or layers < 1:
        raise ConfigError(f"an MLP needs hidden >= 1 and layers >= 1, got hidden={hidden}, layers={layers}")
    widths = [n_in] + [hidden] * layers
    modules: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        modules += [nn.Linear(a, b), *feature_norm(norm, b, image=False), nn.ReLU(True)]
    modules.append(nn.Linear(widths[-1], n_out))
    return nn.Sequential(*modules)


class MLPGenerator(nn.Module):
    """Maps noise (N, nz) to samples of `data_shape`."""

    def __init__(self, data_shape: tuple, nz: int, hidden: int, layers: int):
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.nz = nz
        self.net = _mlp(nz, math.prod(self.data_shape), hidden, layers)
        self.out = nn.Tanh() if len(self.data_shape) == 3 else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(z.view(z.shape[0], self.nz))).view(z.shape[0], *self.data_shape)


class MLPCritic(nn.Module):
    """Maps samples of `data_shape` to one unbounded score each, shape (N,)."""

    def __init__(self, data_shape: tuple, hidden: int, layers: int, norm: str = "none", minibatch_kernels: int = 0,
                 minibatch_dim: int = 5):
        super().__init__()
        check_norm(norm, "critic=mlp")
        self.net = _mlp(math.prod(data_shape), 1, hidden, layers, norm)
        self.minibatch = None
        if minibatch_kernels > 0:          # the output layer reads [features, closeness]
            self.minibatch = MinibatchDiscrimination(hidden, minibatch_kernels, minibatch_dim)
            self.net[-1] = nn.Linear(hidden + minibatch_kernels, 1)
        if norm == "spectral":
            apply_spectral_norm(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations (N, hidden): feature matching's input."""
        return self.net[:-1](x.reshape(x.shape[0], -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.minibatch is not None:
            return self.net[-1](self.minibatch(self.features(x))).view(-1)
        return self.net(x.reshape(x.shape[0], -1)).view(-1)


@GENERATORS.register("mlp")
def mlp_generator(data_shape: tuple, nz: int, hidden: int, layers: int) -> MLPGenerator:
    """MLP generator of ReLU layers (conf/model/mlp.yaml: the WGAN paper's Fig. 7, 4 x 512).

    nz: noise dimension (arch.nz).
    hidden: units per hidden layer.
    layers: hidden layers.
    """
    return MLPGenerator(data_shape, nz, hidden, layers)


@CRITICS.register("mlp", compat={"added": {"norm": "none", "minibatch_kernels": 0, "minibatch_dim": 5}})
def mlp_critic(data_shape: tuple, hidden: int, layers: int, norm: str, minibatch_kernels: int,
               minibatch_dim: int) -> MLPCritic:
    """MLP critic of ReLU layers (conf/critic/mlp.yaml: the WGAN paper's 4 x 512).

    hidden: units per hidden layer.
    layers: hidden layers.
    norm: after each hidden layer: none (the paper's), batch, layer, or spectral (every linear layer
        spectrally normalized).
    minibatch_kernels: B, the kernels of a minibatch discrimination layer before the output
        (Salimans et al. 2016; 0: none).
    minibatch_dim: C, the dimension of each kernel.
    """
    if minibatch_kernels < 0 or minibatch_dim < 1:
        raise ConfigError(f"critic.minibatch_kernels={minibatch_kernels} must be >= 0 and critic.minibatch_dim={minibatch_dim} >= 1")
    return MLPCritic(data_shape, hidden, layers, norm, minibatch_kernels, minibatch_dim)
