import torch

from wgan_repro.models import build_critic, build_generator
from wgan_repro.presets import preset


def test_mlp_generator_has_four_hidden_relu_layers_of_512_and_tanh_for_images():
    g = build_generator({**preset("model", "mlp"), "nz": 100}, (1, 32, 32))
    linear = [m for m in g.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [512, 512, 512, 512, 1024]
    x = g(torch.randn(3, 100) * 100)
    assert x.shape == (3, 1, 32, 32) and x.abs().max() <= 1


def test_mlp_generator_is_linear_for_points_and_critic_outputs_one_score():
    g = build_generator({"name": "mlp", "nz": 2, "hidden": 16, "layers": 2}, (2,))
    assert isinstance(g.out, torch.nn.Identity)
    d = build_critic({**preset("critic", "mlp"), "hidden": 16, "layers": 3, "norm": "none"}, (2,))
    assert d(g(torch.randn(7, 2))).shape == (7,)
