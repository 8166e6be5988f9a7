"""Historical averaging, one-sided label smoothing and instance noise, each against what its
paper says it does."""
import math

import pytest
import torch

from wgan_repro.critic_update import critic_update
from wgan_repro.models import build_critic
from wgan_repro.objectives import build_objective
from wgan_repro.presets import preset
from wgan_repro.regularizers import HistoricalAverage, add_instance_noise, instance_noise_std


def _toy_game(weight: float, steps: int = 10000, lr: float = 0.01) -> list:
    """Salimans et al. 2016, Sec. 3.3: V(x, y) = (f(x) - 1)(y - 1), f(x) = x for x < 0 and x^2
    otherwise; x minimises, y maximises, simultaneous gradient steps; the equilibrium is (1, 1).
    Returns the distance to it after every step."""
    x, y = torch.nn.Parameter(torch.tensor(0.5)), torch.nn.Parameter(torch.tensor(0.5))
    avg_x, avg_y = HistoricalAverage([x], weight), HistoricalAverage([y], weight)
    distances = []
    for _ in range(steps):
        fx = torch.where(x < 0, x, x * x)
        value = (fx - 1) * (y - 1)
        (gx,) = torch.autograd.grad(value + (avg_x.penalty() if weight else 0), x, retain_graph=True)
        (gy,) = torch.autograd.grad(-value + (avg_y.penalty() if weight else 0), y)
        with torch.no_grad():
            x -= lr * gx
            y -= lr * gy
        avg_x.update()
        avg_y.update()
        distances.append(math.hypot(x.item() - 1, y.item() - 1))
    return distances


def test_gradient_descent_orbits_the_toy_game_and_historical_averaging_converges():
    plain = _toy_game(0.0)
    assert min(plain[len(plain) // 2:]) > 0.5                 # never approaches the equilibrium
    averaged = _toy_game(1.0)
    assert averaged[-1] < 0.1 and averaged[-1] < averaged[len(averaged) // 2]


def test_historical_average_is_the_running_mean_and_survives_a_state_round_trip():
    p = torch.nn.Parameter(torch.tensor([0.0, 2.0]))
    average = HistoricalAverage([p], weight=0.5)
    for value in ([2.0, 2.0], [4.0, 2.0]):
        with torch.no_grad():
            p.copy_(torch.tensor(value))
        average.update()
    assert torch.allclose(average.means[0], torch.tensor([2.0, 2.0]))            # mean of 0, 2, 4 and 2, 2, 2
    assert average.penalty().item() == pytest.approx(0.5 * (2.0 ** 2))
    copy = HistoricalAverage([p], weight=0.5)
    copy.load_state_dict(average.state_dict())
    assert torch.equal(copy.means[0], average.means[0]) and copy.count == average.count == 3


def test_one_sided_label_smoothing_moves_the_optimal_discriminator_to_alpha_p_over_p_plus_q():
    # real N(0, 1), fake N(2, 1): D*(x) = alpha p / (p + q) = alpha / (1 + exp(2x - 2))
    alpha = 0.8
    torch.manual_seed(0)
    net = build_critic({**preset("critic", "mlp"), "hidden": 32, "layers": 2, "norm": "none"}, (1,))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, betas=(0.5, 0.999))
    objective = build_objective({"name": "nsgan", "label_smoothing": alpha})
    g = torch.Generator().manual_seed(1)
    for _ in range(1500):
        critic_update(net, opt, objective, torch.randn(512, 1, generator=g), torch.randn(512, 1, generator=g) + 2)
    x = torch.linspace(-1, 3, 9)[:, None]
    with torch.no_grad():
        d = torch.sigmoid(net(x))
    expected = alpha / (1 + torch.exp(2 * x[:, 0] - 2))
    assert torch.allclose(d, expected, atol=0.05), (d, expected)
    assert d.max() < alpha + 0.03                              # never confident on the real samples


def test_instance_noise_anneals_linearly_and_draws_nothing_when_off():
    assert instance_noise_std(0.5, 0, 1000) == 0.5
    assert [instance_noise_std(0.5, 100, t) for t in (0, 50, 100, 200)] == [0.5, 0.25, 0.0, 0.0]
    rng = torch.Generator().manual_seed(0)
    before = rng.get_state()
    x = torch.zeros(3)
    assert add_instance_noise(x, 0.0, rng) is x and torch.equal(rng.get_state(), before)
    noisy = add_instance_noise(torch.zeros(20000), 0.3, rng)
    assert noisy.std().item() == pytest.approx(0.3, rel=0.03)
