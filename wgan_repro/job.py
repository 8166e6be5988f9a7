"""One Hydra job: validate the composed config, then train (`task: train`) or run the theory
experiment named by `task` in Hydra's output folder.

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
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from wgan_repro.cli import unwritable
from wgan_repro.config import validate
from wgan_repro.registry import ConfigError
from wgan_repro.run_layout import GROUPS
from wgan_repro.run_lock import LOCK_FILE, RunFolderLock, RunLocked
from wgan_repro.runtime import available_cores, configure_threads, device_for_job
from wgan_repro.train import Trainer

log = logging.getLogger(__name__)


def build_evaluator(cfg: DictConfig, run_dir: Path):
    """The sample-quality hook of the `eval` section (None when eval.enabled=false)."""
    if not cfg.eval.enabled:
        return None
    from wgan_repro.metrics.evaluator import build_evaluator as build

    configure_threads(cfg.train.threads)
    return build(cfg, run_dir)


def run_job(cfg: DictConfig) -> str:
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    choices = {k: v for k, v in hydra_cfg.runtime.choices.items() if k in GROUPS}
    parallel = parallel_jobs_of(hydra_cfg)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    with open_dict(cfg):
        cfg.device = device_for_job(cfg.device, hydra_cfg.job.get("num") or 0, parallel)
        cfg.train.threads = cfg.train.threads or max(1, available_cores() // parallel)
    try:
        lock = RunFolderLock(run_dir).acquire()
    except RunLocked as err:
        # never touch a folder another process owns; in a sweep, skip this run and go on
        print(f"error: {err}", file=sys.stderr)
        if multirun:
            log.error("%s; skipping this run, the sweep goes on", err)
            return "skipped"
        raise SystemExit(2) from None
    try:
        return _run_locked(cfg, run_dir, hydra_cfg, choices, multirun)
    finally:
        lock.release()


def _run_locked(cfg: DictConfig, run_dir: Path, hydra_cfg, choices: dict, multirun: bool) -> str:
    try:
        cfg = validate(cfg)
        if cfg.task != "train":
            from wgan_repro.theory import run_theory

            return run_theory(cfg, run_dir)
        # Everything that can refuse the config (data, model shapes, the cache folder) runs
        # before the evaluator trains and caches a classifier.
        trainer = Trainer(cfg, run_dir, metadata={"choices": choices, "overrides": list(hydra_cfg.overrides.task)})
        if cfg.eval.enabled:
            check_writable_folder(Path(cfg.eval.cache_dir), "eval.cache_dir")
        if cfg.train.tensorboard:
            from wgan_repro.tensorboard_log import check_available

            check_available()
        trainer.evaluator = build_evaluator(cfg, run_dir)
        status = trainer.fit()
    except ConfigError as err:
        remove_empty_run_folder(run_dir, hydra_cfg.job.name)
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception:
        if not multirun:
            raise
        # one crashed run must not end its sweep (nor skip the sweep's report)
        log.exception("run %s failed; the sweep goes on", run_dir.name)
        return "failed"
    if status == "stopped":          # SIGTERM: checkpoint saved; the same command resumes
        raise SystemExit(128 + signal.SIGTERM)
    return status


def check_writable_folder(folder: Path, key: str) -> None:
    """ConfigError naming `key` when `folder` cannot be created or written."""
    reason = unwritable(folder)
    if reason:
        raise ConfigError(f"cannot write {key}={folder} ({reason}): set {key}=<a writable folder>")


def parallel_jobs_of(hydra_cfg) -> int:
    """How many jobs the launcher runs side by side on this machine (1 for one-job-per-node ones)."""
    launcher = hydra_cfg.get("launcher") or {}
    if "joblib" not in str(launcher.get("_target_", "")):
        return 1
    n_jobs = int(launcher.get("n_jobs") or 1)
    return available_cores() if n_jobs < 0 else max(1, n_jobs)


def remove_empty_run_folder(run_dir: Path, job_name: str) -> None:
    """Delete what Hydra wrote for a job that never started, if the folder holds nothing else."""
    hydra_files = {".hydra", f"{job_name}.log", LOCK_FILE}
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= hydra_files:
        shutil.rmtree(run_dir / ".hydra", ignore_errors=True)
        (run_dir / f"{job_name}.log").unlink(missing_ok=True)
        (run_dir / LOCK_FILE).unlink(missing_ok=True)
        try:
            run_dir.rmdir()
        except OSError:
            pass
