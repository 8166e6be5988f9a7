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


def configure_threads(threads: int) -> int:
    """Set torch's intra-op threads: `threads`, or (0) the cores this process may use."""
    n = threads or available_cores()
    torch.set_num_threads(n)
    return n


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
