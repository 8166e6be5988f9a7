"""One Hydra job: validate the composed config, then train (`task: train`) or run the theory
experiment named by `task` in Hydra's output folder.

A bad input ends the job with one line on stderr and exit code 2, and removes the run
folder Hydra made for it when it holds nothing yet, so nothing looks like a result.
"""
from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from wgan_repro.config import validate
from wgan_repro.registry import ConfigError
from wgan_repro.train import train

log = logging.getLogger(__name__)
GROUPS = ("model", "critic", "loss", "data", "experiment")


def run_job(cfg: DictConfig) -> str:
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    choices = {k: v for k, v in hydra_cfg.runtime.choices.items() if k in GROUPS}
    try:
        cfg = validate(cfg)
        if cfg.task != "train":
            from wgan_repro.theory import run_theory

            return run_theory(cfg, run_dir)
        return train(cfg, run_dir, metadata={"choices": choices,
                                             "overrides": list(hydra_cfg.overrides.task)})
    except ConfigError as err:
        if not (run_dir / "metrics.csv").exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
