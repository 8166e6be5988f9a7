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


def selected(group: str, name: str, other: str) -> "dict | None":
    """The `other` group's config that conf/<group>/<name>.yaml selects (a `_global_` file's
    `override /<other>: <choice>` default, with that file's own `<other>:` values on top), or
    None where it selects none: e.g. the autoencoder critic with EBGAN's l2 energy for
    (loss, ebgan, critic)."""
    content = _file(group, name)
    choice = next((d[f"override /{other}"] for d in content.get("defaults", [])
                   if isinstance(d, dict) and f"override /{other}" in d), None)
    if choice is None:
        return None
    return {**preset(other, choice), **copy.deepcopy(content.get(other) or {})}


@functools.lru_cache(maxsize=None)
def _file(group: str, name: str) -> dict:
    return yaml.safe_load((CONF_DIR / group / f"{name}.yaml").read_text())


def _read(group: str, name: str) -> dict:
    content = _file(group, name)
    return content[group] if "name" not in content and group in content else content
