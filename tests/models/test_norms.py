"""Critic normalizations: spectral norm keeps every layer's largest singular value at 1, layer norm
keeps samples independent (what a per-sample gradient penalty needs), and runs made before the
option existed still resume."""
import pytest
import torch

from wgan_repro.critic_update import critic_update
from wgan_repro.models import build_critic
from wgan_repro.models.norms import NORMS, apply_spectral_norm, spectral_layers, spectral_sigmas
from wgan_repro.objectives import get_objective
from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError
from wgan_repro.run_identity import differing


def effective_weights(critic):
    """(name, weight as used in the forward pass) of every conv and linear layer."""
    return [(n, m.weight.detach()) for n, m in critic.named_modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


@pytest.mark.parametrize("options, shape", [
    ({**preset("critic", "dcgan"), "ndf": 8, "norm": "spectral"}, (1, 32, 32)),
    ({**preset("critic", "mlp"), "hidden": 32, "layers": 3, "norm": "spectral"}, (2,)),
])
def test_spectral_norm_holds_every_layer_near_one_after_200_steps(options, shape):
    torch.manual_seed(0)
    critic = build_critic(options, shape)
    assert not any(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)) for m in critic.modules())
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))   # SN-GAN's aggressive setting
    objective = get_objective("hinge")
    g = torch.Generator().manual_seed(1)
    for _ in range(200):
        critic_update(critic, opt, objective, torch.randn(32, *shape, generator=g) + 1, torch.randn(32, *shape, generator=g))
    critic.eval()
    with torch.no_grad():
        critic(torch.randn(4, *shape))                          # the weights as the last power iteration left them
        for name, weight in effective_weights(critic):
            sigma = torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1).double(), ord=2).item()
            assert 1 - 1e-3 <= sigma <= 1.05, (name, sigma)
    assert any("_u" in k for k in critic.state_dict())          # the power iteration's vectors are checkpointed


def test_layer_norm_keeps_each_sample_independent_of_the_others_in_its_batch():
    torch.manual_seed(0)
    for norm, independent in (("layer", True), ("batch", False)):
        critic = build_critic({**preset("critic", "dcgan"), "ndf": 8, "norm": norm}, (1, 32, 32)).train()
        x = torch.randn(6, 1, 32, 32)
        alone = critic(x[:1])
        together = critic(x)[:1]
        assert torch.allclose(alone, together, atol=1e-5) is independent, norm


def test_every_norm_builds_and_a_bad_one_is_a_config_error():
    for norm in NORMS:
        assert build_critic({**preset("critic", "dcgan"), "ndf": 8, "norm": norm}, (1, 32, 32))(torch.randn(2, 1, 32, 32)).shape == (2,)
        assert build_critic({**preset("critic", "mlp"), "hidden": 8, "layers": 2, "norm": norm}, (2,))(torch.randn(3, 2)).shape == (3,)
    with pytest.raises(ConfigError, match="critic.norm='group' must be one of batch, none, layer, spectral"):
        build_critic({**preset("critic", "dcgan"), "ndf": 8, "norm": "group"}, (1, 32, 32))


def test_a_checkpoint_from_before_the_norm_option_matches_its_equivalent_norm_only():
    before = {"critic": {"name": "dcgan", "ndf": 16, "batchnorm": True}, "seed": 0}
    assert differing(before, {"critic": {"name": "dcgan", "ndf": 16, "norm": "batch"}, "seed": 0}) == []
    assert differing(before, {"critic": {"name": "dcgan", "ndf": 16, "norm": "none"}, "seed": 0}) == ["critic.norm"]
    nobn = {"critic": {"name": "dcgan", "ndf": 16, "batchnorm": False}}
    assert differing(nobn, {"critic": {"name": "dcgan", "ndf": 16, "norm": "none"}}) == []
    mlp = {"critic": {"name": "mlp", "hidden": 512, "layers": 4}}
    assert differing(mlp, {"critic": {"name": "mlp", "hidden": 512, "layers": 4, "norm": "none"}}) == []
    assert differing(mlp, {"critic": {"name": "mlp", "hidden": 512, "layers": 4, "norm": "spectral"}}) == ["critic.norm"]


def test_the_logged_singular_values_are_those_of_the_normalized_weights_and_change_nothing():
    torch.manual_seed(0)
    critic = build_critic({**preset("critic", "dcgan"), "ndf": 8, "norm": "spectral"}, (1, 32, 32))
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        critic_update(critic, opt, get_objective("hinge"), torch.randn(16, 1, 32, 32, generator=g) + 1,
                      torch.randn(16, 1, 32, 32, generator=g))
    layers = spectral_layers(critic)
    assert len(layers) == len(effective_weights(critic))           # every conv and linear layer
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    logged = spectral_sigmas(layers)
    assert all(torch.equal(before[k], v) for k, v in critic.state_dict().items())   # no power iteration ran
    critic.eval()
    with torch.no_grad():
        forward = [torch.linalg.matrix_norm(w.reshape(w.shape[0], -1).double(), ord=2).item()
                   for _, w in effective_weights(critic)]
    assert logged == pytest.approx(forward, rel=1e-5)              # float32 weights, float64 norms
    assert spectral_layers(build_critic({**preset("critic", "dcgan"), "ndf": 8}, (1, 32, 32))) == []


def test_the_logged_value_follows_each_layers_own_reshape_and_is_nan_for_a_broken_weight():
    torch.manual_seed(0)
    layers = apply_spectral_norm(torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 3, 3), torch.nn.Linear(5, 2)))
    layers[0](torch.randn(2, 4, 5, 5))
    layers[1](torch.randn(2, 5))
    layers.eval()
    with torch.no_grad():
        up = layers[0].weight.permute(1, 0, 2, 3).reshape(3, -1).double()   # torch normalizes dim 1 of a transposed conv
        expected = [torch.linalg.matrix_norm(up, ord=2).item(), torch.linalg.matrix_norm(layers[1].weight.double(), ord=2).item()]
    assert spectral_sigmas(spectral_layers(layers)) == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():
        layers[1].parametrizations.weight.original[0, 0] = float("nan")
    first, broken = spectral_sigmas(spectral_layers(layers))
    assert first == pytest.approx(expected[0], rel=1e-5) and broken != broken          # NaN, no exception
