"""Process-level set-up of a run: device choice, CPU threads and seeds."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from wgan_repro.registry import ConfigError


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA when present, else the CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={name} but no CUDA device is available: use device=cpu or device=auto")
    return torch.device(name)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def gpu_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def configure_threads(threads: int, parallel_jobs: int = 1) -> int:
    """Set torch's intra-op threads: `threads`, or (0) this process's share of the cores
    when `parallel_jobs` runs share the machine."""
    n = threads or max(1, available_cores() // max(1, parallel_jobs))
    torch.set_num_threads(n)
    return n


def device_for_job(name: str, job_num: int, parallel_jobs: int) -> str:
    """With several GPUs and parallel jobs, `auto` puts job k on GPU k mod count."""
    count = gpu_count()
    if name == "auto" and parallel_jobs > 1 and count > 1:
        return f"cuda:{job_num % count}"
    return name


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
