import math

import pytest
import torch

from wgan_repro.objectives import OBJECTIVES, get_objective
from wgan_repro.registry import ConfigError


def test_the_registry_names_every_objective_and_lists_them_when_one_is_unknown():
    assert {"gan", "nsgan", "wgan"} <= set(OBJECTIVES.names())
    with pytest.raises(ConfigError, match="valid names are " + ", ".join(OBJECTIVES.names())):
        get_objective("no_such_objective")


def test_wgan_estimate_is_mean_real_minus_mean_fake_and_positive_when_real_scores_higher():
    real, fake = torch.tensor([2.0, 4.0]), torch.tensor([0.5, 1.5])
    terms = get_objective("wgan").of(real, fake)
    assert terms.estimate.item() == pytest.approx(2.0)
    assert terms.critic.item() == pytest.approx(-2.0)
    assert terms.generator.item() == pytest.approx(-1.0)


def test_minimax_and_nonsaturating_generator_losses_follow_their_definitions():
    logits = torch.linspace(-8, 8, 17, dtype=torch.float64, requires_grad=True)
    real = torch.zeros(17, dtype=torch.float64)
    d = torch.sigmoid(logits)
    g_minimax = get_objective("gan").of(real, logits).generator
    g_nonsat = get_objective("nsgan").of(real, logits).generator
    assert g_minimax.item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-9)
    assert g_nonsat.item() == pytest.approx((-torch.log(d)).mean().item(), rel=1e-9)
    # per-sample gradients: d/dl log(1 - D) = -D (vanishes where D -> 0), d/dl -log D = -(1 - D)
    (grad_minimax,) = torch.autograd.grad(g_minimax * 17, logits)
    (grad_nonsat,) = torch.autograd.grad(g_nonsat * 17, logits)
    assert torch.allclose(grad_minimax, -d.detach(), atol=1e-12)
    assert torch.allclose(grad_nonsat, -(1 - d.detach()), atol=1e-12)
    # where the discriminator rejects the fakes (logit -8) the minimax gradient is ~e^-8 of the other
    assert abs(grad_minimax[0]) < 1e-3 * abs(grad_nonsat[0])


def test_gan_critic_loss_is_binary_cross_entropy_and_estimate_is_js_form():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0])
    for name in ("gan", "nsgan"):
        terms = get_objective(name).of(real, fake)
        bce = (torch.nn.functional.binary_cross_entropy_with_logits(real, torch.ones(2))
               + torch.nn.functional.binary_cross_entropy_with_logits(fake, torch.zeros(2)))
        assert terms.critic.item() == pytest.approx(bce.item())
        value = -bce.item()                       # V(D, G)
        assert terms.estimate.item() == pytest.approx(math.log(2) + value / 2)


def test_js_estimate_is_zero_for_a_confused_discriminator_and_log2_for_a_perfect_one():
    zeros = torch.zeros(4)
    assert get_objective("gan").of(zeros, zeros).estimate.item() == pytest.approx(0.0, abs=1e-7)
    confident = get_objective("gan").of(torch.full((4,), 50.0), torch.full((4,), -50.0))
    assert confident.estimate.item() == pytest.approx(math.log(2), abs=1e-6)
