import pytest

from wgan_repro.config import validate
from wgan_repro.registry import ConfigError


@pytest.mark.parametrize("model", ["dcgan", "dcgan_nobn", "mlp"])
@pytest.mark.parametrize("loss", ["wgan", "gan", "nsgan"])
def test_every_pair_composes_with_its_paper_defaults(compose_cfg, model, loss):
    cfg = validate(compose_cfg(f"model={model}", f"loss={loss}"))
    assert cfg.critic.name == "dcgan" and cfg.critic.norm == "batch"
    if loss == "wgan":
        assert (cfg.loss.optim.name, cfg.loss.optim.lr, cfg.loss.n_critic, cfg.loss.clip) == ("rmsprop", 5e-5, 5, 0.01)
        assert cfg.loss.warmup.enabled and cfg.loss.warmup.critic_steps == 100
    else:
        assert (cfg.loss.optim.name, cfg.loss.optim.lr, list(cfg.loss.optim.betas)) == ("adam", 2e-4, [0.5, 0.999])
        assert cfg.loss.n_critic == 1 and cfg.loss.clip is None


def test_paper_experiment_sets_the_paper_scale(compose_cfg):
    cfg = validate(compose_cfg("experiment=paper"))
    assert cfg.data.image_size == 64 and cfg.model.ngf == 64 and cfg.critic.ndf == 64
    assert cfg.model.nz == 100 and cfg.train.batch_size == 64


def test_two_d_data_default_to_mlp_networks_and_cli_can_override(compose_cfg):
    cfg = validate(compose_cfg("data=eight_gaussians", fake_data=False))
    assert cfg.model.name == "mlp" and cfg.critic.name == "mlp"
    cfg = compose_cfg("data=swiss_roll", "critic=dcgan", fake_data=False)
    assert cfg.critic.name == "dcgan"


def test_eval_is_on_by_default_sized_for_a_cpu_run_and_small_in_smoke(compose_cfg):
    cfg = validate(compose_cfg())
    assert cfg.eval.enabled and cfg.eval.every == 100 and cfg.eval.n_samples == 2000
    assert cfg.eval.cache_dir == "results/.cache"
    smoke = validate(compose_cfg("experiment=smoke", "out_dir=/tmp/x"))
    assert smoke.eval.n_samples <= 128 and smoke.eval.classifier.max_train <= 4096
    assert smoke.eval.cache_dir == "/tmp/x/.cache"
    assert not validate(compose_cfg("eval.enabled=false")).eval.enabled


@pytest.mark.parametrize("override, message", [
    ("loss.optim.lr=-1", r"loss.optim.lr=-1.0 must be > 0"),
    ("loss.clip=0", r"loss.clip=0.0 must be > 0"),
    ("train.batch_size=0", r"train.batch_size=0 must be >= 1"),
    ("train.iters=abc", r"bad config value at train.iters"),
    ("+model.width=3", r"unknown option model.width"),
    ("model.ngf=1.5", r"model.ngf must be of type int"),
    ("loss.optim.name=adagrad", r"must be one of rmsprop, adam, sgd"),
    ("loss.name=no_such_loss", r"unknown loss 'no_such_loss': valid names are began, ebgan, feature_matching, fgan, gan, hinge, lsgan, nsgan, wgan, wgan_gp"),
    ("loss.name=lsgan", r"loss is missing option\(s\) a, b, c for loss 'lsgan'"),
    ("+eval.foo=1", r"bad config value at eval.foo: Key 'foo' not in 'EvalConfig'"),
    ("eval.n_samples=abc", r"bad config value at eval.n_samples"),
    ("eval.every=0", r"eval.every=0 must be >= 1"),
    ("eval.coverage_min_share=2", r"eval.coverage_min_share=2.0 must be in \(0, 1\]"),
    ("eval.classifier.epochs=0", r"eval.classifier=.* sizes must be >= 1"),
])
def test_bad_values_are_one_line_config_errors(compose_cfg, override, message):
    with pytest.raises(ConfigError, match=message) as err:
        validate(compose_cfg(override))
    assert "\n" not in str(err.value)


def test_the_schema_holds_types_only_so_the_yaml_is_the_one_source_of_every_value():
    """A default written in a dataclass as well as in YAML is two sources that drift apart: every
    typed key's default is MISSING (a nested section is a dataclass of such keys; the registered
    sections and `theory` are None until a YAML file selects one)."""
    import dataclasses

    from omegaconf import MISSING

    from wgan_repro import config

    def fields(cls, prefix=""):
        for f in dataclasses.fields(cls):
            if f.default_factory is not dataclasses.MISSING:
                yield from fields(f.default_factory, f"{prefix}{f.name}.")
            else:
                yield f"{prefix}{f.name}", f.default

    keys = dict(fields(config.RunConfig))
    sections = {"model", "critic", "loss", "data", "theory"}
    assert {k for k, v in keys.items() if v is None} == sections
    assert all(v == MISSING for k, v in keys.items() if k not in sections) and len(keys) > 40


def test_a_key_no_yaml_sets_is_named_with_the_fix(compose_cfg):
    from omegaconf import open_dict

    cfg = compose_cfg()
    with open_dict(cfg):
        del cfg.train["iters"]
        del cfg.loss.optim["lr"]
    with pytest.raises(ConfigError, match=r"no value for loss.optim.lr, train.iters: set it in conf/config.yaml") as err:
        validate(cfg)
    assert "\n" not in str(err.value)
