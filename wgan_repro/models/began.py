"""BEGAN's generator (Berthelot et al. 2017, section 3.4): "the same architecture (though not the
same weights) as the discriminator decoder": a fully connected layer from the noise to an 8x8
map of `ngf` filters, then blocks of two 3x3 convolutions with ELU and nearest-neighbour
upsampling up to the image size, no BatchNorm, and a last 3x3 convolution to the image channels.
A tanh keeps the samples in the data's [-1, 1], as every other generator here does (the paper's
decoder has no output nonlinearity).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from wgan_repro.models import GENERATORS
from wgan_repro.models.autoencoder import _conv_block
from wgan_repro.models.dcgan import _check_image_shape


class BEGANGenerator(nn.Module):
    """Maps noise (N, nz) to images in [-1, 1] of shape (N, C, S, S) through BEGAN's decoder."""

    def __init__(self, data_shape: tuple, nz: int, ngf: int):
        super().__init__()
        channels, size = _check_image_shape(data_shape, "model=began")
        self.ngf = ngf
        self.from_noise = nn.Linear(nz, ngf * 64)          # no nonlinearity, as the decoder's bottleneck
        layers: list[nn.Module] = []
        for _ in range(int(math.log2(size)) - 3):
            layers += _conv_block(ngf, ngf) + [nn.Upsample(scale_factor=2, mode="nearest")]
        layers += _conv_block(ngf, ngf) + [nn.Conv2d(ngf, channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.from_noise(z.reshape(z.shape[0], -1)).view(z.shape[0], self.ngf, 8, 8))


@GENERATORS.register("began")
def began_generator(data_shape: tuple, nz: int, ngf: int) -> BEGANGenerator:
    """BEGAN's generator: the autoencoder critic's decoder architecture (conf/model/began.yaml).

    nz: the noise dimension (BEGAN's N_z).
    ngf: filters of every convolution (BEGAN's n).
    """
    return BEGANGenerator(data_shape, nz, ngf)
