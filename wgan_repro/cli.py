"""The `python run.py` command: Hydra's entry point, run-folder names and early checks.

Run folders are named by the command's overrides, so re-running the same command (or the
same sweep) finds its folders again and resumes or skips them:
`results/runs/<overrides or "default">/` and `results/multirun/<sweep overrides>/<job overrides>/`.
"""
from __future__ import annotations

import difflib
import hashlib
import itertools
import sys
import tempfile
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from wgan_repro.presets import CONF_DIR  # noqa: F401  (the conf tree shipped inside the package; bench, tests)
from wgan_repro.run_layout import GROUPS

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
    reason = unwritable(folder)
    return f"cannot write the results folder {folder} ({reason}): set out_dir=<a writable folder>" if reason else None


def unwritable(folder: Path) -> str | None:
    """Why `folder` cannot be created or written (the OS's words), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write_check"):
            pass
    except OSError as err:
        return str(err.strerror or err)
    return None


MULTIRUN_FLAGS = ("-m", "--multirun")
MAX_COMBINATIONS = 64       # group-choice combinations composed to check a sweep's keys


def flags_first(argv: list[str]) -> list[str]:
    """`-m`/`--multirun` moved before the overrides: Hydra's argparse accepts it only there, but
    `python run.py experiment=paper -m model=...` is how people type it."""
    flags = [a for a in argv if a in MULTIRUN_FLAGS]
    return flags[:1] + [a for a in argv if a not in MULTIRUN_FLAGS]


def check_unknown_keys(argv: list[str], conf_dir: Path = CONF_DIR) -> str | None:
    """A one-line error for an override of a key the composed config does not have (a typo such as
    `train.iter=10`, or `data.image_size` on a 2-D set), naming the closest valid keys. Every
    combination of the command's group choices is composed (a sweep's too)."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    groups, keys = {}, []
    for arg in command_line_overrides(argv):
        key, value = arg.split("=", 1)
        if key.startswith(("+", "~", "hydra.", "hydra/")) or "(" in value:
            continue
        if key in GROUPS:
            groups[key] = value.split(",")
        else:
            keys.append(key)
    if not keys:
        return None
    names = list(groups)
    combos = list(itertools.islice(itertools.product(*groups.values()), MAX_COMBINATIONS))
    missing = object()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        for combo in combos:
            chosen = [f"{g}={c}" for g, c in zip(names, combo)]
            try:
                cfg = compose(config_name="config", overrides=chosen)
            except Exception:        # noqa: BLE001 - Hydra reports a bad group choice itself
                continue
            for key in keys:
                if OmegaConf.select(cfg, key, default=missing) is missing:
                    return _unknown_key_message(key, cfg, chosen)
    return None


def _unknown_key_message(key: str, cfg, chosen: list[str]) -> str:
    """The closest valid keys (in the same section first), or the section's keys."""
    keys = sorted(_all_keys(cfg))
    section = key.split(".", 1)[0] + "."
    siblings = [k for k in keys if k.startswith(section)]
    close = difflib.get_close_matches(key, siblings, n=3, cutoff=0.6) or (
        [] if siblings else difflib.get_close_matches(key, keys, n=3, cutoff=0.6))
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif siblings:
        hint = f"{section[:-1]} has {', '.join(k for k in siblings if k.count('.') == 1)}"
    else:
        hint = "check the spelling"
    where = f"composed with {', '.join(chosen)}; " if chosen else ""
    return f"unknown config key {key}: {hint} ({where}`python run.py --cfg job` lists every key)"


def _all_keys(node, prefix: str = "") -> list[str]:
    from omegaconf import DictConfig

    keys = []
    for k in node.keys() if isinstance(node, DictConfig) else []:
        full = f"{prefix}{k}"
        keys.append(full)
        child = node._get_node(k)
        if isinstance(child, DictConfig) and not child._is_none():
            keys += _all_keys(child, full + ".")
    return keys


def main() -> None:
    sys.argv[1:] = flags_first(sys.argv[1:])
    argv = sys.argv[1:]
    error = check_group_choices(argv) or check_writable(argv) or check_unknown_keys(argv)
    if error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2)
    hydra_main()
