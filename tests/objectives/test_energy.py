"""EBGAN and BEGAN: the pull-away term, the per-sample hinge, the k_t control, the TV estimate."""
import pytest
import torch

from wgan_repro.critic_update import critic_update
from wgan_repro.models.autoencoder import pull_away_term
from wgan_repro.objectives import CRITIC_PHASE, GENERATOR_PHASE, CriticBatch, build_objective, get_objective
from wgan_repro.objectives.energy import began_k_update, ebgan_critic_loss


def test_the_pull_away_term_is_zero_for_orthogonal_embeddings_and_one_for_identical_ones():
    assert pull_away_term(torch.eye(5) * 3).item() == pytest.approx(0.0, abs=1e-7)
    same = torch.randn(1, 8).repeat(6, 1)
    assert pull_away_term(same).item() == pytest.approx(1.0, abs=1e-6)
    assert pull_away_term(torch.cat([same[:3], -same[3:]])).item() == pytest.approx(1.0, abs=1e-6)  # squared cosine
    two = torch.tensor([[1.0, 0.0], [1.0, 1.0]])                           # cos = 1/sqrt 2
    assert pull_away_term(two).item() == pytest.approx(0.5, rel=1e-6)


def test_the_ebgan_hinge_is_taken_per_sample():
    real, fake, m = torch.tensor([0.1, 0.3]), torch.tensor([0.0, 2.0]), 1.0
    # per sample: (max(0, 1 - 0) + max(0, 1 - 2)) / 2 = 0.5; on the mean it would be max(0, 1 - 1) = 0
    assert ebgan_critic_loss(real, fake, m).item() == pytest.approx(0.2 + 0.5)
    terms = build_objective({"name": "ebgan", "margin": m, "pull_away": 0.0}).of(real, fake)
    assert terms.critic.item() == pytest.approx(0.7) and terms.estimate.item() == pytest.approx(0.3)


def test_the_k_t_update_follows_the_equilibrium_and_is_clipped_to_0_1():
    k = torch.tensor(0.5)
    assert began_k_update(k, torch.tensor(1.0), torch.tensor(0.2), 0.5, 0.1).item() == pytest.approx(0.53)
    assert began_k_update(torch.tensor(0.999), torch.tensor(100.0), torch.tensor(0.0), 0.5, 0.1).item() == 1.0
    assert began_k_update(torch.tensor(0.001), torch.tensor(0.0), torch.tensor(100.0), 0.5, 0.1).item() == 0.0


def test_began_keeps_k_t_in_its_state_and_logs_the_convergence_measure():
    objective = get_objective("began")
    state = {}
    real, fake = torch.tensor([0.4, 0.6]), torch.tensor([0.1, 0.1])
    first = objective(CriticBatch(real, fake, CRITIC_PHASE, state=state))
    assert first.logged["k_t"].item() == 0.0 and first.critic.item() == pytest.approx(0.5)   # k_0 = 0
    assert state["k"].item() == pytest.approx(0.001 * (0.5 * 0.5 - 0.1))
    assert first.estimate.item() == pytest.approx(0.5 + abs(0.25 - 0.1))                     # M_global
    k_1 = state["k"].item()
    second = objective(CriticBatch(real, fake, CRITIC_PHASE, state=state))
    assert second.logged["k_t"].item() == pytest.approx(k_1) and second.critic.item() == pytest.approx(0.5 - k_1 * 0.1)
    before = state["k"].clone()
    objective(CriticBatch(real, fake, GENERATOR_PHASE, state=state))                         # the generator step
    assert torch.equal(state["k"], before)


def test_the_ebgan_tv_estimate_is_near_the_total_variation_of_two_uniform_distributions():
    # U[0, 1] against U[0.5, 1.5]: TV = 0.5. A non-negative energy network trained with the EBGAN
    # critic loss; the estimate 1 - L_D / m on fresh samples should be close to 0.5.
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 1), torch.nn.Softplus())
    energy = lambda x: net(x).view(-1)                  # noqa: E731
    critic = type("Energy", (torch.nn.Module,), {"forward": lambda self, x: energy(x)})()
    critic.net = net
    objective = build_objective({"name": "ebgan", "margin": 1.0, "pull_away": 0.0})
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    for _ in range(1500):
        critic_update(critic, opt, objective, torch.rand(256, 1, generator=g), torch.rand(256, 1, generator=g) + 0.5)
    held = torch.Generator().manual_seed(2)
    with torch.no_grad():
        estimate = objective.of(energy(torch.rand(20000, 1, generator=held)),
                                energy(torch.rand(20000, 1, generator=held) + 0.5)).estimate.item()
    assert estimate == pytest.approx(0.5, abs=0.05)
