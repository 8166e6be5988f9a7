"""The papers' theory experiments, one module each, registered by name.

`python run.py experiment=<name>` sets `task: <name>` and the `theory:` options; `run_theory`
checks the options against the experiment's signature, runs it in the run folder (a figure,
a CSV of its numbers, `summary.json`) and logs its finding as one line `finding: ...`.
"""
from __future__ import annotations

import inspect
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from wgan_repro.registry import ConfigError, Registry

THEORY = Registry("theory experiment")

from wgan_repro.theory import (  # noqa: E402,F401
    critic_surface,
    fgan_mixture,
    instance_noise,
    optimal_critic,
    parallel_lines,
    vanishing_gradients,
)
from wgan_repro.theory.common import TheoryRun, log  # noqa: E402


def run_theory(cfg: DictConfig, run_dir: Path) -> str:
    """Run the theory experiment `cfg.task` with the options `cfg.theory`; returns its status."""
    from wgan_repro.run_files import write_status
    from wgan_repro.runtime import configure_threads, resolve_device, seed_everything

    if cfg.task not in THEORY.names():
        raise ConfigError(f"unknown task {cfg.task!r}: valid tasks are train, {', '.join(THEORY.names())}")
    options = OmegaConf.to_container(cfg.theory, resolve=True) if cfg.theory is not None else {}
    if not isinstance(options, dict):
        raise ConfigError(f"theory must be a mapping of options for {cfg.task!r}, got {options!r}")
    fn, kwargs = THEORY.options({**options, "name": cfg.task}, context={"run": None}, section="theory")
    resolved = {k: p.default for k, p in inspect.signature(fn).parameters.items() if k != "run"}
    resolved.update(options)
    run = TheoryRun(cfg=cfg, run_dir=Path(run_dir), device=resolve_device(cfg.device))
    threads = configure_threads(cfg.train.threads)
    seed_everything(cfg.seed)
    write_status(run.run_dir, "running")
    start = time.perf_counter()
    try:
        summary = fn(**{**kwargs, "run": run})
    except BaseException as err:
        write_status(run.run_dir, "failed", message=f"{type(err).__name__}: {err}")
        raise
    wall_time = round(time.perf_counter() - start, 2)
    run.write_summary({"task": cfg.task, "options": resolved,
                       **summary, "wall_time": wall_time, "device": str(run.device), "threads": threads})
    write_status(run.run_dir, "finished", wall_time=wall_time)
    log.info("finding: %s", summary["finding"])
    return "finished"
