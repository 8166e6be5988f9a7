"""What makes a checkpoint belong to a run: the config sections that define it (model, critic,
loss, data, arch, seed), compared after each registered option's compatibility notes are
applied, so that a run started before an option was added or renamed still resumes when the
new option holds the value that reproduces it (e.g. `critic.batchnorm: true` -> `norm: batch`).
A block switched off (`enabled: false`) is compared by that switch alone."""
from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from wgan_repro.data import DATASETS
from wgan_repro.models import CRITICS, GENERATORS
from wgan_repro.objectives import OBJECTIVES, SHARED_ADDED
from wgan_repro.run_layout import IDENTITY_SECTIONS

REGISTRIES = {"model": GENERATORS, "critic": CRITICS, "loss": OBJECTIVES, "data": DATASETS}


def identity(cfg: DictConfig) -> dict:
    """The config sections that define a run (not how long or where it runs)."""
    return {k: OmegaConf.to_container(cfg[k], resolve=True) if isinstance(cfg[k], DictConfig) else cfg[k]
            for k in IDENTITY_SECTIONS}


def canonical(section: str, values):
    """`values` of one section with renamed options under their new names and values, and options
    added since then filled with the value that reproduces runs made before them."""
    registry = REGISTRIES.get(section)
    if registry is None or not isinstance(values, dict) or values.get("name") not in registry.names():
        return values
    compat = registry.compat(values["name"])
    out = dict(values)
    if section == "loss":
        for option, value in SHARED_ADDED.items():
            out.setdefault(option, value)
    for old, (new, mapping) in compat.get("renamed", {}).items():
        if old in out and new not in out:
            out[new] = mapping.get(out.pop(old), out.get(old))
    for option, value in compat.get("added", {}).items():
        out.setdefault(option, value)
    # a switched-off block (`enabled: false`) is the same run whatever its other settings say
    return {k: {"enabled": False} if isinstance(v, dict) and v.get("enabled") is False else v for k, v in out.items()}


def differing(saved: dict, current: dict) -> list[str]:
    """The sections (and options) in which a saved identity differs from the current one."""
    keys = []
    for section in sorted(set(saved) | set(current)):
        a, b = canonical(section, saved.get(section)), canonical(section, current.get(section))
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                keys += [f"{section}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            else:
                keys.append(section)
    return keys
