"""f-GAN's univariate example (Nowozin et al. 2016, Sec. 2.5): a Gaussian model N(mu, sigma^2)
fitted to a two-component Gaussian mixture by variational divergence minimisation, for several
f-divergences, against the fit found by minimising the same divergence directly (quadrature on a
grid, L-BFGS from several starts). KL(P || Q) covers both modes (a wide Gaussian); the reverse
KL seeks one (a narrow one)."""
from __future__ import annotations

import math
from typing import List

import numpy as np
import pandas as pd
import torch

from wgan_repro.critic_update import critic_update
from wgan_repro.objectives import GENERATOR_PHASE, build_objective, loss_preset
from wgan_repro.registry import ConfigError
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import TheoryRun, figure, fmt, fresh_mlp, log, paper_optimizer

# the directly minimised divergences, on a density grid: name -> integrand of (p, q)
DIRECT = {
    "kl": lambda p, q: p * (torch.log(p) - torch.log(q)),
    "reverse_kl": lambda p, q: q * (torch.log(q) - torch.log(p)),
    "pearson": lambda p, q: (q - p) ** 2 / q,
    "hellinger": lambda p, q: (torch.sqrt(p) - torch.sqrt(q)) ** 2,
    "js": lambda p, q: 0.5 * (p * torch.log(2 * p / (p + q)) + q * torch.log(2 * q / (p + q))),
}


def _normal_pdf(x, mean, std):
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def mixture_pdf(x: torch.Tensor, weights, means, std: float) -> torch.Tensor:
    return sum(w * _normal_pdf(x, m, std) for w, m in zip(weights, means))


def direct_fit(divergence: str, weights, means, std: float, grid_points: int) -> tuple[float, float, float]:
    """(mu, sigma, divergence) of the Gaussian minimising D_f(P || N(mu, sigma^2)) by quadrature,
    the best of L-BFGS runs started at each mixture mean and between them."""
    span = max(abs(m) for m in means) + 8 * std + 4
    x = torch.linspace(-span, span, grid_points, dtype=torch.float64)
    dx = float(x[1] - x[0])
    p = mixture_pdf(x, weights, means, std).clamp_min(1e-300)
    best = None
    for start in [*means, float(np.mean(means))]:
        mu = torch.tensor(float(start), dtype=torch.float64, requires_grad=True)
        log_sigma = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([mu, log_sigma], max_iter=500, line_search_fn="strong_wolfe")

        def value():
            q = _normal_pdf(x, mu, torch.exp(log_sigma)).clamp_min(1e-300)
            return DIRECT[divergence](p, q).sum() * dx

        def closure():
            opt.zero_grad()
            loss = value()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            fit = (mu.item(), math.exp(log_sigma.item()), value().item())
        if best is None or fit[2] < best[2]:
            best = fit
    return best


def learn_fit(objective, weights, means, std: float, *, steps: int, batch_size: int, critic_lr: float,
              generator_lr: float, hidden: int, layers: int, seed: int, device) -> pd.DataFrame:
    """Variational divergence minimisation: a fresh MLP critic and the model's (mu, log sigma),
    one critic step then one model step, each with the objective's YAML optimizer."""
    rng = torch.Generator(device=device).manual_seed(seed)
    critic = fresh_mlp(1, hidden, layers, seed, device)
    mu = torch.zeros((), device=device, requires_grad=True)
    log_sigma = torch.zeros((), device=device, requires_grad=True)
    opt_d = paper_optimizer(objective.name, critic.parameters(), critic_lr)
    opt_g = paper_optimizer(objective.name, [mu, log_sigma], generator_lr)
    w = torch.tensor(weights, device=device)
    m = torch.tensor(means, device=device)

    def real(n):
        component = torch.multinomial(w, n, replacement=True, generator=rng)
        return (m[component] + std * torch.randn(n, generator=rng, device=device))[:, None]

    def fake(n):
        return mu + torch.exp(log_sigma) * torch.randn(n, 1, generator=rng, device=device)

    rows = []
    for step in range(1, steps + 1):
        x_real = real(batch_size)
        terms, real_out, _ = critic_update(critic, opt_d, objective, x_real, fake(batch_size).detach())
        generator = objective.of(real_out, critic(fake(batch_size)).view(-1), GENERATOR_PHASE).generator
        opt_g.zero_grad(set_to_none=True)
        generator.backward()
        opt_g.step()
        if step % max(1, steps // 50) == 0 or step == steps:
            rows.append({"step": step, "mu": mu.item(), "sigma": math.exp(log_sigma.item()),
                         "estimate": float(terms.estimate)})
    return pd.DataFrame(rows)


@THEORY.register("fgan_mixture")
def fgan_mixture(run: TheoryRun, objective: str, generator: str, divergences: List[str], weights: List[float],
                 means: List[float], std: float, steps: int, batch_size: int, critic_lr: float,
                 generator_lr: float, hidden: int, layers: int, grid_points: int) -> dict:
    """Fit N(mu, sigma^2) to the mixture sum_k weights[k] N(means[k], std^2) with objective
    `objective` (f-GAN) for each of `divergences`, with its generator form `generator`, `steps`
    steps of batches of `batch_size`, the critic an MLP of `layers` x `hidden` (learning rate
    `critic_lr`; the model's `generator_lr`); compare each fit with the direct minimiser of the
    same divergence on a grid of `grid_points`."""
    if len(weights) != len(means) or abs(sum(weights) - 1) > 1e-9 or std <= 0:
        raise ConfigError(f"theory.weights={list(weights)} must sum to 1, match theory.means={list(means)}, "
                          f"and theory.std={std} be > 0")
    unknown = [d for d in divergences if d not in DIRECT]
    if unknown:
        raise ConfigError(f"theory.divergences: {unknown} have no direct minimiser here; use {', '.join(DIRECT)}")
    preset = loss_preset(objective)
    rows, curves = [], []
    summary: dict = {"fits": {}}
    for divergence in divergences:
        built = build_objective({**preset, "divergence": divergence, "generator": generator})
        curve = learn_fit(built, weights, means, std, steps=steps, batch_size=batch_size, critic_lr=critic_lr,
                          generator_lr=generator_lr, hidden=hidden, layers=layers, seed=run.seed, device=run.device)
        tail = curve.tail(max(1, len(curve) // 10))       # the last 10 % of the measurements, averaged
        learned_mu, learned_sigma = float(tail.mu.mean()), float(tail.sigma.mean())
        mu, sigma, value = direct_fit(divergence, weights, means, std, grid_points)
        log.info("%s: learned mu %.3f sigma %.3f; direct mu %.3f sigma %.3f", divergence, learned_mu, learned_sigma,
                 mu, sigma)
        summary["fits"][divergence] = {
            "learned_mu": learned_mu, "learned_sigma": learned_sigma, "direct_mu": mu, "direct_sigma": sigma,
            "direct_divergence": value, "mu_error": abs(learned_mu - mu),
            "sigma_relative_error": abs(learned_sigma - sigma) / sigma}
        rows.append({"divergence": divergence, **summary["fits"][divergence]})
        curves.append(curve.assign(divergence=divergence))
    run.write_csv(pd.DataFrame(rows), "fits.csv")
    run.write_csv(pd.concat(curves), "curves.csv")
    fits = summary["fits"]
    if "kl" in fits and "reverse_kl" in fits:
        summary["kl_over_reverse_kl_sigma"] = fits["kl"]["learned_sigma"] / fits["reverse_kl"]["learned_sigma"]
    summary["max_mu_error"] = max(f["mu_error"] for f in fits.values())
    summary["max_sigma_relative_error"] = max(f["sigma_relative_error"] for f in fits.values())
    summary["finding"] = "; ".join(
        f"{d}: learned N({fmt(f['learned_mu'])}, {fmt(f['learned_sigma'])}^2), direct N({fmt(f['direct_mu'])}, "
        f"{fmt(f['direct_sigma'])}^2)" for d, f in fits.items())
    _plot(run, weights, means, std, fits)
    return summary


def _plot(run: TheoryRun, weights, means, std, fits: dict) -> None:
    fig, axes = figure(1, 1, width=6.0, height=3.6)
    ax = axes[0][0]
    x = torch.linspace(min(means) - 5 * std - 2, max(means) + 5 * std + 2, 801, dtype=torch.float64)
    ax.fill_between(x.numpy(), mixture_pdf(x, weights, means, std).numpy(), color="0.85", label="data P")
    for i, (d, f) in enumerate(fits.items()):
        ax.plot(x.numpy(), _normal_pdf(x, f["learned_mu"], f["learned_sigma"]).numpy(), color=f"C{i}",
                label=f"{d}: learned")
        ax.plot(x.numpy(), _normal_pdf(x, f["direct_mu"], f["direct_sigma"]).numpy(), color=f"C{i}", ls=":",
                label=f"{d}: direct minimiser")
    ax.set(xlabel="x", ylabel="density", title="Gaussian fits to a two-mode mixture (f-GAN, Sec. 2.5)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(fig)
