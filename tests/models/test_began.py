import pytest
import torch

from wgan_repro.models import build_critic, build_generator
from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError


def _generator(size, channels=1, ngf=8, nz=10):
    return build_generator({**preset("model", "began"), "nz": nz, "ngf": ngf}, (channels, size, size))


@pytest.mark.parametrize("size", [16, 32, 64])
def test_began_generator_maps_noise_to_images_in_the_data_range(size):
    x = _generator(size, channels=3)(torch.randn(5, 10))
    assert x.shape == (5, 3, size, size)
    assert x.abs().max() <= 1


def test_began_generator_is_the_decoder_architecture_of_the_autoencoder_critic():
    g = _generator(32, ngf=8, nz=64)
    d = build_critic({**preset("critic", "autoencoder"), "ndf": 8, "embed_dim": 64}, (1, 32, 32))
    layers = [type(m) for m in g.net]
    assert [(m.in_channels, m.out_channels) for m in g.net if isinstance(m, torch.nn.Conv2d)] == \
        [(m.in_channels, m.out_channels) for m in d.decoder if isinstance(m, torch.nn.Conv2d)]
    assert layers[:-1] == [type(m) for m in d.decoder] and layers[-1] is torch.nn.Tanh
    assert g.from_noise.weight.shape == d.from_embedding.weight.shape
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules())


def test_began_generator_sample_does_not_depend_on_the_rest_of_the_batch():
    g = _generator(16)
    z = torch.randn(6, 10)
    torch.testing.assert_close(g(z)[:1], g(z[:1]))


def test_began_generator_on_points_is_a_one_line_error():
    with pytest.raises(ConfigError, match="model=mlp"):
        build_generator({**preset("model", "began"), "nz": 10, "ngf": 8}, (2,))


def test_uniform_noise_turns_the_trainers_normal_noise_into_the_papers_uniform_noise():
    g = build_generator({**preset("model", "began"), "nz": 4, "ngf": 8, "uniform_noise": True}, (1, 16, 16))
    seen = []
    g.from_noise.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    g(torch.randn(20000, 4, generator=torch.Generator().manual_seed(0)))
    u = seen[0].flatten()
    assert u.min() >= -1 and u.max() <= 1
    # the deciles of U(-1, 1): -0.8, -0.6, ..., 0.8; 80,000 draws put each within a few 0.001
    deciles = torch.quantile(u, torch.linspace(0.1, 0.9, 9))
    torch.testing.assert_close(deciles, torch.linspace(-0.8, 0.8, 9), atol=0.02, rtol=0)
