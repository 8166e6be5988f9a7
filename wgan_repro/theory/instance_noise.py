"""Instance noise ("Towards Principled Methods", section 3).

The frozen-generator protocol of `vanishing_gradients` with Gaussian noise N(0, sigma^2) added
to the discriminator's inputs, real and fake: the noise makes the two distributions overlap,
the discriminator can no longer separate them perfectly and the generator's gradient under
E[log(1 - D(G(z) + noise))] stays usable. One generator is trained and frozen; for each noise
scale, from the largest to none, a fresh discriminator is trained from scratch against it.

Files: `curves.csv` (noise_std, step, accuracy, estimate, gradient norms), `final.csv` (the
last measurement at each scale), `figure.png`.
"""
from __future__ import annotations

from typing import Dict, List

import pandas as pd
from matplotlib import colormaps

from wgan_repro.registry import ConfigError
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import TheoryRun, figure, fmt, log
from wgan_repro.theory.frozen import fresh_critic_run, train_stages

FLOOR = 1e-30


@THEORY.register("instance_noise")
def instance_noise(run: TheoryRun, discriminator: str, probes: Dict[str, str], gen_iters: int = 100, noise_stds: List[float] = (1.0, 0.3, 0.1, 0.0),
                   d_iters: int = 300, d_lr: float = 2e-4, points: int = 8, probe_batches: int = 2) -> dict:
    """Freeze the generator after `gen_iters` iterations; for each scale in `noise_stds` train a
    fresh discriminator of objective `discriminator` (its YAML file's optimizer at `d_lr`) for
    `d_iters` iterations on inputs with instance noise of that standard deviation (images live in
    [-1, 1]), measuring the generator gradients of `probes` (`minimax`: the objective whose generator
    loss is E[log(1 - D(G(z)))], `nonsat`: E[-log D(G(z))])."""
    stds = sorted({float(s) for s in noise_stds}, reverse=True)
    if not stds or stds[-1] < 0 or gen_iters < 0 or d_iters < 1:
        raise ConfigError(f"theory.noise_stds={list(noise_stds)} must be >= 0, theory.gen_iters >= 0, theory.d_iters >= 1")
    trainer, snapshots = train_stages(run, [gen_iters])
    curves = []
    for std in stds:
        log.info("instance noise std %g: fresh discriminator, %d iterations", std, d_iters)
        curve = fresh_critic_run(trainer, snapshots[gen_iters], loss=discriminator, probes=probes, steps=d_iters, lr=d_lr, noise_std=std,
                                 points=points, probe_batches=probe_batches, seed=run.seed + 100)
        curves.append(curve.assign(noise_std=std))
    curves = pd.concat(curves)[["noise_std", "step", "accuracy", "estimate", "grad_minimax_mean", "grad_minimax_std",
                                "grad_nonsat_mean", "grad_nonsat_std"]]
    run.write_csv(curves, "curves.csv")
    final = curves.groupby("noise_std", sort=False).tail(1).reset_index(drop=True)
    first = curves.groupby("noise_std", sort=False).head(1).reset_index(drop=True)
    final = final.assign(minimax_drop=first.grad_minimax_mean / final.grad_minimax_mean)
    run.write_csv(final, "final.csv")
    summary = summarize(final)
    plot(run, curves, final)
    return summary


def summarize(final: pd.DataFrame) -> dict:
    by_std = final.set_index("noise_std")
    largest, smallest = by_std.index.max(), by_std.index.min()
    ratio = float(by_std.grad_minimax_mean[largest] / by_std.grad_minimax_mean[smallest])
    summary = {
        "final": {str(std): {"accuracy": float(row.accuracy), "grad_minimax": float(row.grad_minimax_mean),
                             "grad_nonsat": float(row.grad_nonsat_mean), "minimax_drop": float(row.minimax_drop)}
                  for std, row in by_std.iterrows()},
        "grad_ratio_largest_vs_smallest_noise": ratio,
        "largest_noise_std": float(largest), "smallest_noise_std": float(smallest),
    }
    summary["finding"] = (
        "after training a fresh discriminator with instance noise std "
        + ", ".join(f"{std:g}" for std in by_std.index)
        + f", its accuracy is {', '.join(f'{a:.3f}' for a in by_std.accuracy)} and the generator's "
        f"E[log(1-D)] gradient norm is {', '.join(fmt(g) for g in by_std.grad_minimax_mean)} "
        f"(fallen {', '.join(fmt(d) + 'x' for d in by_std.minimax_drop)} from the fresh discriminator's): "
        f"with noise std {largest:g} the gradient is {fmt(ratio)}x the one without noise (std {smallest:g})"
    )
    return summary


def plot(run: TheoryRun, curves: pd.DataFrame, final: pd.DataFrame) -> None:
    fig, axes = figure(1, 3, width=4.2, height=3.5)
    a, b, c = axes[0]
    stds = list(final.noise_std)
    cmap = colormaps["viridis"]
    for i, std in enumerate(stds):
        part = curves[curves.noise_std == std]
        color = cmap(i / max(len(stds) - 1, 1))
        a.plot(part.step, part.grad_minimax_mean.clip(lower=FLOOR), "o-", ms=3, color=color, label=f"σ = {std:g}")
        c.plot(part.step, part.accuracy, "o-", ms=3, color=color, label=f"σ = {std:g}")
    a.set(xscale="log", yscale="log", xlabel="discriminator iterations", ylabel="‖∇θ E[log(1 − D(G(z) + ε))]‖",
          title="(a) minimax generator gradient")
    positive = final[final.noise_std > 0]
    b.plot(positive.noise_std, positive.grad_minimax_mean, "o-", color="tab:red", label="E[log(1 − D)]")
    b.plot(positive.noise_std, positive.grad_nonsat_mean, "s-", color="tab:green", label="E[−log D]")
    for value, color, name in ((final[final.noise_std == 0].grad_minimax_mean, "tab:red", "E[log(1 − D)]"),
                               (final[final.noise_std == 0].grad_nonsat_mean, "tab:green", "E[−log D]")):
        if len(value):
            b.axhline(float(value.iloc[0]), color=color, ls=":", label=f"{name}, no noise")
    b.set(xscale="log", yscale="log", xlabel="instance noise std σ", ylabel="gradient norm after training D",
          title="(b) generator gradient vs noise scale")
    c.set(xscale="log", xlabel="discriminator iterations", ylabel="accuracy on noisy real and fake",
          ylim=(0.4, 1.02), title="(c) discriminator accuracy")
    for ax in (a, b, c):
        ax.legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(fig)
