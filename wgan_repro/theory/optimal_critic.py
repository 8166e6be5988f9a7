"""Optimal discriminator vs optimal clipped critic on two 1-D Gaussians (WGAN paper, Fig. 2).

A GAN discriminator and a weight-clipped WGAN critic are trained to convergence on real
samples N(real_mean, std^2) against fake samples N(fake_mean, std^2) far apart. The
discriminator saturates (D = 0 where the fakes are, so the gradient of the generator's
E[log(1 - D(x))] vanishes there); the critic is close to linear, so -f gives a usable gradient
at every fake sample.

Optionally an energy critic beside them (`energy_objective`, EBGAN: an autoencoder whose
reconstruction error is the energy). Its loss is minimal for an energy 0 on the data and any
energy of at least the margin m at the fakes: a flat m there would give the generator's E[D(x)]
no gradient, like the saturated discriminator, but nothing pushes the energy down to m, and an
autoencoder's reconstruction error keeps growing away from the data it reconstructs. The
experiment measures which of the two the trained critic does.

Files: `curves.csv` (x, both densities, D(x), f(x), each generator loss's gradient in x, and
the energy E(x) with its gradient), `fake_gradients.csv` (the same at fresh fake samples),
`figure.png`.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import pandas as pd
import torch

from wgan_repro.models import build_critic
from wgan_repro.objectives import GENERATOR_PHASE, OBJECTIVES, get_objective
from wgan_repro.presets import selected
from wgan_repro.registry import ConfigError
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import TheoryRun, figure, fmt, fresh_mlp, objective_clip, paper_optimizer, train_critic


def gaussian_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def generator_gradients(disc: torch.nn.Module, critic: torch.nn.Module, x: torch.Tensor, discriminator: str,
                        critic_objective: str) -> dict:
    """At points x (N, 1): D(x), f(x) and the per-point gradient in x of each objective's generator
    loss: log(1 - D(x)) for the minimax GAN (`grad_gan`), -f(x) for the WGAN (`grad_wgan`)."""
    x = x.detach().clone().requires_grad_(True)
    logits, values = disc(x), critic(x)
    n = x.shape[0]                       # a generator loss is a mean over points: n times it sums them
    minimax = n * get_objective(discriminator).of(logits.detach(), logits, GENERATOR_PHASE).generator
    wasserstein = n * get_objective(critic_objective).of(values.detach(), values, GENERATOR_PHASE).generator
    (g_gan,) = torch.autograd.grad(minimax, x)
    (g_wgan,) = torch.autograd.grad(wasserstein, x)
    return {"D": torch.sigmoid(logits).detach().numpy(force=True), "f": values.detach().numpy(force=True),
            "grad_gan": g_gan[:, 0].numpy(force=True), "grad_wgan": g_wgan[:, 0].numpy(force=True)}


def energy_gradients(energy_critic: torch.nn.Module, x: torch.Tensor) -> dict:
    """At points x (N, 1): the energy E(x) and its gradient in x, the per-point gradient of the
    EBGAN generator's E[D(G(z))] (its pull-away term, a property of a whole batch, left out)."""
    x = x.detach().clone().requires_grad_(True)
    energy = energy_critic(x)
    (grad,) = torch.autograd.grad(energy.sum(), x)
    return {"energy": energy.detach().numpy(force=True), "grad_energy": grad[:, 0].numpy(force=True)}


def check_energy_objective(objective: str) -> dict:
    """The critic settings an energy-based objective's YAML selects; one line naming the valid
    objectives (unknown name) or the problem (not energy-based) otherwise."""
    OBJECTIVES.get(objective)
    settings = selected("loss", objective, "critic")
    if settings is None or not get_objective(objective).info.energy_critic:
        raise ConfigError(f"theory.energy_objective={objective!r} is not an energy-based objective: "
                          "use one whose critic is an autoencoder (or null to leave it out)")
    return settings


def fresh_energy_critic(objective: str, hidden: int, layers: int, seed: int, device) -> torch.nn.Module:
    """A freshly initialised (seeded) critic of the kind objective `objective`'s YAML file selects
    (the autoencoder, with that file's energy), as MLPs of `layers` x `hidden` on 1-D points."""
    settings = check_energy_objective(objective)
    torch.manual_seed(seed)
    return build_critic({**settings, "hidden": hidden, "layers": layers, "ndf": 1}, (1,)).to(device)


@THEORY.register("optimal_critic")
def optimal_critic(run: TheoryRun, discriminator: str, critic_objective: str, real_mean: float = -2.0, fake_mean: float = 2.0, std: float = 0.5,
                   batch_size: int = 256, hidden: int = 64, layers: int = 2, disc_steps: int = 2000,
                   disc_lr: float = 1e-3, clip: float = 0.01, critic_steps: int = 1000, critic_lr: float = 5e-3,
                   n_fake: int = 2048, grid_points: int = 601, energy_objective: Optional[str] = None,
                   energy_steps: int = 2000, energy_lr: float = 1e-3) -> dict:
    """Train a discriminator of objective `discriminator` (the minimax GAN) and a critic of
    `critic_objective` (the WGAN, clipped at `clip`), each with its YAML file's optimizer, MLPs of
    `layers` x `hidden`, on the two Gaussians; compare their values and generator gradients.
    With `energy_objective` (EBGAN), also its energy critic (autoencoder MLPs of the same size),
    trained `energy_steps` steps with its YAML file's optimizer at `energy_lr`."""
    if std <= 0 or real_mean == fake_mean:
        raise ConfigError(f"theory.std={std} must be > 0 and theory.real_mean != theory.fake_mean")
    device = run.device
    # built first, so a bad name stops before anything trains (each network seeds its own init)
    energy_critic = (fresh_energy_critic(energy_objective, hidden, layers, run.seed, device)
                     if energy_objective is not None else None)
    rng = run.rng(1)

    def batches(generator: torch.Generator):
        """Samplers of real and of fake batches drawing from `generator`."""
        return (lambda: real_mean + std * torch.randn(batch_size, 1, generator=generator, device=device),
                lambda: fake_mean + std * torch.randn(batch_size, 1, generator=generator, device=device))

    real, fake = batches(rng)

    disc = fresh_mlp(1, hidden, layers, run.seed, device)
    train_critic(disc, real, fake, loss=discriminator, steps=disc_steps,
                 optimizer=paper_optimizer(discriminator, disc.parameters(), disc_lr))
    critic = fresh_mlp(1, hidden, layers, run.seed, device)
    train_critic(critic, real, fake, loss=critic_objective, steps=critic_steps,
                 optimizer=paper_optimizer(critic_objective, critic.parameters(), critic_lr),
                 clip=objective_clip(critic_objective, clip))
    if energy_critic is not None:               # its own random stream: the numbers above do not depend on it
        train_critic(energy_critic, *batches(run.rng(2)), loss=energy_objective, steps=energy_steps,
                     optimizer=paper_optimizer(energy_objective, energy_critic.parameters(), energy_lr))

    def gradients(points: torch.Tensor) -> dict:
        out = generator_gradients(disc, critic, points, discriminator, critic_objective)
        return {**out, **energy_gradients(energy_critic, points)} if energy_critic is not None else out

    lo, hi = min(real_mean, fake_mean) - 4 * std - 1, max(real_mean, fake_mean) + 4 * std + 1
    x = np.linspace(lo, hi, grid_points)
    curves = pd.DataFrame({"x": x, "p_real": gaussian_pdf(x, real_mean, std), "p_fake": gaussian_pdf(x, fake_mean, std),
                           **gradients(torch.tensor(x, dtype=torch.float32, device=device)[:, None])})
    run.write_csv(curves, "curves.csv")
    fakes = fake_mean + std * torch.randn(n_fake, 1, generator=rng, device=device)
    at_fakes = pd.DataFrame({"x": fakes[:, 0].numpy(force=True), **gradients(fakes)})
    run.write_csv(at_fakes, "fake_gradients.csv")

    summary = summarize(curves, at_fakes, real_mean, fake_mean, std)
    plot(run, curves, clip, real_mean, fake_mean, std,
         get_objective(energy_objective).info.label if energy_objective is not None else "")
    return summary


def summarize(curves: pd.DataFrame, at_fakes: pd.DataFrame, real_mean: float, fake_mean: float, std: float) -> dict:
    """Each gradient at the fakes relative to its largest size on the grid, the share of fakes where
    the discriminator's has vanished (< 1e-3 of its peak) and the critic's has not (> 0.1 of its
    peak), and how linear the critic is between the two distributions. With an energy critic:
    its mean energy at the fakes and on the grid within 2 std of the real mean (the data's
    region), its relative gradient at the fakes and the share it moves toward the real data."""
    peak_gan, peak_wgan = curves.grad_gan.abs().max(), curves.grad_wgan.abs().max()
    rel_gan = at_fakes.grad_gan.abs() / peak_gan
    rel_wgan = at_fakes.grad_wgan.abs() / peak_wgan
    vanished = rel_gan < 1e-3
    toward_real = np.sign(real_mean - at_fakes.x)                    # where the fakes should move
    # a generator step moves x along -grad: count the fakes it moves toward the real data
    descends_wgan = float((-np.sign(at_fakes.grad_wgan) == toward_real).mean())
    lo, hi = min(real_mean, fake_mean) - 2 * std, max(real_mean, fake_mean) + 2 * std
    span = curves[(curves.x >= lo) & (curves.x <= hi)]
    fit = np.polyfit(span.x, span.f, 1)
    residual = span.f - np.polyval(fit, span.x)
    r2 = 1 - float((residual ** 2).sum() / ((span.f - span.f.mean()) ** 2).sum())
    summary = {
        "median_abs_grad_gan_at_fakes": float(at_fakes.grad_gan.abs().median()),
        "median_abs_grad_wgan_at_fakes": float(at_fakes.grad_wgan.abs().median()),
        "median_relative_grad_gan_at_fakes": float(rel_gan.median()),
        "median_relative_grad_wgan_at_fakes": float(rel_wgan.median()),
        "share_fakes_gan_vanished": float(vanished.mean()),
        "share_of_those_wgan_nonzero": float((rel_wgan[vanished] > 0.1).mean()) if vanished.any() else float("nan"),
        "share_fakes_wgan_toward_real": descends_wgan,
        "mean_D_at_fakes": float(at_fakes.D.mean()),
        "critic_linear_r2": r2,
        "critic_slope": float(fit[0]),
    }
    if "energy" in at_fakes:
        rel_energy = at_fakes.grad_energy.abs() / curves.grad_energy.abs().max()
        summary.update({
            "mean_energy_at_fakes": float(at_fakes.energy.mean()),
            "mean_energy_at_reals": float(curves.energy[(curves.x - real_mean).abs() <= 2 * std].mean()),
            "median_relative_grad_energy_at_fakes": float(rel_energy.median()),
            "share_fakes_energy_vanished": float((rel_energy < 1e-3).mean()),
            "share_fakes_energy_toward_real": float((-np.sign(at_fakes.grad_energy) == toward_real).mean()),
        })
    summary["finding"] = (
        f"at the fake samples the saturated discriminator (mean D = {fmt(summary['mean_D_at_fakes'])}) gives a "
        f"median gradient of {fmt(summary['median_relative_grad_gan_at_fakes'])} of its peak "
        f"(vanished, < 1e-3, at {100 * summary['share_fakes_gan_vanished']:.1f}% of the fakes) while the clipped "
        f"critic, linear between the Gaussians (R^2 = {r2:.4f}), gives {fmt(summary['median_relative_grad_wgan_at_fakes'])} "
        f"of its peak, non-zero (> 0.1) at {100 * summary['share_of_those_wgan_nonzero']:.1f}% of those fakes "
        f"and pointing toward the real data at {100 * descends_wgan:.1f}% of all fakes"
    )
    if "energy" in at_fakes:
        summary["finding"] += (
            f"; the energy critic (mean energy {fmt(summary['mean_energy_at_reals'])} on the data, "
            f"{fmt(summary['mean_energy_at_fakes'])} at the fakes) gives them a median gradient of "
            f"{fmt(summary['median_relative_grad_energy_at_fakes'])} of its peak (< 1e-3 at "
            f"{100 * summary['share_fakes_energy_vanished']:.1f}% of them), toward the real data at "
            f"{100 * summary['share_fakes_energy_toward_real']:.1f}% of them")
    return summary


def plot(run: TheoryRun, curves: pd.DataFrame, clip: float, real_mean: float, fake_mean: float, std: float,
         energy_label: str = "") -> None:
    fig, axes = figure(1, 2, width=5.0, height=3.8)
    a, b = axes[0]
    scale = max(curves.p_real.max(), curves.p_fake.max())
    a.fill_between(curves.x, curves.p_real / scale, color="tab:blue", alpha=0.25, label="real density (scaled)")
    a.fill_between(curves.x, curves.p_fake / scale, color="tab:green", alpha=0.25, label="fake density (scaled)")
    a.plot(curves.x, curves.D, color="tab:red", label="GAN discriminator D(x)")
    a.set(xlabel="x", ylabel="density, D(x)", ylim=(-0.03, 1.1), title="(a) optimal discriminator and critic")
    twin = a.twinx()
    twin.plot(curves.x, curves.f, color="tab:cyan", ls="--", label=f"clipped critic f(x) (c = {clip})")
    if "energy" in curves:
        a.plot(curves.x, curves.energy / curves.energy.max(), color="tab:purple", ls=":",
               label=f"{energy_label} energy critic E(x) / its max")
    twin.set_ylabel("critic f(x)")
    twin.grid(False)
    handles = a.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    a.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="center left")

    floor = 1e-12
    for mean, color, name in ((real_mean, "tab:blue", "real"), (fake_mean, "tab:green", "fake")):
        b.axvspan(mean - 2 * std, mean + 2 * std, color=color, alpha=0.12, label=f"{name} samples (± 2 std)")
    b.plot(curves.x, curves.grad_gan.abs().clip(lower=floor), color="tab:red", label="|d/dx log(1 − D(x))|  (GAN)")
    b.plot(curves.x, curves.grad_wgan.abs().clip(lower=floor), color="tab:cyan", ls="--", label="|d/dx (−f(x))|  (WGAN)")
    if "energy" in curves:
        b.plot(curves.x, curves.grad_energy.abs().clip(lower=floor), color="tab:purple", ls=":",
               label=f"|d/dx E(x)|  ({energy_label})")
    b.set_yscale("log")
    b.set(xlabel="x", ylabel=f"gradient for the generator (0 drawn at {floor:g})",
          title="(b) the gradient each gives a sample at x")
    b.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    run.save_figure(fig)
