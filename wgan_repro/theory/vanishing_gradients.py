"""Vanishing and unstable generator gradients ("Towards Principled Methods", Figs. 1-3).

A DCGAN (the run's model, critic and data config; the -log D GAN by default) is trained for a
short, a medium and a long stage; at each stage the generator is frozen and a fresh
discriminator is trained from scratch against it. Along the discriminator's iterations:
its accuracy (it reaches 1 quickly: the supports are nearly disjoint), the norm of the
generator's gradient under E[log(1 - D(G(z)))] (it falls by orders of magnitude) and the mean
and spread of its norm under E[-log D(G(z))] (they grow). The same is repeated with a fresh
clipped WGAN critic, whose gradient neither vanishes nor explodes.

Files: `curves.csv` (stage, critic, step, accuracy, estimate, gradient norms), `figure.png`,
`samples_stage_<iters>.png` (what each frozen generator draws).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import pandas as pd
import torch

from wgan_repro.registry import ConfigError
from wgan_repro.run_files import save_image_grid, save_point_scatter
from wgan_repro.theory import THEORY
from wgan_repro.theory.common import TheoryRun, figure, fmt, log, objective_clip
from wgan_repro.theory.frozen import first_step_reaching, fresh_critic_run, generated, train_stages

FLOOR = 1e-30      # a gradient norm of exactly 0 is drawn here on log axes


@THEORY.register("vanishing_gradients")
def vanishing_gradients(run: TheoryRun, discriminator: str, probes: Dict[str, str], critic: Optional[str],
                        critic_probes: Dict[str, str], stages: List[int] = (100, 300, 1000), d_iters: int = 1000,
                        d_lr: float = 2e-4, critic_iters: Optional[int] = None,
                        critic_lr: float = 5e-5, clip: float = 0.01, points: int = 12, probe_batches: int = 4) -> dict:
    """`stages`: generator iterations after which the generator is frozen; `d_iters`: iterations
    of each fresh discriminator of objective `discriminator` (its YAML file's optimizer at `d_lr`),
    measuring the generator gradients of `probes` (`minimax`: the objective whose generator loss is
    E[log(1 - D(G(z)))], `nonsat`: E[-log D(G(z))]); `critic`: also train a fresh critic of that
    objective (clipped at `clip`, `critic_lr`; null: none) for `critic_iters` (default `d_iters`)
    iterations, measuring `critic_probes` (one label -> objective); `points` measurements per
    curve, each over `probe_batches` fixed batches."""
    stages = sorted({int(s) for s in stages})
    if not stages or stages[0] < 0 or d_iters < 1 or points < 2 or probe_batches < 1:
        raise ConfigError(f"theory.stages={stages} must be generator iterations >= 0, theory.d_iters >= 1, "
                          "theory.points >= 2 and theory.probe_batches >= 1")
    trainer, snapshots = train_stages(run, stages)
    curves = []
    for k, stage in enumerate(stages):
        runs = [(discriminator, probes, d_iters, d_lr, None)]
        if critic:
            runs.append((critic, critic_probes, critic_iters or d_iters, critic_lr, objective_clip(critic, clip)))
        for loss, probed, steps, lr, c in runs:
            log.info("stage %d (generator iteration %d): fresh %s critic, %d iterations", k + 1, stage, loss, steps)
            curve = fresh_critic_run(trainer, snapshots[stage], loss=loss, probes=probed, steps=steps, lr=lr, clip=c,
                                     points=points, probe_batches=probe_batches, seed=run.seed + 100 * (k + 1))
            curves.append(curve.assign(stage=stage, critic=loss))
        save_samples(run, trainer, stage)
    label = next(iter(critic_probes), None) if critic else None
    curves = pd.concat(curves)[["stage", "critic", "step", "accuracy", "estimate", "grad_minimax_mean",
                                "grad_minimax_std", "grad_nonsat_mean", "grad_nonsat_std"]
                               + ([f"grad_{label}_mean", f"grad_{label}_std"] if label else [])]
    run.write_csv(curves, "curves.csv")
    summary = summarize(curves, stages, discriminator, critic, label)
    plot(run, curves, stages, discriminator, critic, label)
    return summary


def save_samples(run: TheoryRun, trainer, stage: int) -> None:
    z = torch.randn(64, trainer.cfg.arch.nz, generator=run.rng(7), device=trainer.device)
    fake = generated(trainer, z)
    path = run.run_dir / f"samples_stage_{stage}.png"
    if trainer.data.is_image:
        save_image_grid(fake, path)
    else:
        save_point_scatter(fake, trainer.data.samples[:64], path, title=f"generator iteration {stage}")


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("inf")


def summarize(curves: pd.DataFrame, stages: list, discriminator: str, critic: Optional[str],
              label: Optional[str]) -> dict:
    """Per stage: the discriminator's accuracy and the minimax and -log D gradients' changes; with a
    critic, its probe's (`label`) gradient norm against its first value, as `<label>_*` keys."""
    per_stage = {}
    for stage in stages:
        gan = curves[(curves.stage == stage) & (curves.critic == discriminator)]
        first, last = gan.iloc[0], gan.iloc[-1]
        entry = {
            "steps_to_accuracy_0.99": first_step_reaching(gan, "accuracy", 0.99),
            "final_accuracy": float(last.accuracy),
            "minimax_first": float(first.grad_minimax_mean), "minimax_last": float(last.grad_minimax_mean),
            "minimax_drop": _ratio(first.grad_minimax_mean, last.grad_minimax_mean),
            "nonsat_mean_growth": _ratio(last.grad_nonsat_mean, first.grad_nonsat_mean),
            "nonsat_std_growth": _ratio(last.grad_nonsat_std, first.grad_nonsat_std),
            "nonsat_relative_spread_last": _ratio(last.grad_nonsat_std, last.grad_nonsat_mean),
        }
        fresh = curves[(curves.stage == stage) & (curves.critic == critic)] if critic else curves.iloc[:0]
        if len(fresh):
            norms, spread = fresh[f"grad_{label}_mean"], fresh[f"grad_{label}_std"]
            entry.update({f"{label}_first": float(norms.iloc[0]), f"{label}_last": float(norms.iloc[-1]),
                          f"{label}_last_over_first": _ratio(norms.iloc[-1], norms.iloc[0]),
                          f"{label}_min_over_first": _ratio(norms.min(), norms.iloc[0]),
                          f"{label}_relative_spread_last": _ratio(spread.iloc[-1], norms.iloc[-1])})
        per_stage[str(stage)] = entry
    values = list(per_stage.values())
    summary = {"stages": per_stage,
               "min_minimax_drop": min(v["minimax_drop"] for v in values),
               "min_nonsat_mean_growth": min(v["nonsat_mean_growth"] for v in values)}
    reach = ", ".join("never" if v["steps_to_accuracy_0.99"] is None else str(v["steps_to_accuracy_0.99"]) for v in values)
    finding = (
        f"against generators frozen after {', '.join(map(str, stages))} iterations, a fresh discriminator reached "
        f"accuracy >= 0.99 after {reach} iterations; the E[log(1-D(G(z)))] gradient norm fell "
        f"{', '.join(fmt(v['minimax_drop']) + 'x' for v in values)} while the E[-log D(G(z))] one grew "
        f"{', '.join(fmt(v['nonsat_mean_growth']) + 'x' for v in values)} in mean and "
        f"{', '.join(fmt(v['nonsat_std_growth']) + 'x' for v in values)} in spread"
    )
    if label and f"{label}_last_over_first" in values[0]:
        summary[f"min_{label}_min_over_first"] = min(v[f"{label}_min_over_first"] for v in values)
        summary[f"max_{label}_relative_spread_last"] = max(v[f"{label}_relative_spread_last"] for v in values)
        nonsat_spread = ", ".join(f"{100 * v['nonsat_relative_spread_last']:.1f}%" for v in values)
        finding += ("; a fresh clipped critic's gradient norm never fell below "
                    f"{fmt(summary[f'min_{label}_min_over_first'])}x its first value and ended at "
                    f"{', '.join(fmt(v[f'{label}_last_over_first']) + 'x' for v in values)} of it, with a "
                    f"batch-to-batch spread (std/mean) of at most {100 * summary[f'max_{label}_relative_spread_last']:.1f}% "
                    f"at the end (-log D: {nonsat_spread})")
    summary["finding"] = finding
    return summary


def plot(run: TheoryRun, curves: pd.DataFrame, stages: list, discriminator: str, critic: Optional[str],
         label: Optional[str]) -> None:
    fig, axes = figure(2, 2, width=4.8, height=3.6)
    (a, b), (c, d) = axes
    colors = dict(zip(stages, ["tab:orange", "tab:red", "tab:purple", "tab:brown", "tab:gray"] * 4))
    for stage in stages:
        color, name = colors[stage], f"G after {stage} iters"
        gan = curves[(curves.stage == stage) & (curves.critic == discriminator)]
        a.plot(gan.step, gan.accuracy, "o-", ms=3, color=color, label=name)
        b.plot(gan.step, gan.grad_minimax_mean.clip(lower=FLOOR), "o-", ms=3, color=color, label=name)
        c.plot(gan.step, gan.grad_nonsat_mean, "o-", ms=3, color=color, label=f"{name}: mean")
        c.plot(gan.step, gan.grad_nonsat_std.clip(lower=FLOOR), "--", color=color, alpha=0.7, label=f"{name}: std")
        fresh = curves[(curves.stage == stage) & (curves.critic == critic)] if critic else curves.iloc[:0]
        if len(fresh):
            mean, std = fresh[f"grad_{label}_mean"], fresh[f"grad_{label}_std"]
            d.plot(fresh.step, mean, "o-", ms=3, color=color, label=f"{name}: mean")
            d.fill_between(fresh.step, (mean - std).clip(lower=FLOOR), mean + std, color=color, alpha=0.15)
    for ax in (a, b, c, d):
        ax.set_xscale("log")
        ax.set_xlabel("discriminator iterations")
    a.set(ylabel="accuracy on real and fake", title="(a) fresh discriminator's accuracy", ylim=(0.4, 1.02))
    b.set_yscale("log")
    b.set(ylabel="‖∇θ E[log(1 − D(G(z)))]‖", title="(b) minimax generator gradient (vanishes)")
    c.set_yscale("log")
    c.set(ylabel="‖∇θ E[−log D(G(z))]‖", title="(c) −log D gradient: mean and std (grow)")
    d.set_yscale("log")
    d.set(ylabel="‖∇θ E[−f(G(z))]‖", title="(d) clipped WGAN critic (mean ± std)")
    if not critic:
        d.set_visible(False)
    for ax in (a, b, c, d):
        ax.legend(fontsize=6.5)
    fig.tight_layout()
    run.save_figure(fig)
