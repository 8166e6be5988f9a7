"""One Hydra job: validate the composed config, then train in Hydra's output folder.

A bad input ends the job with one line on stderr and exit code 2, and removes the run
folder Hydra made for it when it holds nothing yet, so nothing looks like a result.
"""
from __future__ import annotations

import logging
import shutil
import signal
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
        status = train(cfg, run_dir, metadata={"choices": choices,
                                               "overrides": list(hydra_cfg.overrides.task)})
    except ConfigError as err:
        remove_empty_run_folder(run_dir, hydra_cfg.job.name)
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if status == "stopped":          # SIGTERM: checkpoint saved; the same command resumes
        raise SystemExit(128 + signal.SIGTERM)
    return status


def remove_empty_run_folder(run_dir: Path, job_name: str) -> None:
    """Delete what Hydra wrote for a job that never started, if the folder holds nothing else."""
    hydra_files = {".hydra", f"{job_name}.log"}
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= hydra_files:
        shutil.rmtree(run_dir / ".hydra", ignore_errors=True)
        (run_dir / f"{job_name}.log").unlink(missing_ok=True)
        try:
            run_dir.rmdir()
        except OSError:
            pass
