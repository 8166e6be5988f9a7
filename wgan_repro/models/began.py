"""BEGAN's generator (Berthelot et al. 2017, section 3.4): "the same architecture (though not the
same weights) as the discriminator decoder": a fully connected layer from the noise to an 8x8
map of `ngf` filters, then blocks of two 3x3 convolutions with ELU and nearest-neighbour
upsampling up to the image size, no BatchNorm, and a last 3x3 convolution to the image channels.
A tanh keeps the samples in the data's [-1, 1], as every other generator here does (the paper's
decoder has no output nonlinearity). The paper draws z uniformly in [-1, 1]; the trainer draws
z ~ N(0, 1) for every generator, and `uniform_noise` turns it into the paper's noise exactly:
2 Phi(z) - 1 ~ U(-1, 1), with Phi the normal CDF.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from wgan_repro.models import GENERATORS
from wgan_repro.models.autoencoder import began_decoder_layers
from wgan_repro.models.dcgan import _check_image_shape
from wgan_repro.models.init import apply_init


class BEGANGenerator(nn.Module):
    """Maps noise (N, nz) to images in [-1, 1] of shape (N, C, S, S) through BEGAN's decoder."""

    def __init__(self, data_shape: tuple, nz: int, ngf: int, uniform_noise: bool = False):
        super().__init__()
        channels, size = _check_image_shape(data_shape, "model=began")
        self.ngf, self.uniform_noise = ngf, uniform_noise
        self.from_noise = nn.Linear(nz, ngf * 64)          # no nonlinearity, as the decoder's bottleneck
        self.net = nn.Sequential(*began_decoder_layers(ngf, channels, int(math.log2(size)) - 3), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z.reshape(z.shape[0], -1)
        if self.uniform_noise:                 # N(0, 1) -> U(-1, 1) through the normal CDF
            z = torch.erf(z / math.sqrt(2.0))
        return self.net(self.from_noise(z).view(z.shape[0], self.ngf, 8, 8))


@GENERATORS.register("began")
def began_generator(data_shape: tuple, nz: int, ngf: int, uniform_noise: bool, init: str) -> BEGANGenerator:
    """BEGAN's generator: the autoencoder critic's decoder architecture (conf/model/began.yaml).

    nz: the noise dimension (BEGAN's N_z).
    ngf: filters of every convolution (BEGAN's n).
    uniform_noise: feed the layers U(-1, 1) noise, the paper's, made from the trainer's N(0, 1)
        noise as 2 Phi(z) - 1 (False: the N(0, 1) noise itself, as the other generators).
    init: "default" (PyTorch's init) or "glorot" (Glorot-uniform weights, zero biases; models/init.py).
    """
    generator = BEGANGenerator(data_shape, nz, ngf, uniform_noise)
    apply_init(generator, init, "model.init")
    return generator
