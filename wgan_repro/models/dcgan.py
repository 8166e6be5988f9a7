"""DCGAN generator and critic (Radford et al. 2016) at any power-of-two image size.

Generator: ConvTranspose(nz -> top, 4, 1, 0), then stride-2 ConvTranspose(4, 2, 1) + BN + ReLU
halving the channels up to half the image size, and a last ConvTranspose to the image
channels with tanh. Critic: the mirror image with LeakyReLU(0.2), no BN on the first layer
and a last Conv(4, 1, 0) to one number, with no sigmoid (the GAN objectives apply it inside
their loss). The paper's Fig. 6 generator drops BN and keeps `ngf` filters in every layer.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from wgan_repro.models import CRITICS, GENERATORS
from wgan_repro.models.minibatch import MinibatchDiscrimination
from wgan_repro.models.norms import apply_spectral_norm, check_norm, feature_norm
from wgan_repro.models.virtual_batchnorm import VirtualBatchNorm2d, reference_pass
from wgan_repro.registry import ConfigError


def _check_image_shape(data_shape: tuple, who: str) -> tuple[int, int]:
    if len(data_shape) != 3:
        raise ConfigError(
            f"{who} works on images but the data are {data_shape[0]}-D points: use {who.split('=')[0]}=mlp"
        )
    channels, height, width = data_shape
    if height != width or height < 8 or 2 ** round(math.log2(height)) != height:
        raise ConfigError(
            f"{who} needs square images whose side is a power of two >= 8, got {height}x{width}: "
            "set data.image_size to 16, 32, 64 or 128"
        )
    return channels, height


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN's init: conv weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """Maps noise of shape (N, nz) to images in [-1, 1] of shape (N, C, S, S)."""

    def __init__(self, data_shape: tuple, nz: int, ngf: int, batchnorm: bool = True,
                 constant_filters: bool = False, vbn: bool = False, reference_size: int = 64):
        super().__init__()
        channels, size = _check_image_shape(data_shape, "model=dcgan")
        norm = VirtualBatchNorm2d if vbn else nn.BatchNorm2d
        n_up = int(math.log2(size)) - 3           # stride-2 layers between 4x4 and S/2 x S/2
        widths = [ngf] * (n_up + 1) if constant_filters else [ngf * 2 ** (n_up - i) for i in range(n_up + 1)]
        bias = not batchnorm
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=bias)]
        layers += [norm(widths[0])] if batchnorm else []
        layers.append(nn.ReLU(True))
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias))
            layers += [norm(c_out)] if batchnorm else []
            layers.append(nn.ReLU(True))
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=bias), nn.Tanh()]
        self.nz = nz
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)
        self.vbn = vbn and batchnorm
        if self.vbn:        # the reference batch's noise, fixed at the start (a buffer: in the checkpoint)
            self.register_buffer("reference_noise", torch.randn(reference_size, nz))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.vbn:
            reference_pass(self, lambda: self.net(self.reference_noise.view(-1, self.nz, 1, 1)))
        return self.net(z.view(z.shape[0], self.nz, 1, 1))


class DCGANCritic(nn.Module):
    """Maps images (N, C, S, S) to one unbounded score each, shape (N,)."""

    def __init__(self, data_shape: tuple, ndf: int, norm: str = "batch", minibatch_kernels: int = 0,
                 minibatch_dim: int = 5):
        super().__init__()
        channels, size = _check_image_shape(data_shape, "critic=dcgan")
        check_norm(norm, "critic=dcgan")
        bias = norm != "batch"           # the DCGAN critic drops the biases that BatchNorm makes redundant
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=bias), nn.LeakyReLU(0.2, True)]
        width, side = ndf, size // 2
        while side > 4:
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=bias))
            layers += feature_norm(norm, width * 2, image=True)
            layers.append(nn.LeakyReLU(0.2, True))
            width, side = width * 2, side // 2
        self.minibatch = None
        if minibatch_kernels > 0:          # the last 4x4 convolution becomes [features, closeness] -> linear
            self.minibatch = MinibatchDiscrimination(width * 16, minibatch_kernels, minibatch_dim)
            self.head = nn.Linear(width * 16 + minibatch_kernels, 1)
        else:
            layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=bias))
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)
        if norm == "spectral":
            apply_spectral_norm(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, flattened (N, 16 * width): feature matching's input."""
        body = self.net if self.minibatch is not None else self.net[:-1]
        return body(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.minibatch is not None:
            return self.head(self.minibatch(self.features(x))).view(-1)
        return self.net(x).view(-1)


@GENERATORS.register("dcgan", compat={"added": {"vbn": False}})
def dcgan_generator(data_shape: tuple, nz: int, ngf: int, batchnorm: bool, constant_filters: bool,
                    vbn: bool) -> DCGANGenerator:
    """DCGAN generator (conf/model/dcgan.yaml; dcgan_nobn.yaml is the paper's Fig. 6 generator).

    nz: the noise dimension.
    ngf: filters of the last hidden layer (doubled towards the input unless constant_filters).
    batchnorm: BatchNorm after each hidden layer (False: the paper's Fig. 6 generator).
    constant_filters: ngf filters in every layer instead of the halving pyramid.
    vbn: virtual batch normalization (Salimans et al. 2016) in place of BatchNorm: each sample
        normalized with a reference batch of 64 noise vectors fixed at the start, and itself.
    """
    if vbn and not batchnorm:
        raise ConfigError("model.vbn=true replaces BatchNorm: it needs model.batchnorm=true")
    return DCGANGenerator(data_shape, nz, ngf, batchnorm, constant_filters, vbn)


@CRITICS.register("dcgan", compat={"renamed": {"batchnorm": ("norm", {True: "batch", False: "none"})},
                                   "added": {"minibatch_kernels": 0, "minibatch_dim": 5}})
def dcgan_critic(data_shape: tuple, ndf: int, norm: str, minibatch_kernels: int, minibatch_dim: int) -> DCGANCritic:
    """DCGAN discriminator used as critic (no sigmoid; conf/critic/dcgan.yaml, dcgan_nobn.yaml).

    ndf: filters of the first layer, doubled at every stride-2 layer (the paper's 64).
    norm: the normalization after each hidden convolution but the first: batch (DCGAN's), none
        (the critic without BatchNorm), layer (per-sample LayerNorm, for WGAN-GP) or spectral
        (SN-GAN: every convolution spectrally normalized, no BatchNorm).
    minibatch_kernels: B, the kernels of a minibatch discrimination layer before the output
        (Salimans et al. 2016; 0: none, the paper's critic).
    minibatch_dim: C, the dimension of each kernel.
    """
    if minibatch_kernels < 0 or minibatch_dim < 1:
        raise ConfigError(f"critic.minibatch_kernels={minibatch_kernels} must be >= 0 and critic.minibatch_dim={minibatch_dim} >= 1")
    return DCGANCritic(data_shape, ndf, norm, minibatch_kernels, minibatch_dim)
