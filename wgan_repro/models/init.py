"""Weight initialisations the energy-based networks choose between (`init` of critic=autoencoder
and model=began).

BEGAN's networks are deep stacks of 3x3 ELU convolutions with no normalisation. PyTorch's
default init (Kaiming-uniform with a = sqrt(5): weight variance 1 / (3 fan_in)) shrinks the signal
at every layer. At 32x32 with n = 16, the autoencoder's reconstruction then barely depends on its
input (its spread over a batch of uniform noise images is about 1e-5), and BEGAN's generator
draws nearly the same image for every z (spread about 0.006 in [-1, 1]).
Glorot-uniform weights with zero biases keep the signal: spreads of 0.04 and 0.27. That is
TensorFlow's default for convolutional and dense layers, the framework of the BEGAN paper's
models.
"""
from __future__ import annotations

from torch import nn

from wgan_repro.registry import ConfigError

INITS = ("default", "glorot")


def apply_init(module: nn.Module, init: str, option: str) -> None:
    """Initialise every convolution and linear layer of `module`: "default" keeps PyTorch's init,
    "glorot" sets Glorot-uniform weights and zero biases. `option` names the config key in errors."""
    if init not in INITS:
        raise ConfigError(f"{option}={init!r} is not an initialisation: use one of {', '.join(INITS)}")
    if init == "default":
        return
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
