import math

import pytest
import torch

from wgan_repro.models import build_critic, build_generator
from wgan_repro.models.init import INITS
from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError


def _began_generator(init, ngf=16):
    return build_generator({**preset("model", "began"), "nz": 100, "ngf": ngf, "init": init}, (1, 32, 32))


def _autoencoder(init, shape=(1, 32, 32)):
    return build_critic({**preset("critic", "autoencoder"), "ndf": 16, "init": init}, shape)


def test_glorot_sets_glorot_uniform_weights_and_zero_biases_in_every_layer():
    torch.manual_seed(0)
    for net in (_began_generator("glorot"), _autoencoder("glorot"), _autoencoder("glorot", (2,))):
        layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        assert layers
        for m in layers:
            fan_out, fan_in = m.weight.shape[0], m.weight[0].numel()
            receptive = m.weight[0, 0].numel()
            bound = math.sqrt(6.0 / (fan_in + fan_out * receptive))
            assert m.weight.abs().max() <= bound
            assert m.weight.abs().max() > 0.9 * bound      # uniform on [-bound, bound]: the max is near it
            assert torch.count_nonzero(m.bias) == 0


def test_default_keeps_pytorchs_init():
    torch.manual_seed(0)
    a = _autoencoder("default")
    torch.manual_seed(0)
    b = _autoencoder("default")
    assert any(torch.count_nonzero(m.bias) for m in a.modules() if isinstance(m, torch.nn.Conv2d))
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


def _spread(images):
    """The mean over pixels of the standard deviation over the batch."""
    return images.std(0).mean().item()


def test_glorot_lets_the_began_generator_start_with_samples_that_depend_on_z():
    # PyTorch's default init shrinks the signal through the ELU stack: the samples of different z
    # differ by about 0.006 in [-1, 1]; with Glorot's init by about 0.27 (models/init.py)
    torch.manual_seed(0)
    z = torch.randn(64, 100)
    with torch.no_grad():
        default, glorot = _spread(_began_generator("default")(z)), _spread(_began_generator("glorot")(z))
    assert default < 0.02 < 0.1 < glorot


def test_glorot_lets_the_autoencoders_reconstruction_depend_on_its_input():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        default, glorot = (_spread(_autoencoder(init).reconstruct(x)) for init in INITS)
    assert default < 1e-3 < 1e-2 < glorot


@pytest.mark.parametrize("build", [_began_generator, _autoencoder])
def test_an_unknown_init_is_a_one_line_error_naming_the_option(build):
    with pytest.raises(ConfigError, match=r"\.init='xavier'.*default, glorot"):
        build("xavier")
