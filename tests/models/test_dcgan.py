import pytest
import torch

from wgan_repro.models import build_critic, build_generator
from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError


def _convs(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


@pytest.mark.parametrize("size", [16, 32, 64])
def test_generator_and_critic_shapes_at_each_power_of_two(size):
    g = build_generator({**preset("model", "dcgan"), "nz": 10, "ngf": 8}, (3, size, size))
    d = build_critic({**preset("critic", "dcgan"), "ndf": 8, "norm": "batch"}, (3, size, size))
    x = g(torch.randn(5, 10))
    assert x.shape == (5, 3, size, size)
    assert x.abs().max() <= 1
    assert d(x).shape == (5,)


def test_paper_64px_generator_widths_halve_from_ngf8():
    g = build_generator({**preset("model", "dcgan"), "nz": 100, "ngf": 64}, (3, 64, 64))
    widths = [m.out_channels for m in _convs(g, torch.nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 64, 3]
    d = build_critic({**preset("critic", "dcgan"), "ndf": 64, "norm": "batch"}, (3, 64, 64))
    assert [m.out_channels for m in _convs(d, torch.nn.Conv2d)] == [64, 128, 256, 512, 1]
    assert len(_convs(d, torch.nn.BatchNorm2d)) == 3            # none on the first layer
    assert all(m.bias is None for m in _convs(g, torch.nn.ConvTranspose2d))


def test_nobn_paper_generator_has_constant_filters_and_an_order_of_magnitude_fewer_parameters():
    full = build_generator({**preset("model", "dcgan"), "nz": 100, "ngf": 64}, (3, 64, 64))
    paper = build_generator({**preset("model", "dcgan"), "nz": 100, "ngf": 64, "batchnorm": False,
                             "constant_filters": True}, (3, 64, 64))
    original = build_generator({**preset("model", "dcgan"), "nz": 100, "ngf": 64, "batchnorm": False}, (3, 64, 64))
    assert [m.out_channels for m in _convs(paper, torch.nn.ConvTranspose2d)] == [64, 64, 64, 64, 3]
    assert not _convs(paper, torch.nn.BatchNorm2d) and not _convs(original, torch.nn.BatchNorm2d)
    assert [m.out_channels for m in _convs(original, torch.nn.ConvTranspose2d)] == [512, 256, 128, 64, 3]
    def n(m):
        return sum(p.numel() for p in m.parameters())
    assert n(full) > 10 * n(paper)


def test_dcgan_init_follows_the_paper():
    torch.manual_seed(0)
    g = build_generator({**preset("model", "dcgan"), "nz": 100, "ngf": 64}, (3, 64, 64))
    w = torch.cat([m.weight.flatten() for m in _convs(g, torch.nn.ConvTranspose2d)])
    assert w.std().item() == pytest.approx(0.02, rel=0.05)
    bn = torch.cat([m.weight for m in _convs(g, torch.nn.BatchNorm2d)])
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("shape, fix", [((1, 24, 24), "power of two"), ((2,), "model=mlp")])
def test_bad_shapes_are_config_errors(shape, fix):
    with pytest.raises(ConfigError, match=fix):
        build_generator({**preset("model", "dcgan"), "nz": 10, "ngf": 8}, shape)


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown option model.width .*valid options are nz, ngf, batchnorm, constant_filters"):
        build_generator({"name": "dcgan", "width": 3}, (1, 32, 32))
