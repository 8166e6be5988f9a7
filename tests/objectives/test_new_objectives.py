"""The objectives beyond the papers' three: each against a number it must reach."""
import math

import pytest
import torch

from wgan_repro.critic_update import critic_update
from wgan_repro.models import build_critic
from wgan_repro.objectives import CriticBatch, build_objective, get_objective
from wgan_repro.objectives.fgan import DIVERGENCES
from wgan_repro.objectives.wgan_gp import gradient_penalty
from wgan_repro.presets import preset
from wgan_repro.registry import ConfigError


class Linear(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, x):
        return x.reshape(x.shape[0], -1) @ self.weight


def test_the_gradient_penalty_is_zero_for_a_linear_critic_of_unit_norm_and_grows_off_it():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 3, generator=g), torch.randn(64, 3, generator=g) + 2
    objective = get_objective("wgan_gp")
    for scale, expected in ((1.0, 0.0), (3.0, 4.0), (0.5, 0.25)):     # (||w|| - 1)^2
        critic = Linear(torch.tensor([0.6, 0.0, 0.8]) * scale)
        batch = CriticBatch(critic(real), critic(fake), real=real, fake=fake, critic=critic, rng=g)
        terms = objective(batch)
        assert terms.logged["gradient_penalty"].item() == pytest.approx(expected, abs=1e-6)
        w_estimate = (critic(real).mean() - critic(fake).mean()).item()
        assert terms.estimate.item() == pytest.approx(w_estimate, rel=1e-6)          # the penalty is not in it
        assert terms.critic.item() == pytest.approx(-w_estimate + 10 * expected, rel=1e-5, abs=1e-5)


def test_the_penalty_is_taken_per_sample_at_interpolates():
    grads = torch.tensor([[3.0, 4.0], [0.0, 1.0]])                    # norms 5 and 1
    assert gradient_penalty(grads).item() == pytest.approx((16 + 0) / 2)


def test_a_wgan_gp_critic_update_pulls_its_gradient_norm_toward_one():
    torch.manual_seed(0)
    critic = Linear(torch.tensor([3.0, 0.0]))
    opt = torch.optim.SGD(critic.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(1)
    objective = build_objective({"name": "wgan_gp", "penalty": 10.0})
    for _ in range(200):
        real, fake = torch.randn(128, 2, generator=g), torch.randn(128, 2, generator=g)   # equal laws: only the penalty acts
        critic_update(critic, opt, objective, real, fake, rng=g)
    assert critic.weight.norm().item() == pytest.approx(1.0, abs=0.05)


def _fit(objective, real_fn, fake_fn, steps, lr=1e-2, seed=0, measure_at=(), evaluate=None):
    """A fresh 2 x 64 MLP critic trained `steps` Adam steps; `evaluate(critic)` after the steps in
    `measure_at` (0: before the first)."""
    torch.manual_seed(seed)
    critic = build_critic({**preset("critic", "mlp"), "hidden": 64, "layers": 2, "norm": "none"}, (1,))
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.999))
    curve = [evaluate(critic)] if 0 in measure_at else []
    for step in range(1, steps + 1):
        critic_update(critic, opt, objective, real_fn(256), fake_fn(256))
        if step in measure_at:
            curve.append(evaluate(critic))
    return critic, curve


def test_the_f_gan_kl_bound_rises_to_the_closed_form_kl_from_below():
    # P = N(1, 1), Q = N(0, 1): KL(P || Q) = 1/2. The bound on fresh samples stays below it (up to
    # its sampling error, ~3 standard errors of a 20,000-sample mean) and ends within 10 % of it.
    g = torch.Generator().manual_seed(3)
    objective = build_objective({"name": "fgan", "divergence": "kl", "generator": "alternative"})
    real_fn = lambda n: torch.randn(n, 1, generator=g) + 1      # noqa: E731
    fake_fn = lambda n: torch.randn(n, 1, generator=g)          # noqa: E731
    held = torch.Generator().manual_seed(99)
    real_eval, fake_eval = torch.randn(20000, 1, generator=held) + 1, torch.randn(20000, 1, generator=held)

    def bound(critic):
        with torch.no_grad():
            return objective.of(critic(real_eval), critic(fake_eval)).estimate.item()

    _, curve = _fit(objective, real_fn, fake_fn, steps=800, lr=5e-3, measure_at=(0, 5, 20, 100, 400, 800),
                    evaluate=bound)
    kl = 0.5
    assert curve[0] < kl - 0.3                       # a fresh critic's bound starts far below
    assert max(curve) <= kl + 0.03
    assert curve[-1] == pytest.approx(kl, rel=0.1)


def test_the_f_gan_conjugates_are_the_literal_compositions_where_those_are_finite_and_finite_where_not():
    v = torch.linspace(-6, 6, 121, dtype=torch.float64)
    literal = {
        "kl": (lambda t: t, lambda t: torch.exp(t - 1)),
        "reverse_kl": (lambda t: -torch.exp(-t), lambda t: -1 - torch.log(-t)),
        "pearson": (lambda t: t, lambda t: t * t / 4 + t),
        "hellinger": (lambda t: 1 - torch.exp(-t), lambda t: t / (1 - t)),
        "js": (lambda t: math.log(2) - torch.log1p(torch.exp(-t)), lambda t: -torch.log(2 - torch.exp(t))),
        "gan": (lambda t: -torch.log1p(torch.exp(-t)), lambda t: -torch.log(1 - torch.exp(t))),
    }
    assert set(literal) == set(DIVERGENCES)
    for name, (activation, conjugate, _, _) in DIVERGENCES.items():
        g_literal, f_literal = literal[name]
        assert torch.allclose(activation(v), g_literal(v), rtol=1e-9, atol=1e-12), name
        assert torch.allclose(conjugate(v), f_literal(g_literal(v)), rtol=1e-6, atol=1e-9), name
    # in float32 the literal compositions fail where the closed forms do not
    big = torch.tensor([20.0, 40.0])
    hellinger_g, hellinger_f = literal["hellinger"]
    assert not torch.isfinite(hellinger_f(hellinger_g(big))).all()
    for name, (activation, conjugate, _, _) in DIVERGENCES.items():
        if name != "kl":                  # exp(v - 1) is the closed form itself, finite up to v ~ 89
            assert torch.isfinite(conjugate(big)).all() and torch.isfinite(activation(big)).all(), name


def test_the_f_gan_js_estimate_is_halved_to_sit_with_the_gan_js_estimate():
    real, fake = torch.tensor([2.0, 1.0, 3.0]), torch.tensor([-1.0, 0.5, -2.0])
    js = build_objective({"name": "fgan", "divergence": "js", "generator": "saddle"}).of(real, fake).estimate
    gan_js = get_objective("gan").of(real, fake).estimate         # log 2 + V / 2 with the same logits
    assert js.item() == pytest.approx(gan_js.item(), rel=1e-6)


def test_the_saddle_and_the_alternative_generator_losses_of_f_gan():
    fake = torch.tensor([0.3, -0.7], requires_grad=True)
    real = torch.zeros(2)
    saddle = build_objective({"name": "fgan", "divergence": "kl", "generator": "saddle"}).of(real, fake)
    alternative = build_objective({"name": "fgan", "divergence": "kl", "generator": "alternative"}).of(real, fake)
    assert saddle.generator.item() == pytest.approx(-torch.exp(fake - 1).mean().item())
    assert alternative.generator.item() == pytest.approx(-fake.mean().item())


def test_lsgan_estimate_is_half_the_triangular_discrimination_at_the_optimal_critic():
    # P = (3/4, 1/4) and Q = (1/4, 3/4) on two points, as four samples each; D* = (b p + a q) / (p + q)
    p, q, a, b = torch.tensor([0.75, 0.25]), torch.tensor([0.25, 0.75]), -1.0, 1.0
    d_star = (b * p + a * q) / (p + q)
    real_out = d_star[torch.tensor([0, 0, 0, 1])]
    fake_out = d_star[torch.tensor([0, 1, 1, 1])]
    estimate = build_objective({"name": "lsgan", "a": a, "b": b, "c": 0.0}).of(real_out, fake_out).estimate
    assert estimate.item() == pytest.approx(0.5 * float(((p - q) ** 2 / (p + q)).sum()), rel=1e-6)


def test_hinge_estimate_approaches_the_total_variation_of_two_gaussians():
    # N(1, 1) against N(0, 1): TV = 2 Phi(1/2) - 1
    tv = math.erf(0.5 / math.sqrt(2))
    g = torch.Generator().manual_seed(5)
    objective = get_objective("hinge")
    critic, _ = _fit(objective, lambda n: torch.randn(n, 1, generator=g) + 1, lambda n: torch.randn(n, 1, generator=g),
                     steps=1500, lr=5e-3)
    held = torch.Generator().manual_seed(7)
    with torch.no_grad():
        estimate = objective.of(critic(torch.randn(20000, 1, generator=held) + 1),
                                critic(torch.randn(20000, 1, generator=held))).estimate.item()
    assert tv - 0.06 <= estimate <= tv + 0.02


@pytest.mark.parametrize("options, message", [
    ({"name": "fgan", "divergence": "chi", "generator": "saddle"}, "unknown loss.divergence='chi'"),
    ({"name": "fgan", "divergence": "kl", "generator": "other"}, "unknown loss.generator='other'"),
    ({"name": "lsgan", "a": 1.0, "b": 1.0, "c": 0.0}, "loss.a and loss.b must differ"),
    ({"name": "wgan_gp", "penalty": "ten"}, "loss.penalty must be of type float"),
    ({"name": "wgan_gp", "margin": 1.0}, "unknown option loss.margin for loss 'wgan_gp': valid options are penalty"),
])
def test_bad_objective_options_are_one_line_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        build_objective(options)


def test_feature_matching_is_zero_for_matching_batches_and_trains_only_the_generator_side():
    torch.manual_seed(0)
    critic = build_critic({**preset("critic", "mlp"), "hidden": 16, "layers": 2}, (2,))
    objective = get_objective("feature_matching")
    real = torch.randn(32, 2)
    same = CriticBatch(critic(real), critic(real), "generator", real=real, fake=real.clone(), critic=critic)
    assert objective(same).generator.item() == pytest.approx(0.0, abs=1e-10)
    fake = (torch.randn(32, 2) + 3).requires_grad_(True)
    terms = objective(CriticBatch(critic(real), critic(fake), "generator", real=real, fake=fake, critic=critic))
    expected = ((critic.features(real).mean(0) - critic.features(fake).mean(0)) ** 2).sum()
    assert terms.generator.item() == pytest.approx(expected.item(), rel=1e-6) and terms.generator.item() > 0
    (grad,) = torch.autograd.grad(terms.generator, fake)
    assert grad.abs().sum() > 0
