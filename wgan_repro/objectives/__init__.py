"""Objective registry: one function and one YAML file (conf/loss/<name>.yaml) per objective.

Each function maps a `CriticBatch` (the critic's outputs on a real and a fake batch, plus the
extras it asks for) to `LossTerms`; its keyword options are the YAML file's keys beyond the
shared ones (`n_critic`, `clip`, `warmup`, `optim`), checked against its signature like a
model's. Its `ObjectiveInfo` travels into run.json, so nothing outside this package names an
objective. Registration order is the report's display order (the papers' WGAN first).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Mapping

from wgan_repro.objectives.base import (  # noqa: F401  (the package's interface)
    CRITIC_PHASE,
    GENERATOR_PHASE,
    CriticBatch,
    LossTerms,
    MissingExtra,
    Objective,
    ObjectiveInfo,
)
from wgan_repro.registry import Registry

OBJECTIVES = Registry("loss")
# The loss section's keys that every objective shares (typed in config.LossConfig); the others
# are the objective's own options.
SHARED_KEYS = ("name", "n_critic", "clip", "warmup", "optim", "instance_noise", "historical_averaging",
               "lr_on_stall")
# Shared keys added since runs were first made, with the values that reproduce those runs.
SHARED_ADDED = {"instance_noise": {"std": 0.0, "anneal_iters": 0}, "historical_averaging": 0.0,
                "lr_on_stall": {"enabled": False}}

# Every module of this package registers its objectives when imported: a new one needs no list.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"):
    importlib.import_module(f"wgan_repro.objectives.{_module}")


def display_order() -> list[str]:
    """The objectives in the reports' order: by their info's `rank` (the papers' first), then name."""
    return sorted(OBJECTIVES.names(), key=lambda n: (default_info(n).rank, n))


def default_info(name: str) -> ObjectiveInfo:
    """The info of objective `name` at its YAML defaults (without building it)."""
    info = OBJECTIVES.meta(name)
    return info(**{k: v for k, v in loss_preset(name).items() if k not in SHARED_KEYS}) if callable(info) else info


def objective_options(loss: Mapping[str, Any]) -> dict:
    """The objective's own options in a loss config section (with its `name`)."""
    return {k: v for k, v in dict(loss).items() if k not in SHARED_KEYS or k == "name"}


def build_objective(loss: Mapping[str, Any]) -> Objective:
    """The objective named by a loss config section, its options checked against its signature and
    tried once on a dummy batch (so a bad option value fails here, before any training)."""
    import torch

    options = objective_options(loss)
    fn, kwargs = OBJECTIVES.options(options, context={"batch": None}, section="loss")
    kwargs.pop("batch")
    info = OBJECTIVES.meta(options["name"])
    if callable(info):                       # an info that depends on the options (f-GAN's divergence)
        info = info(**kwargs)
    objective = Objective(name=options["name"], fn=fn, options=kwargs, info=info)
    try:
        objective.of(torch.zeros(2), torch.zeros(2), GENERATOR_PHASE)
    except MissingExtra:              # options checked; the extras it needs come with real batches
        pass
    return objective


def loss_preset(name: str) -> dict:
    """The packaged conf/loss/<name>.yaml as a dict: the objective's paper settings (options,
    optimizer, n_critic, clipping), the one place its defaults live."""
    from wgan_repro.presets import preset

    OBJECTIVES.get(name)
    return preset("loss", name)


def get_objective(name: str) -> Objective:
    """The objective `name` with its YAML defaults (one line listing the valid ones if unknown)."""
    return build_objective(loss_preset(name))


def objective_record(objective: Objective) -> dict:
    """run.json's `objective`: the name, the options and the info the report reads."""
    return {"name": objective.name, "options": dict(objective.options),
            **objective.info.to_json(), "rank": display_order().index(objective.name)}
