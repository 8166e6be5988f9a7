"""The `python run.py` command: Hydra's entry point, run-folder names and early checks.

Run folders are named by the command's overrides, so re-running the same command (or the
same sweep) finds its folders again and resumes or skips them:
`results/runs/<overrides or "default">/` and `results/multirun/<sweep overrides>/<job overrides>/`.
"""
from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parent / "conf"   # shipped inside the package (pip install . works)
GROUPS = ("model", "critic", "loss", "data", "experiment")
MAX_NAME = 120


def run_name(overrides, exclude_keys=()) -> str:
    """A folder name for a list of overrides: sorted, excluded keys dropped, '/' made safe."""
    kept = []
    for item in overrides:
        key = item.split("=", 1)[0].lstrip("+~")
        if key.startswith(("hydra.", "hydra/")) or key in exclude_keys:
            continue
        kept.append(item)
    name = ",".join(sorted(kept)).replace("/", "_") or "default"
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME - 9] + "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return name


def command_line_overrides(argv: list[str]) -> list[str]:
    return [a for a in argv if "=" in a and not a.startswith("-")]


def _run_name_resolver(exclude_keys) -> str:
    # Named from the command line and cached: Hydra copies the launcher's resolver cache
    # into each job's config, so every job of a sweep (in this process or a launcher's
    # worker) resolves the sweep's name, not its own overrides.
    return run_name(command_line_overrides(sys.argv[1:]), set(exclude_keys))


def parallel_jobs() -> int:
    """Jobs to run side by side on this machine: one per GPU when there are GPUs, else one per core."""
    from wgan_repro.runtime import available_cores, gpu_count

    return gpu_count() or available_cores()


OmegaConf.register_new_resolver("run_name", _run_name_resolver, replace=True, use_cache=True)
OmegaConf.register_new_resolver("parallel_jobs", parallel_jobs, replace=True, use_cache=True)


def check_group_choices(argv: list[str], conf_dir: Path = CONF_DIR) -> str | None:
    """A one-line error for an unknown group option on the command line (sweeps included)."""
    for arg in argv:
        if "=" not in arg or arg.startswith("-"):
            continue
        key, value = arg.split("=", 1)
        group = key.lstrip("+~")
        if group not in GROUPS or "(" in value:      # leave sweep functions (range, glob) to Hydra
            continue
        valid = sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))
        for choice in value.split(","):
            if choice and choice != "null" and choice not in valid:
                return f"unknown {group} {choice!r}: valid names are {', '.join(valid)}"
    return None


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def hydra_main(cfg: DictConfig) -> str:
    from wgan_repro.job import run_job

    return run_job(cfg)


def check_writable(argv: list[str]) -> str | None:
    """A one-line error when the results folder cannot be created or written."""
    values = dict(a.split("=", 1) for a in command_line_overrides(argv))
    folder = Path(values.get("hydra.run.dir") or values.get("hydra.sweep.dir") or values.get("out_dir", "results"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write_check"):
            pass
    except OSError as err:
        return f"cannot write the results folder {folder} ({err.strerror or err}): set out_dir=<a writable folder>"
    return None


def main() -> None:
    error = check_group_choices(sys.argv[1:]) or check_writable(sys.argv[1:])
    if error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2)
    hydra_main()
