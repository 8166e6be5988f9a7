"""What a clipped critic learns on a 2-D set, and why clipping is "a clearly terrible way to
enforce a Lipschitz constraint" (WGAN paper, section 3).

A WGAN (the run's config: the 2-D set, MLP generator and critic, clipping) is trained with
the project's Trainer and its generator frozen; a fresh clipped critic of the run's critic
config is trained to optimality against it and its value is drawn over the plane with the
real and the generated samples on top. Then, against the same generator, clipped MLP critics are
trained from scratch with weights started uniform in [-c, c] (so that whatever piles up at
+-c was put there by training): the weights of one pile up at +-c, and in deep ones
(`deep_layers` hidden layers) the gradient of the critic's loss vanishes for small c and
explodes for large c.

Files: `surface.csv` (x, y, critic value), `weights.csv` (histogram of the deep critic's
weights at start and after training), `layers.csv` (clip, layer, gradient norm, share of the
layer's weights at +-c), `figure.png`.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import pandas as pd
import torch
from matplotlib import colormaps
from torch import nn

from wgan_repro.models import build_critic
from wgan_repro.objectives import Objective, build_objective
from wgan_repro.registry import ConfigError
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import TheoryRun, figure, fmt, fresh_mlp, log, paper_optimizer, train_critic
from wgan_repro.theory.frozen import generated, train_stages

FLOOR = 1e-30      # a gradient norm of exactly 0 is drawn here on the log axis


def linear_layers(critic: nn.Module) -> list[nn.Linear]:
    return [m for m in critic.modules() if isinstance(m, nn.Linear)]


def share_at_bound(weights: torch.Tensor, clip: float) -> float:
    """The share of weights within 1% of +-clip."""
    return float((weights.abs() >= 0.99 * clip).float().mean())


@THEORY.register("critic_surface")
def critic_surface(run: TheoryRun, gen_iters: int = 1000, surface_steps: int = 2000, critic_lr: float = 5e-5,
                   grid: int = 150, extent: Optional[float] = None, n_points: int = 1000, deep_hidden: int = 128,
                   deep_steps: int = 1000,
                   hist_layers: int = 4, hist_clip: float = 0.01, deep_layers: int = 10,
                   clips: List[float] = (0.001, 0.01, 0.1), grad_batches: int = 8) -> dict:
    """Train the run's WGAN for `gen_iters` generator iterations and freeze its generator; train
    a fresh critic of the run's critic config (clipped at the run's loss.clip) for `surface_steps`
    RMSProp steps of `critic_lr` and draw it on [-extent, extent]^2 (`grid` points a side,
    `n_points` samples on top; extent null: the samples' reach plus a margin). Then clipped MLP critics of `deep_hidden` units a layer (weights
    started uniform in [-c, c], `deep_steps` steps of RMSProp `critic_lr`): one of `hist_layers` hidden layers with
    c = `hist_clip` whose weight histogram is drawn, and one of `deep_layers` hidden layers for
    each c in `clips` whose per-layer gradient norms (averaged over `grad_batches` batches) are
    drawn."""
    if run.cfg.data.name not in ("eight_gaussians", "twentyfive_gaussians", "swiss_roll"):
        raise ConfigError(f"critic_surface needs a 2-D data set, got data={run.cfg.data.name}: "
                          "use data=eight_gaussians, twentyfive_gaussians or swiss_roll")
    if run.cfg.loss.clip is None:
        raise ConfigError(f"critic_surface draws a clipped critic, but loss={run.cfg.loss.name} does not clip: "
                          "use an objective with loss.clip > 0 (the WGAN's)")
    objective = build_objective(run.cfg.loss)
    if hist_clip <= 0 or not clips or min(clips) <= 0:
        raise ConfigError(f"theory.hist_clip={hist_clip} and theory.clips={list(clips)} must be > 0")
    trainer, _ = train_stages(run, [gen_iters])
    device = trainer.device
    z = torch.randn(n_points, trainer.cfg.arch.nz, generator=run.rng(3), device=device)
    fake = generated(trainer, z)
    real = trainer.data.samples[torch.randperm(len(trainer.data), generator=torch.Generator().manual_seed(run.seed))[:n_points]]
    batch_size, nz = trainer.cfg.train.batch_size, trainer.cfg.arch.nz
    sampler_rng = torch.Generator().manual_seed(run.seed + 5)
    noise_rng = torch.Generator(device=device).manual_seed(run.seed + 6)

    def real_batch():
        index = torch.randint(len(trainer.data), (batch_size,), generator=sampler_rng)
        return trainer.data.samples[index].to(device)

    def fake_batch():
        return generated(trainer, torch.randn(batch_size, nz, generator=noise_rng, device=device))

    torch.manual_seed(run.seed + 8)
    surface_critic = build_critic(run.cfg.critic, (2,)).to(device)
    train_critic(surface_critic, real_batch, fake_batch, loss=objective, steps=surface_steps,
                 optimizer=paper_optimizer(objective.name, surface_critic.parameters(), critic_lr), clip=run.cfg.loss.clip)
    if extent is None:
        reach = torch.cat([real.to(device), fake]).abs().flatten().quantile(0.995).item()
        extent = 1.15 * reach
    surface = critic_values(surface_critic, extent, grid, device)
    run.write_csv(surface, "surface.csv")
    with torch.no_grad():
        estimate = float(surface_critic(real.to(device)).mean() - surface_critic(fake).mean())

    def clipped_critic(depth: int, clip: float) -> tuple[nn.Module, torch.Tensor]:
        critic = fresh_mlp(2, deep_hidden, depth, run.seed + 9, device)
        with torch.no_grad():
            for p in critic.parameters():
                p.uniform_(-clip, clip)
        start = torch.cat([layer.weight.detach().flatten() for layer in linear_layers(critic)]).cpu()
        train_critic(critic, real_batch, fake_batch, loss=objective, steps=deep_steps,
                     optimizer=paper_optimizer(objective.name, critic.parameters(), critic_lr), clip=clip)
        return critic, start

    critic, start = clipped_critic(hist_layers, hist_clip)
    trained = torch.cat([layer.weight.detach().flatten() for layer in linear_layers(critic)]).cpu()
    hist = weight_histogram(start, trained, hist_clip)
    layers = []
    for clip in sorted(clips):
        critic, _ = clipped_critic(deep_layers, clip)
        norms = layer_gradient_norms(critic, objective, real_batch, fake_batch, grad_batches)
        for i, (layer, norm) in enumerate(zip(linear_layers(critic), norms)):
            layers.append({"clip": clip, "layer": i + 1, "grad_norm": norm,
                           "share_at_bound": share_at_bound(layer.weight.detach(), clip)})
        log.info("deep critic, clip %g: gradient norm %.3g at the input layer, %.3g at the last", clip, norms[0], norms[-1])
    layers = pd.DataFrame(layers)
    run.write_csv(layers, "layers.csv")
    run.write_csv(hist, "weights.csv")

    summary = summarize(layers, hist, hist_clip, estimate, hist_layers, deep_layers)
    plot(run, surface, real.numpy(force=True), fake.numpy(force=True), hist, layers, hist_clip, estimate)
    return summary


@torch.no_grad()
def critic_values(critic: nn.Module, extent: float, grid: int, device) -> pd.DataFrame:
    axis = torch.linspace(-extent, extent, grid)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([xx.flatten(), yy.flatten()], dim=1)
    values = critic(points.to(device)).cpu()
    return pd.DataFrame({"x": points[:, 0].numpy(), "y": points[:, 1].numpy(), "f": values.numpy()})


def layer_gradient_norms(critic: nn.Module, objective: Objective, real_batch, fake_batch, batches: int) -> list[float]:
    """The norm of d(critic loss)/d(weight) of each linear layer, input layer first, averaged over batches."""
    weights = [layer.weight for layer in linear_layers(critic)]
    totals = np.zeros(len(weights))
    for _ in range(batches):
        terms = objective.of(critic(real_batch()), critic(fake_batch()))
        grads = torch.autograd.grad(terms.critic, weights)
        totals += np.array([float(g.norm()) for g in grads])
    return list(totals / batches)


def weight_histogram(start: torch.Tensor, trained: torch.Tensor, clip: float, bins: int = 41) -> pd.DataFrame:
    edges = np.linspace(-clip, clip, bins + 1)
    edges[0], edges[-1] = -clip * 1.0001, clip * 1.0001          # the bounds themselves fall inside
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:],
                         "count_start": np.histogram(start.numpy(), edges)[0],
                         "count_trained": np.histogram(trained.numpy(), edges)[0]})


def summarize(layers: pd.DataFrame, hist: pd.DataFrame, hist_clip: float, estimate: float, hist_layers: int,
              deep_layers: int) -> dict:
    edge = hist.iloc[[0, -1]]
    share_trained = float(edge.count_trained.sum() / hist.count_trained.sum())
    share_start = float(edge.count_start.sum() / hist.count_start.sum())
    first_layer = {str(c): float(p.sort_values("layer").grad_norm.iloc[0]) for c, p in layers.groupby("clip")}
    last_layer = {str(c): float(p.sort_values("layer").grad_norm.iloc[-1]) for c, p in layers.groupby("clip")}
    summary = {
        "surface_w_estimate": estimate,
        "hist_clip": hist_clip,
        "share_weights_in_edge_bins_start": share_start,
        "share_weights_in_edge_bins_trained": share_trained,
        "deep_share_at_bound_by_clip": {str(c): float(p.share_at_bound.mean()) for c, p in layers.groupby("clip")},
        "deep_input_layer_grad_norm": first_layer,
        "deep_last_layer_grad_norm": last_layer,
    }
    summary["finding"] = (
        f"a clipped critic trained against the frozen WGAN generator reaches W-estimate {fmt(estimate)}; in a "
        f"{hist_layers}-hidden-layer clipped critic (c = {hist_clip}) started uniform in [-c, c] the share of weights "
        f"in the two outermost of {len(hist)} histogram bins (at +-c) went from {100 * share_start:.1f}% to "
        f"{100 * share_trained:.1f}% with training; in {deep_layers}-hidden-layer clipped critics the gradient norm "
        "at the input layer (last layer) is "
        + ", ".join(f"{fmt(first_layer[c])} ({fmt(last_layer[c])}) for c = {c}" for c in first_layer)
    )
    return summary


def plot(run: TheoryRun, surface: pd.DataFrame, real: np.ndarray, fake: np.ndarray, hist: pd.DataFrame,
         layers: pd.DataFrame, hist_clip: float, estimate: float) -> None:
    fig, axes = figure(1, 3, width=4.4, height=3.9)
    a, b, c = axes[0]
    side = int(round(np.sqrt(len(surface))))
    xs, ys = surface.x.to_numpy().reshape(side, side), surface.y.to_numpy().reshape(side, side)
    contour = a.contourf(xs, ys, surface.f.to_numpy().reshape(side, side), levels=30, cmap="coolwarm")
    fig.colorbar(contour, ax=a, label="critic f(x)", fraction=0.046, pad=0.04)
    a.scatter(real[:, 0], real[:, 1], s=3, c="black", alpha=0.5, label="real")
    a.scatter(fake[:, 0], fake[:, 1], s=3, c="gold", alpha=0.6, label="generated")
    a.set(xlabel="x₁", ylabel="x₂", aspect="equal", title=f"(a) optimal clipped critic, W-estimate {fmt(estimate)}")
    a.grid(False)
    a.legend(fontsize=7, loc="upper right", markerscale=3)

    centers = (hist.left + hist.right) / 2
    width = float((hist.right - hist.left).iloc[1])
    b.bar(centers, hist.count_start, width=width, color="tab:gray", alpha=0.5, label="start (uniform in [−c, c])")
    b.bar(centers, hist.count_trained, width=width, color="tab:blue", alpha=0.6, label="after training")
    b.set_yscale("log")
    b.set(xlabel="weight value", ylabel="count", title=f"(b) clipped critic's weights, c = {hist_clip}")
    b.legend(fontsize=7, loc="upper center")

    cmap = colormaps["plasma"]
    clips = sorted(layers["clip"].unique())
    for i, clip in enumerate(clips):
        part = layers[layers["clip"] == clip].sort_values("layer")
        c.plot(part.layer, part.grad_norm.clip(lower=FLOOR), "o-", ms=3, color=cmap(0.15 + 0.7 * i / max(len(clips) - 1, 1)),
               label=f"c = {clip:g}")
    c.set_yscale("log")
    c.set(xlabel="layer (1 = input)", ylabel=f"‖∂ critic loss / ∂ W_layer‖ (0 drawn at {FLOOR:g})",
          title=f"(c) {len(part) - 1}-hidden-layer clipped critics")
    c.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    run.save_figure(fig)
