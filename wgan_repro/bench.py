"""Benchmark: generator iterations per second of the plain and the fast training path.

    python -m wgan_repro.bench                          # the default config on this machine
    python -m wgan_repro.bench experiment=paper         # the paper-scale WGAN setting (GPU)
    python -m wgan_repro.bench --launchers              # a 4-run smoke sweep: one at a time vs hydra/launcher=local

Any config override is accepted. Times steady-state generator iterations (the warm-up
schedule of 100 critic steps is switched off, so one iteration is n_critic critic steps and
one generator step) after a few untimed ones. `plain` is the eager loop with contiguous
tensors and full fp32; `fast` is the configured fast path (channels-last, TF32 on CUDA);
`fast+bf16` adds bf16 autocast. Beside each rate, one forward pass of that path (same weights,
batch and noise) is compared with the same pass in fp64.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

from wgan_repro.cli import CONF_DIR
from wgan_repro.config import validate
from wgan_repro.registry import ConfigError
from wgan_repro.runtime import resolve_device
from wgan_repro.train import Trainer, rows_to_host

PATHS = {
    "plain": {"channels_last": False, "tf32": False, "precision": "fp32"},
    "fast": {"channels_last": True, "tf32": True, "precision": "fp32"},
    "fast+bf16": {"channels_last": True, "tf32": True, "precision": "bf16"},
}


def compose_config(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    with open_dict(cfg):
        cfg.loss.warmup.enabled = False
    return validate(cfg)


def with_path(cfg: DictConfig, path: str) -> DictConfig:
    cfg = cfg.copy()
    for key, value in PATHS[path].items():
        cfg.train[key] = value
    return cfg


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def iterations_per_second(cfg: DictConfig, warmup: int, iters: int) -> float:
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(cfg, Path(run_dir))
        for _ in range(warmup):
            trainer.generator_iteration()
        _sync(trainer.device)
        start = time.perf_counter()
        rows = [trainer.generator_iteration() for _ in range(iters)]
        rows_to_host(rows)
        _sync(trainer.device)
        return iters / (time.perf_counter() - start)


@torch.no_grad()
def forward_outputs(trainer: Trainer, double: bool = False) -> list[torch.Tensor]:
    """One forward pass of a fresh trainer: critic(real), G(z) and critic(G(z)) on its first batch
    and noise (the same for every trainer of one seed), in fp64 when `double`."""
    real, z = trainer.sampler.next(), trainer.sample_noise(trainer.cfg.train.batch_size)
    generator, critic = trainer.generator, trainer.critic
    if double:
        generator, critic, real, z = generator.double(), critic.double(), real.double(), z.double()
    real = real.contiguous(memory_format=trainer.memory_format)
    with trainer.autocast():
        fake = generator(z)
        return [t.double() for t in (critic(real), fake, critic(fake))]


def forward_errors(cfg: DictConfig, path: str) -> dict:
    """How far one forward pass of `path` and of `plain` stray from the same pass in fp64 (same
    weights, batch and noise): the largest absolute error over the largest fp64 magnitude, over
    the critic's outputs and the generated images. Two fp32 paths sum the same terms in other
    orders, so their errors are of the same order; bf16 keeps 8 bits of mantissa."""
    def outputs(p, double=False):
        with tempfile.TemporaryDirectory(prefix="wgan_bench_") as run_dir:
            return forward_outputs(Trainer(with_path(cfg, p), Path(run_dir)), double=double)

    reference = outputs("plain", double=True)
    scale = max(t.abs().max().item() for t in reference)
    return {p: max((o - r).abs().max().item() for o, r in zip(outputs(p), reference)) / scale
            for p in dict.fromkeys(("plain", path))}


def benchmark(overrides: list[str], warmup: int, iters: int, paths: list[str]) -> str:
    cfg = compose_config(overrides)
    lines = []
    device = resolve_device(cfg.device)
    lines.append(f"device: {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'} "
                 f"({torch.get_num_threads()} threads) | torch {torch.__version__}")
    lines.append(f"config: model={cfg.model.name} critic={cfg.critic.name} loss={cfg.loss.name} "
                 f"data={cfg.data.name} image_size={cfg.data.get('image_size', '-')} ngf={cfg.arch.ngf} "
                 f"ndf={cfg.arch.ndf} nz={cfg.arch.nz} batch={cfg.train.batch_size} n_critic={cfg.loss.n_critic} "
                 f"| overrides: {' '.join(overrides) or '(none)'}")
    lines.append(f"{warmup} untimed then {iters} timed generator iterations per path (warm-up schedule off)")
    lines.append("")
    lines.append("| path | channels_last | tf32 | precision | gen it/s | vs plain | one forward pass: max error vs fp64 / max value |")
    lines.append("|---|---|---|---|---|---|---|")
    base = None
    for path in paths:
        rate = iterations_per_second(with_path(cfg, path), warmup, iters)
        base = base or rate
        diff = f"{forward_errors(cfg, path)[path]:.1e}"
        p = PATHS[path]
        lines.append(f"| {path} | {p['channels_last']} | {p['tf32']} | {p['precision']} | {rate:.2f} | "
                     f"{rate / base:.2f}x | {diff} |")
    return "\n".join(lines)


def launcher_comparison(overrides: list[str]) -> str:
    """Wall time of the same 4-run smoke sweep, one job at a time and with hydra/launcher=local."""
    sweep = ["-m", "experiment=smoke", "model=dcgan,mlp", "loss=wgan,gan", *overrides]
    root = CONF_DIR.parents[1]
    lines = ["| launcher | wall time (s) |", "|---|---|"]
    for name, extra in (("basic (one at a time)", []), ("local (joblib)", ["hydra/launcher=local"])):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "run.py", *sweep, *extra, f"out_dir={out}"], cwd=root,
                                  capture_output=True, text=True)
            elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"error: the {name} sweep failed: {proc.stderr.strip().splitlines()[-1:]}")
        lines.append(f"| {name} | {elapsed:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wgan_repro.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", help="config overrides, as for run.py")
    parser.add_argument("--warmup", type=int, default=5, help="untimed generator iterations (default 5)")
    parser.add_argument("--iters", type=int, default=30, help="timed generator iterations (default 30)")
    parser.add_argument("--paths", default=None, help="comma-separated subset of plain,fast,fast+bf16 "
                        "(default: plain,fast on CPU, all three on CUDA)")
    parser.add_argument("--launchers", action="store_true", help="time a 4-run smoke sweep with and without "
                        "the local launcher instead")
    args = parser.parse_args(argv)
    if args.launchers:
        print(launcher_comparison(args.overrides))
        return
    paths = args.paths.split(",") if args.paths else (
        list(PATHS) if torch.cuda.is_available() else ["plain", "fast"])
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        raise SystemExit(f"error: unknown path(s) {', '.join(unknown)}: choose from {', '.join(PATHS)}")
    try:
        print(benchmark(args.overrides, args.warmup, args.iters, paths))
    except ConfigError as err:
        raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main()
