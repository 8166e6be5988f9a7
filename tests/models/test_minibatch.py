"""Minibatch discrimination: a sample's score depends on how alike its batch is."""
import pytest
import torch

from wgan_repro.models import build_critic
from wgan_repro.models.minibatch import MinibatchDiscrimination
from wgan_repro.presets import preset


def test_closeness_is_the_batch_size_for_identical_samples_and_one_for_far_apart_ones():
    layer = MinibatchDiscrimination(3, kernels=4, kernel_dim=2)
    same = torch.ones(5, 3)
    assert torch.allclose(layer.closeness(same), torch.full((5, 4), 5.0))
    far = torch.eye(3) * 1e4
    assert torch.allclose(layer.closeness(far), torch.ones(3, 4), atol=1e-6)
    assert layer(far).shape == (3, 3 + 4)


@pytest.mark.parametrize("critic, shape", [("mlp", (2,)), ("dcgan", (1, 32, 32))])
def test_with_minibatch_discrimination_a_score_depends_on_the_rest_of_its_batch(critic, shape):
    torch.manual_seed(0)
    options = {**preset("critic", critic), "norm": "none", **({"ndf": 8} if critic == "dcgan" else {"hidden": 16})}
    x = torch.randn(6, *shape)
    plain = build_critic(options, shape)
    assert torch.allclose(plain(x[:1]), plain(x)[:1], atol=1e-6)
    mbd = build_critic({**options, "minibatch_kernels": 8, "minibatch_dim": 3}, shape)
    collapsed = torch.cat([x[:1]] * 6)             # a generator that repeats one sample
    assert not torch.allclose(mbd(x)[:1], mbd(collapsed)[:1], atol=1e-4)
