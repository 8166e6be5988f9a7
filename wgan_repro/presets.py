"""The packaged config group files (wgan_repro/conf/<group>/<name>.yaml) as plain dicts, for
code that builds a network or an objective outside a composed run (the theory experiments, the
tests) and wants its defaults from the one place they live."""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

CONF_DIR = Path(__file__).resolve().parent / "conf"


def preset(group: str, name: str) -> dict:
    """conf/<group>/<name>.yaml's section for `group` (a `_global_` file nests it under `group:`);
    a fresh copy each call, the file read once."""
    return copy.deepcopy(_read(group, name))


@functools.lru_cache(maxsize=None)
def _read(group: str, name: str) -> dict:
    content = yaml.safe_load((CONF_DIR / group / f"{name}.yaml").read_text())
    return content[group] if "name" not in content and group in content else content
