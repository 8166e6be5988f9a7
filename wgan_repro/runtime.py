"""Process-level set-up of a run: device choice, CPU threads, numeric precision and seeds."""
from __future__ import annotations

import functools
import logging
import os
import random

import numpy as np
import torch

from wgan_repro.registry import ConfigError

log = logging.getLogger(__name__)
# CPU flags of native bf16 arithmetic; `amx_bf16` is the one that makes bf16 autocast faster
# than fp32 (AMX tiles: about 1.5x on the default config); without either flag oneDNN falls
# back to emulation and bf16 autocast is about 20x slower (measured on an AVX2-only AMD EPYC).
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
FAST_BF16_FLAG = "amx_bf16"


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


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset:
    """The CPU's feature flags from /proc/cpuinfo (empty where it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


# The CPU flags oneDNN's AVX-512 kernels (avx512_core) need, and the levels its max-ISA cap names
# map to, lowest first: convolutions round differently under AVX-512 and AVX2 kernels.
AVX512_CORE_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512dq")
KERNEL_LEVELS = ("below AVX2", "AVX2", "AVX512")


def _onednn_cap(value: str) -> str | None:
    """The level an ONEDNN_MAX_CPU_ISA value caps oneDNN at (None: no cap). oneDNN matches the
    value, case-blind, against its list of ISA names and ignores any other, so this does too."""
    value = value.strip().lower()
    if value in ("sse41", "avx"):
        return "below AVX2"
    if value in ("avx2", "avx2_vnni", "avx2_vnni_2"):
        return "AVX2"
    if value.startswith(("avx512_core", "avx10_")):
        return "AVX512"
    return None


def cpu_kernels() -> dict:
    """The vector instruction sets torch's CPU kernels use in this process: ATen's dispatch level
    (AVX512, AVX2, DEFAULT; ATEN_CPU_CAPABILITY lowers it) and oneDNN's, which runs the
    convolutions (the CPU's level, capped by ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA). The same
    seed gives different numbers where oneDNN's level differs (README, "Numbers across machines"),
    so run.json and the checkpoint record both."""
    flags = cpu_flags()
    level = "AVX512" if all(f in flags for f in AVX512_CORE_FLAGS) else "AVX2" if "avx2" in flags else "below AVX2"
    cap = _onednn_cap(os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "")
    if cap is not None and KERNEL_LEVELS.index(cap) < KERNEL_LEVELS.index(level):
        level = cap
    return {"aten": torch.backends.cpu.get_cpu_capability(), "onednn": level}


def resolve_precision(precision: str, device: torch.device) -> str:
    """`fp32` or `bf16` for `train.precision`. `auto` is never slower than fp32: bf16 autocast on
    a CPU with AMX-BF16 only, fp32 elsewhere (CUDA included: TF32 is the fast path there and bf16
    stays an explicit choice). An explicit `bf16` on a CPU without native bf16 is kept (the user
    asked) with a one-line warning that it is much slower there."""
    if device.type != "cpu":
        return "fp32" if precision == "auto" else precision
    flags = cpu_flags()
    if precision == "auto":
        return "bf16" if FAST_BF16_FLAG in flags else "fp32"
    if precision == "bf16" and not any(f in flags for f in BF16_FLAGS):
        log.warning("train.precision=bf16 on a CPU without native bf16 (no %s flag): autocast emulates it "
                    "and is about 20x slower than fp32 here; use train.precision=auto or fp32", " or ".join(BF16_FLAGS))
    return precision
