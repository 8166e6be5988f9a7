"""Every YAML file under conf/ composes and validates (the lightning-hydra-template's habit); the
lists come from conf/ and the registries, never from a copy."""
from pathlib import Path

import pytest
import yaml

from wgan_repro.cli import CONF_DIR
from wgan_repro.config import validate
from wgan_repro.data import DATASETS
from wgan_repro.models import CRITICS, GENERATORS
from wgan_repro.objectives import OBJECTIVES, default_info, loss_preset
from wgan_repro.run_layout import NON_IDENTITY_OVERRIDES

GROUPS = ("model", "critic", "loss", "data", "eval", "experiment")
# presets that need what a test machine lacks (a dataset folder to point at)
NEEDS_FILES = {("data", "image_folder"), ("data", "lsun_bedroom"), ("data", "cifar10"), ("data", "mnist")}


def presets():
    return [(group, path.stem) for group in GROUPS for path in sorted((CONF_DIR / group).glob("*.yaml"))]


def _uses_files(cfg) -> bool:
    return "root" in cfg.data


@pytest.mark.parametrize("group, name", presets())
def test_every_preset_composes_and_validates(compose_cfg, group, name):
    overrides = [f"{group}={name}"]
    cfg = compose_cfg(*overrides, fake_data=False)
    if (CRITICS.meta(cfg.critic.name) or {}).get("energy") and not default_info(cfg.loss.name).energy_critic:
        # an energy critic needs an energy objective
        overrides.append("loss=" + next(n for n in OBJECTIVES.names() if default_info(n).energy_critic))
        cfg = compose_cfg(*overrides, fake_data=False)
    if _uses_files(cfg):            # on the fake Fashion-MNIST folder (a data set of its own keeps its root)
        cfg = compose_cfg(*overrides) if cfg.data.name == "fashion_mnist" else cfg
    if (group, name) in NEEDS_FILES:
        assert cfg.data.name == name        # composes; validating would look for the data set's files
        return
    validated = validate(cfg)
    assert validated.loss.name in OBJECTIVES.names()


def test_every_registered_option_has_a_yaml_file_and_every_yaml_file_a_registered_option():
    for group, registry in (("loss", OBJECTIVES), ("model", GENERATORS), ("critic", CRITICS), ("data", DATASETS)):
        names = {_name(p) for p in (CONF_DIR / group).glob("*.yaml")}
        assert names <= set(registry.names()), group
        if group == "loss":
            assert names == set(OBJECTIVES.names())       # an objective is one function and one YAML file
            assert {p.stem for p in (CONF_DIR / group).glob("*.yaml")} == names


def _name(path: Path) -> str:
    """The registered name a preset selects (`name:`, or `<group>.name` in a global package file)."""
    content = yaml.safe_load(path.read_text())
    return content.get("name") or content[path.parent.name]["name"]


def test_the_folder_names_leave_out_exactly_the_overrides_that_do_not_define_a_run():
    config = yaml.safe_load((CONF_DIR / "config.yaml").read_text())
    excluded = config["hydra"]["job"]["config"]["override_dirname"]["exclude_keys"]
    assert tuple(excluded) == NON_IDENTITY_OVERRIDES


def test_each_objective_documents_every_option_in_its_docstring():
    import inspect

    for name in OBJECTIVES.names():
        fn = OBJECTIVES.get(name)
        options = [p for p in inspect.signature(fn).parameters if p != "batch"]
        doc = inspect.getdoc(fn) or ""
        assert doc, name
        for option in options:
            assert f"{option}:" in doc, (name, option)
        assert set(options) <= set(loss_preset(name)), (name, "the YAML file holds every option's default")
