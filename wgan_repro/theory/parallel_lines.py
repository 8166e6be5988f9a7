"""Parallel lines (WGAN paper, Example 1 and Fig. 1).

P0 is the law of (0, Z) and P_theta the law of (theta, Z), Z ~ U[0, 1]. For theta != 0,
W = |theta|, JS = log 2, KL = KL(reverse) = +inf and TV = 1 (all 0 at theta = 0): only W is
continuous in theta. Beside the closed forms the experiment trains, at each theta, a clipped
critic (its estimate mean f(real) - mean f(fake) follows |theta| up to the critic's Lipschitz
scale) and a GAN discriminator (its JS estimate log 2 + V(D, G)/2 sits at log 2 for every
theta != 0). Then a generator whose one parameter is theta is trained under each objective
with plain gradient descent (so that the gradient's size matters, not only its sign).

Files: `distances.csv` (theta, closed forms, estimates), `theta_training.csv` (objective,
iteration, theta, the generator's gradient), `figure.png`.
"""
from __future__ import annotations

import math
from typing import List, Sequence

import numpy as np
import pandas as pd
import torch

from wgan_repro.objectives import GENERATOR_PHASE, get_objective
from wgan_repro.registry import ConfigError
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import (
    TheoryRun,
    fmt,
    fresh_mlp,
    is_discriminator,
    objective_clip,
    paper_optimizer,
    pyplot,
    rank_correlation,
    train_critic,
)

LOG2 = math.log(2.0)
GRAD_FLOOR = 1e-12          # where a gradient of exactly 0 is drawn on a log axis


def closed_forms(theta: float) -> dict:
    """W, JS, KL and TV between P0 and P_theta (Example 1 of the WGAN paper)."""
    if theta == 0:
        return {"W": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}
    return {"W": abs(theta), "JS": LOG2, "KL": math.inf, "TV": 1.0}


def numeric_distances(theta: float, n: int = 256, seed: int = 0) -> dict:
    """W, JS, KL and TV of P0 and P_theta computed from samples, independently of the closed forms:
    W by exact optimal transport (POT) between (0, z_i) and (theta, z_i) with the same z_i (the
    infimum over couplings is reached by pairing equal z, so W = |theta| up to rounding); JS, KL
    and TV from the two samples' histograms on bins narrower than |theta| (disjoint for theta != 0,
    equal at theta = 0) by their discrete definitions."""
    import ot

    z = np.random.default_rng(seed).random(n)
    real, fake = np.stack([np.zeros(n), z], 1), np.stack([np.full(n, theta), z], 1)
    w = float(ot.emd2(np.full(n, 1 / n), np.full(n, 1 / n), ot.dist(real, fake, metric="euclidean")))
    width = abs(theta) / 2 if theta else 1.0
    edges = np.arange(min(0.0, theta) - width, max(0.0, theta) + 2 * width, width)
    p = np.histogram(real[:, 0], edges)[0] / n
    q = np.histogram(fake[:, 0], edges)[0] / n
    m = (p + q) / 2

    def kl(a, b):          # sum of a log(a / b) over a > 0; +inf where a > 0 and b = 0
        support = a > 0
        if np.any(b[support] == 0):
            return math.inf
        return float(np.sum(a[support] * np.log(a[support] / b[support])))

    return {"W": w, "JS": 0.5 * kl(p, m) + 0.5 * kl(q, m), "KL": kl(q, p), "TV": 0.5 * float(np.abs(p - q).sum())}


def closed_form_error(theta: float, numeric: dict) -> float:
    """The largest |numeric - closed form| over W, JS and TV; +inf where KL disagrees (inf vs 0)."""
    exact = closed_forms(theta)
    if (math.isinf(numeric["KL"]) != math.isinf(exact["KL"])) or (exact["KL"] == 0 and numeric["KL"] != 0):
        return math.inf
    return max(abs(numeric[k] - exact[k]) for k in ("W", "JS", "TV"))


def sample_line(theta, n: int, rng: torch.Generator, device) -> torch.Tensor:
    """n points (theta, Z), Z ~ U[0, 1]; `theta` may be a tensor that carries a gradient."""
    z = torch.rand(n, 1, generator=rng, device=device)
    theta = torch.as_tensor(theta, dtype=z.dtype, device=device)
    return torch.cat([theta.expand(n, 1), z], dim=1)


def fit_and_estimate(theta: float, loss: str, *, steps: int, lr: float, clip, hidden: int, layers: int,
                     batch_size: int, eval_samples: int, seed: int, device) -> float:
    """Train a fresh critic of objective `loss` (its YAML file's optimizer at `lr`; clipped at
    `clip` when that file clips) on P0 vs P_theta and return its estimate on fresh samples: for
    the WGAN mean f(real) - mean f(fake), for the GAN the JS estimate log 2 + V(D, G)/2."""
    net = fresh_mlp(2, hidden, layers, seed, device)
    rng = torch.Generator(device=device).manual_seed(seed + 1)
    train_critic(net, lambda: sample_line(0.0, batch_size, rng, device),
                 lambda: sample_line(theta, batch_size, rng, device),
                 loss=loss, steps=steps, optimizer=paper_optimizer(loss, net.parameters(), lr),
                 clip=objective_clip(loss, clip))
    with torch.no_grad():
        real, fake = sample_line(0.0, eval_samples, rng, device), sample_line(theta, eval_samples, rng, device)
        return float(get_objective(loss).of(net(real), net(fake)).estimate)


def train_theta(loss: str, *, theta0: float, iters: int, gen_lr: float, n_critic: int, warmup_steps: int,
                critic_lr: float, disc_lr: float, clip: float, hidden: int, layers: int, batch_size: int,
                seed: int, device) -> pd.DataFrame:
    """Learn theta (the generator's only parameter) by gradient descent under objective `loss`,
    with `n_critic` critic steps per generator step (`warmup_steps` before the first); a
    discriminator (a logit output) learns at `disc_lr`, a critic at `critic_lr`."""
    net = fresh_mlp(2, hidden, layers, seed, device)
    rng = torch.Generator(device=device).manual_seed(seed + 1)
    optimizer = paper_optimizer(loss, net.parameters(), disc_lr if is_discriminator(loss) else critic_lr)
    objective = get_objective(loss)
    theta = torch.tensor(float(theta0), device=device, requires_grad=True)
    rows = []
    for it in range(1, iters + 1):
        train_critic(net, lambda: sample_line(0.0, batch_size, rng, device),
                     lambda: sample_line(theta.detach(), batch_size, rng, device), loss=loss,
                     steps=warmup_steps if it == 1 else n_critic, optimizer=optimizer, clip=objective_clip(loss, clip))
        real, fake = sample_line(0.0, batch_size, rng, device), sample_line(theta, batch_size, rng, device)
        (grad,) = torch.autograd.grad(objective.of(net(real), net(fake), GENERATOR_PHASE).generator, theta)
        with torch.no_grad():
            theta -= gen_lr * grad
        rows.append({"objective": loss, "iter": it, "theta": theta.item(), "grad": grad.item()})
    return pd.DataFrame(rows)


@THEORY.register("parallel_lines")
def parallel_lines(run: TheoryRun, critic_objective: str, discriminator_objective: str, objectives: List[str],
                   theta_max: float = 1.0, n_thetas: int = 21, batch_size: int = 256,
                   hidden: int = 64, layers: int = 2, clip: float = 0.01, critic_steps: int = 300,
                   critic_lr: float = 5e-3, disc_steps: int = 500, disc_lr: float = 1e-3,
                   eval_samples: int = 4096, theta0: float = 1.0, gen_iters: int = 300, gen_lr: float = 3.0,
                   n_critic: int = 5, warmup_steps: int = 100) -> dict:
    """Closed-form distances, critic and discriminator estimates over theta, and theta learned
    under each objective. `critic_objective` (the WGAN) and `discriminator_objective` (the GAN)
    give the estimates over theta, each with its YAML file's optimizer: `critic_*` set the critic
    (clipped at `clip`), `disc_*` the discriminator, both MLPs of `layers` x `hidden`;
    `objectives` are the generator objectives theta is learned under, with the plain gradient
    step `gen_lr`, the same for every objective."""
    if n_thetas < 3 or theta_max <= 0 or theta0 == 0:
        raise ConfigError(f"theory.n_thetas={n_thetas} must be >= 3, theory.theta_max={theta_max} > 0 "
                          f"and theory.theta0={theta0} != 0")
    device = run.device
    thetas = np.linspace(-theta_max, theta_max, n_thetas)
    common = dict(hidden=hidden, layers=layers, batch_size=batch_size, eval_samples=eval_samples, device=device)
    rows = []
    for theta in thetas:                 # the same fresh networks and data stream at every theta
        theta = float(theta)
        critic = fit_and_estimate(theta, critic_objective, steps=critic_steps, lr=critic_lr, clip=clip,
                                  seed=run.seed, **common)
        js = fit_and_estimate(theta, discriminator_objective, steps=disc_steps, lr=disc_lr, clip=None, seed=run.seed + 7, **common)
        numeric = numeric_distances(theta, seed=run.seed)
        rows.append({"theta": theta, **closed_forms(theta), **{f"{k}_numeric": v for k, v in numeric.items()},
                     "closed_form_error": closed_form_error(theta, numeric),
                     "critic_estimate": critic, "js_estimate": js})
    distances = pd.DataFrame(rows)
    run.write_csv(distances, "distances.csv")

    training = pd.concat([train_theta(loss, theta0=theta0, iters=gen_iters, gen_lr=gen_lr, n_critic=n_critic,
                                      warmup_steps=warmup_steps, critic_lr=critic_lr, disc_lr=disc_lr, clip=clip,
                                      hidden=hidden, layers=layers, batch_size=batch_size,
                                      seed=run.seed + 1000, device=device) for loss in objectives])
    run.write_csv(training, "theta_training.csv")

    summary = summarize(distances, training, theta0, objectives)
    plot(run, distances, training, summary, clip, theta0, objectives)
    return summary


def summarize(distances: pd.DataFrame, training: pd.DataFrame, theta0: float, objectives: Sequence[str]) -> dict:
    nonzero = distances[distances.theta != 0]
    abs_theta = distances.theta.abs().to_numpy()
    critic = distances.critic_estimate.to_numpy()
    slope = float(abs_theta @ critic / (abs_theta @ abs_theta))         # least squares through 0
    residual = critic - slope * abs_theta
    r2 = 1 - float(residual @ residual) / float(((critic - critic.mean()) ** 2).sum())
    tail = training.groupby("objective").apply(lambda d: d.tail(max(1, len(d) // 10)).theta.abs().mean(),
                                               include_groups=False)
    first_grad = training[training.iter == 1].set_index("objective").grad
    final = {loss: float(tail[loss]) for loss in objectives}
    moved = [loss for loss in objectives if final[loss] < 0.1 * abs(theta0)]
    js_dev = float((nonzero.js_estimate - LOG2).abs().max() / LOG2)
    summary = {
        "closed_forms_max_error": float(distances.closed_form_error.max()),
        "critic_rank_correlation": rank_correlation(abs_theta, critic),
        "critic_slope": slope,
        "critic_linear_r2": r2,
        "js_estimate_min": float(nonzero.js_estimate.min()),
        "js_estimate_max": float(nonzero.js_estimate.max()),
        "js_max_relative_deviation": js_dev,
        "js_estimate_at_zero": float(distances[distances.theta == 0].js_estimate.iloc[0]) if (distances.theta == 0).any() else None,
        "final_abs_theta": final,
        "first_generator_gradient": {loss: float(first_grad[loss]) for loss in objectives},
        "moved_to_zero": moved,
    }
    summary["finding"] = (
        f"the clipped critic's estimate rank-correlates with |theta| at rho={summary['critic_rank_correlation']:.3f} "
        f"(about {fmt(slope)}*|theta|, R^2={r2:.3f}) while the discriminator's JS estimate stays in "
        f"[{summary['js_estimate_min']:.4f}, {summary['js_estimate_max']:.4f}] (within {100 * js_dev:.1f}% of log 2) "
        f"for every theta != 0; learning theta from {fmt(theta0)}, the last 10% of iterations average |theta| "
        + ", ".join(f"{loss} {fmt(final[loss])}" for loss in objectives)
        + f": {' and '.join(moved) if moved else 'no objective'} moved theta to 0 (|theta| < 0.1*theta0)"
    )
    return summary


def plot(run: TheoryRun, distances: pd.DataFrame, training: pd.DataFrame, summary: dict, clip: float,
         theta0: float, objectives: Sequence[str]) -> None:
    plt = pyplot()
    fig = plt.figure(figsize=(12.6, 6.8))
    spec = fig.add_gridspec(2, 6)
    a, b, c = (fig.add_subplot(spec[0, 2 * i:2 * i + 2]) for i in range(3))
    d, e = fig.add_subplot(spec[1, :3]), fig.add_subplot(spec[1, 3:])
    t_max = distances.theta.abs().max()
    grid = np.linspace(-t_max, t_max, 401)
    grid = grid[grid != 0]
    left, right = grid < 0, grid > 0
    a.plot(grid, np.abs(grid), color="tab:blue", label="W = |θ|")
    for value, name, color in ((LOG2, "JS = log 2", "tab:orange"), (1.0, "TV = 1", "tab:green")):
        a.plot(grid[left], np.full(left.sum(), value), color=color, label=name)
        a.plot(grid[right], np.full(right.sum(), value), color=color)
        a.plot([0], [value], "o", mfc="white", color=color)
    top = 1.2 * max(t_max, 1.0)
    a.plot(grid[left], np.full(left.sum(), top), color="tab:red", ls="--", label="KL = +∞ (drawn at top)")
    a.plot(grid[right], np.full(right.sum(), top), color="tab:red", ls="--")
    a.plot([0], [0], "ko", ms=4, label="all = 0 at θ = 0")
    a.set(xlabel="θ", ylabel="distance", title="(a) closed forms, P0 vs Pθ", ylim=(-0.05, top * 1.1))
    a.legend(loc="lower left", fontsize=7)

    b.plot(distances.theta, distances.critic_estimate, "o", color="tab:blue", label="clipped critic's estimate")
    b.plot(grid, summary["critic_slope"] * np.abs(grid), color="tab:blue", alpha=0.5,
           label=f"K·|θ|, K = {fmt(summary['critic_slope'])}")
    b.set(xlabel="θ", ylabel="mean f(real) − mean f(fake)",
          title=f"(b) critic (c = {clip}): Spearman ρ = {summary['critic_rank_correlation']:.3f}")
    b.legend(fontsize=7)

    c.plot(distances.theta, distances.js_estimate, "o", color="tab:orange", label="discriminator's JS estimate")
    c.plot(grid, np.full_like(grid, LOG2), color="gray", ls="--", label="log 2")
    c.set(xlabel="θ", ylabel="log 2 + V(D, G)/2", ylim=(-0.05, 0.85), title="(c) GAN discriminator")
    c.legend(fontsize=7, loc="center right")

    for index, loss in enumerate(objectives):
        part = training[training.objective == loss]
        color, label = f"C{index}", get_objective(loss).info.label or loss
        d.plot(part.iter, part.theta, color=color, label=label)
        e.plot(part.iter, part.grad.abs().clip(lower=GRAD_FLOOR), color=color, label=label, lw=0.8)
    d.axhline(0, color="gray", lw=0.8)
    d.set_yscale("symlog", linthresh=abs(theta0))
    d.set(xlabel="generator iteration", ylabel="θ (symlog)", title="(d) θ learned by gradient descent (same step size)")
    d.legend(fontsize=7, loc="lower right", framealpha=0.9)
    e.set_yscale("log")
    e.set(xlabel="generator iteration", ylabel=f"|d loss_G / dθ| (0 drawn at {GRAD_FLOOR:g})",
          title="(e) the generator's gradient")
    e.legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(fig)
