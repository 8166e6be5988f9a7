"""The autoencoder critic of the energy-based GANs (EBGAN, Zhao et al. 2017; BEGAN, Berthelot et
al. 2017): an encoder to an embedding and a decoder back to the input; its output is the
per-sample energy, the reconstruction error averaged over the input's entries (mean absolute
error for BEGAN's L1, mean squared error for EBGAN's), shape (N,) and >= 0.

Images: BEGAN's form: 3x3 convolutions with ELU, no BatchNorm, stride-2 convolutions down to
8x8, a fully connected bottleneck without nonlinearity (to and from the embedding), and
nearest-neighbour upsampling back. 2-D points: an MLP encoder and decoder of ReLU layers.
`encode(x)` returns the embedding (the pull-away term's input).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wgan_repro.models import CRITICS
from wgan_repro.models.dcgan import _check_image_shape
from wgan_repro.models.init import apply_init
from wgan_repro.models.mlp import _mlp
from wgan_repro.registry import ConfigError

ENERGIES = ("l1", "l2")


def _conv_block(c_in: int, c_out: int) -> list:
    return [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.ELU(True), nn.Conv2d(c_out, c_out, 3, 1, 1), nn.ELU(True)]


def began_decoder_layers(width: int, channels: int, n_up: int) -> list:
    """BEGAN's decoder from an 8x8 map of `width` filters: `n_up` blocks of two 3x3 ELU
    convolutions and a nearest-neighbour upsampling, one more block, a 3x3 convolution to
    `channels` (shared by the autoencoder critic and BEGAN's generator)."""
    layers: list[nn.Module] = []
    for _ in range(n_up):
        layers += _conv_block(width, width) + [nn.Upsample(scale_factor=2, mode="nearest")]
    return layers + _conv_block(width, width) + [nn.Conv2d(width, channels, 3, 1, 1)]


class EnergyCritic(nn.Module):
    """Shared by both forms: energy = mean over entries of |x - decode(encode(x))| (l1) or its square (l2)."""

    energy_kind = "l1"

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        error = self.reconstruct(x).float() - x.float()
        error = error.abs() if self.energy_kind == "l1" else error * error
        return error.reshape(x.shape[0], -1).mean(1)


class ConvAutoencoderCritic(EnergyCritic):
    """Images (N, C, S, S): BEGAN's encoder and decoder with `ndf` filters per block (n, 2n, 3n, ...)."""

    def __init__(self, data_shape: tuple, ndf: int, embed_dim: int, energy: str):
        super().__init__()
        channels, size = _check_image_shape(data_shape, "critic=autoencoder")
        self.energy_kind, self.ndf = energy, ndf
        n_down = int(math.log2(size)) - 3                  # down to 8x8
        enc: list[nn.Module] = [nn.Conv2d(channels, ndf, 3, 1, 1), nn.ELU(True)]
        width = ndf
        for i in range(n_down):
            enc += _conv_block(width, ndf * (i + 1)) + [nn.Conv2d(ndf * (i + 1), ndf * (i + 2), 3, 2, 1), nn.ELU(True)]
            width = ndf * (i + 2)
        enc += _conv_block(width, width)
        self.encoder = nn.Sequential(*enc)
        self.to_embedding = nn.Linear(width * 64, embed_dim)       # no nonlinearity at the bottleneck
        self.from_embedding = nn.Linear(embed_dim, ndf * 64)
        self.decoder = nn.Sequential(*began_decoder_layers(ndf, channels, n_down))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_embedding(self.encoder(x).flatten(1))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.from_embedding(h).view(h.shape[0], self.ndf, 8, 8))


class MLPAutoencoderCritic(EnergyCritic):
    """Points (N, D): MLP encoder and decoder of `layers` ReLU layers of `hidden` units."""

    def __init__(self, data_shape: tuple, hidden: int, layers: int, embed_dim: int, energy: str):
        super().__init__()
        self.energy_kind, self.dim = energy, math.prod(data_shape)
        self.encoder = _mlp(self.dim, embed_dim, hidden, layers)
        self.decoder = _mlp(embed_dim, self.dim, hidden, layers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.reshape(x.shape[0], -1))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)).view_as(x)


@CRITICS.register("autoencoder", {"energy": True})
def autoencoder_critic(data_shape: tuple, ndf: int, embed_dim: int, energy: str, hidden: int,
                       layers: int, init: str) -> EnergyCritic:
    """An autoencoder whose output is the per-sample reconstruction error: the critic of
    loss=ebgan and loss=began (conf/critic/autoencoder.yaml).

    ndf: filters of the first block (images); blocks have ndf, 2 ndf, 3 ndf, ... filters.
    embed_dim: size of the embedding (BEGAN's h; the pull-away term's input).
    energy: "l1" (mean absolute error, BEGAN) or "l2" (mean squared error, EBGAN's MSE).
    hidden: units per layer of the MLP form (2-D points).
    layers: ReLU layers of the MLP encoder and of the decoder (2-D points).
    init: "default" (PyTorch's init) or "glorot" (Glorot-uniform weights, zero biases), for both
        forms; models/init.py says why it matters for BEGAN's deep ELU stacks.
    """
    if energy not in ENERGIES:
        raise ConfigError(f"critic.energy={energy!r} must be l1 or l2")
    if embed_dim < 1 or ndf < 1:
        raise ConfigError(f"critic.embed_dim={embed_dim} and critic.ndf={ndf} must be >= 1")
    if len(data_shape) == 3:
        critic: EnergyCritic = ConvAutoencoderCritic(data_shape, ndf, embed_dim, energy)
    else:
        critic = MLPAutoencoderCritic(data_shape, hidden, layers, embed_dim, energy)
    apply_init(critic, init, "critic.init")
    return critic


def pull_away_term(embeddings: torch.Tensor) -> torch.Tensor:
    """EBGAN's pull-away term: the mean over pairs i != j of the squared cosine similarity of the
    embeddings (N, D): 0 for orthogonal embeddings, 1 for identical (or parallel) ones."""
    n = embeddings.shape[0]
    if n < 2:
        return embeddings.new_zeros(())
    unit = F.normalize(embeddings.float(), dim=1)
    cosine = unit @ unit.t()
    return ((cosine ** 2).sum() - (cosine.diagonal() ** 2).sum()) / (n * (n - 1))
