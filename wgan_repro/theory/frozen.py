"""The frozen-generator protocol of "Towards Principled Methods for Training GANs" (Figs. 1-3),
shared by `vanishing_gradients` and `instance_noise`.

The run's generator is trained with the project's Trainer (the run's model, critic, loss and
data config) and snapshot after some generator iterations. Against a snapshot, frozen, a
fresh discriminator (or clipped critic) is trained from scratch; at iterations spaced on a
log axis the experiment measures, on fixed probe batches, the discriminator's accuracy and
the norm of the gradient that each generator loss would give the generator's parameters.
The generator stays in training mode (BatchNorm on batch statistics, as it was trained) but
is never updated.
"""
from __future__ import annotations

import copy
from typing import Mapping, Optional, Sequence

import pandas as pd
import torch

from wgan_repro.data import BatchSampler
from wgan_repro.models import build_critic
from wgan_repro.objectives import GENERATOR_PHASE, get_objective
from wgan_repro.regularizers import add_instance_noise
from wgan_repro.theory.common import (
    TheoryRun,
    grad_norm,
    is_discriminator,
    log,
    log_steps,
    paper_optimizer,
    train_critic,
)
from wgan_repro.train import Trainer


def train_stages(run: TheoryRun, stages: Sequence[int]) -> tuple[Trainer, dict[int, dict]]:
    """Train the run's generator with the project's Trainer and snapshot its weights after each
    number of generator iterations in `stages`. Writes nothing into the run folder."""
    trainer = Trainer(run.cfg, run.run_dir)
    snapshots = {}
    for stage in sorted(set(stages)):
        while trainer.iter < stage:
            row = trainer.generator_iteration()
            if trainer.iter % max(1, stage // 5) == 0 or trainer.iter == stage:
                log.info("generator iteration %d/%d (%s): estimate %.4f", trainer.iter, max(stages),
                         run.cfg.loss.name, row["estimate"])
        snapshots[stage] = copy.deepcopy(trainer.generator.state_dict())
    return trainer, snapshots


@torch.no_grad()
def generated(trainer: Trainer, z: torch.Tensor) -> torch.Tensor:
    return trainer.generator(z)


def fresh_critic_run(trainer: Trainer, generator_state: dict, *, loss: str, probes: Mapping[str, str], steps: int,
                     lr: float, clip: Optional[float] = None, noise_std: float = 0.0, points: int = 15,
                     probe_batches: int = 4, seed: int = 0) -> pd.DataFrame:
    """Train a fresh critic of the run's `critic` config for `steps` iterations of objective `loss`
    (its YAML file's optimizer at `lr`, weights clipped at `clip`) against the frozen generator
    `generator_state`. `noise_std` adds instance noise to both inputs.

    Returns one row per measured iteration: `step`, `accuracy` (discriminators, whose output is a
    logit), `estimate`, and for each generator loss of `probes` (label -> the objective whose
    generator term it is, e.g. `minimax` -> E[log(1 - D(G(z)))]) the mean and standard deviation
    over the probe batches of the norm of its gradient with respect to the generator's parameters
    (`grad_<label>_mean`, `grad_<label>_std`).
    """
    device, memory_format = trainer.device, trainer.memory_format
    batch_size, nz = trainer.cfg.train.batch_size, trainer.cfg.arch.nz
    generator = trainer.generator
    generator.load_state_dict(generator_state)
    generator.train()
    torch.manual_seed(seed)
    critic = build_critic(trainer.cfg.critic, trainer.data.shape).to(device).to(memory_format=memory_format)
    optimizer = paper_optimizer(loss, critic.parameters(), lr)
    sampler = BatchSampler(trainer.data, batch_size, seed=seed)
    rng = torch.Generator(device=device).manual_seed(seed + 1)
    probe = make_probe(trainer, probe_batches, noise_std, seed + 2)
    rows = []

    def measure(step: int) -> None:
        rows.append({"step": step, **probe_generator(generator, critic, probe, probes, is_discriminator(loss))})

    train_critic(critic, lambda: sampler.next().contiguous(memory_format=memory_format),
                 lambda: generated(trainer, torch.randn(batch_size, nz, generator=rng, device=device)),
                 loss=loss, steps=steps, optimizer=optimizer, clip=clip, noise_std=noise_std, noise_rng=rng,
                 measure=measure, measure_at=log_steps(steps, points))
    return pd.DataFrame(rows)


def make_probe(trainer: Trainer, batches: int, noise_std: float, seed: int) -> list[tuple]:
    """Fixed (real images, noise z, instance noise on real, on fake) batches for the measurements."""
    device, batch_size, nz = trainer.device, trainer.cfg.train.batch_size, trainer.cfg.arch.nz
    g = torch.Generator(device=device).manual_seed(seed)
    index = torch.randperm(len(trainer.data), generator=torch.Generator().manual_seed(seed))
    probe = []
    for i in range(batches):
        real = trainer.data.as_float(trainer.data.samples[index[i * batch_size:(i + 1) * batch_size].to(device)])
        real = real.contiguous(memory_format=trainer.memory_format)
        z = torch.randn(batch_size, nz, generator=g, device=device)
        zeros = torch.zeros_like(real)
        eps = (add_instance_noise(zeros, noise_std, g), add_instance_noise(zeros, noise_std, g))
        probe.append((real, z, *eps))
    return probe


def probe_generator(generator: torch.nn.Module, critic: torch.nn.Module, probe: list[tuple],
                    probes: Mapping[str, str], accuracy_of_logits: bool) -> dict:
    params = [p for p in generator.parameters() if p.requires_grad]
    norms = {name: [] for name in probes}
    accuracy, estimate = [], []
    for real, z, eps_real, eps_fake in probe:
        real_out, fake_out = critic(real + eps_real), critic(generator(z) + eps_fake)
        for i, (name, objective) in enumerate(probes.items()):
            terms = get_objective(objective).of(real_out, fake_out, GENERATOR_PHASE)
            norms[name].append(grad_norm(terms.generator, params, retain_graph=i + 1 < len(probes)))
        estimate.append(float(terms.estimate))
        if accuracy_of_logits:
            accuracy.append(0.5 * float((real_out > 0).float().mean() + (fake_out < 0).float().mean()))
    row = {"accuracy": sum(accuracy) / len(accuracy) if accuracy else float("nan"),
           "estimate": sum(estimate) / len(estimate)}
    for name, values in norms.items():
        values = torch.tensor(values, dtype=torch.float64)
        row[f"grad_{name}_mean"] = float(values.mean())
        row[f"grad_{name}_std"] = float(values.std(unbiased=False))
    return row


def first_step_reaching(curve: pd.DataFrame, column: str, threshold: float) -> Optional[int]:
    """The first measured iteration at which `column` >= threshold (None if never)."""
    hits = curve[curve[column] >= threshold]
    return int(hits.step.iloc[0]) if len(hits) else None
