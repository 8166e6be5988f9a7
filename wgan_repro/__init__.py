"""wgan_repro: reproduce and measure the WGAN papers' comparisons."""
import os as _os
import time as _time

__version__ = "0.1.0"

# OpenMP's wait policy, chosen before torch starts its thread pool (it is read once, at import).
# Measured on a 2-core machine (default config, 2 threads, gen it/s): spinning threads give 4.4
# alone but 0.2-0.7 beside another CPU-bound training job; sleeping ones (PASSIVE) give 2.8
# alone and 1.9 beside it. So the threads spin when the CPUs are idle as this process starts and
# sleep when another process (not a niced one) is already busy on them. An explicit
# OMP_WAIT_POLICY is kept.
BUSY_CORES_FOR_PASSIVE = 0.25


def busy_cores(interval: float = 0.1) -> float:
    """How many cores other processes of normal priority keep busy now (from /proc/stat over
    `interval` seconds; 0 where it cannot be read). Niced time is left out: a `nice` job yields
    to spinning threads (measured: 3.7 gen it/s beside a `nice -n 19` CPU hog, 4.4 alone)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        user, _nice, system, idle, iowait, irq, softirq, steal = v + [0] * (8 - len(v))
        return user + system + irq + softirq + steal, sum(v)
    try:
        busy0, total0 = sample()
        _time.sleep(interval)
        busy1, total1 = sample()
    except (OSError, ValueError):
        return 0.0
    return max(0.0, (_os.cpu_count() or 1) * (busy1 - busy0) / max(total1 - total0, 1))


def choose_wait_policy(busy: float) -> str:
    """"PASSIVE" when other processes already keep at least a quarter of a core busy; else "" (the
    library's default: spin a while, then sleep)."""
    return "PASSIVE" if busy >= BUSY_CORES_FOR_PASSIVE else ""


if "OMP_WAIT_POLICY" not in _os.environ and "torch" not in __import__("sys").modules:
    _policy = choose_wait_policy(busy_cores())
    if _policy:
        _os.environ["OMP_WAIT_POLICY"] = _policy
