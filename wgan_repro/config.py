"""The run config's schema and its validation: an unknown key, a wrong type or an out-of-range
value becomes one ConfigError line naming the key and the fix, before anything is built.

The fixed sections (train, loss, arch, ...) are typed dataclasses below; the `model`,
`critic` and `data` sections differ per registered name and are checked against their
constructor's signature by the registries. The dataclasses hold types only: every value comes
from the YAML files (conf/config.yaml, conf/<group>/<name>.yaml), its one source, and a key that
no YAML sets is an error rather than a second, silent default.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from wgan_repro.data import DATASETS
from wgan_repro.models import CRITICS, GENERATORS
from wgan_repro.objectives import OBJECTIVES, SHARED_KEYS, build_objective, default_info
from wgan_repro.registry import ConfigError

OPTIMIZERS = ("rmsprop", "adam", "sgd")


@dataclass
class OptimConfig:
    name: str = MISSING
    lr: float = MISSING
    betas: List[float] = MISSING
    momentum: float = MISSING
    weight_decay: float = MISSING


@dataclass
class WarmupConfig:
    """The original WGAN code's schedule: `critic_steps` critic steps per generator step for the
    first `iters` generator iterations and every `every`-th one after."""
    enabled: bool = MISSING
    iters: int = MISSING
    critic_steps: int = MISSING
    every: int = MISSING


@dataclass
class InstanceNoiseConfig:
    """N(0, std^2) added to every input of the critic (real and fake), its std falling linearly to
    0 over `anneal_iters` generator iterations (0: constant)."""
    std: float = MISSING
    anneal_iters: int = MISSING


@dataclass
class LrOnStallConfig:
    """Cut both learning rates by `factor` when the estimate's mean over a `window` of generator
    iterations is not below the best window's by `min_drop` x |best| (see wgan_repro/lr_on_stall.py)."""
    enabled: bool = MISSING
    window: int = MISSING
    min_drop: float = MISSING
    factor: float = MISSING


@dataclass
class LossConfig:
    """The keys every objective's YAML has; its own options (a penalty weight, a divergence, ...)
    sit beside them and are checked against the objective function's signature."""
    name: str = MISSING
    n_critic: int = MISSING
    clip: Optional[float] = MISSING
    warmup: WarmupConfig = field(default_factory=WarmupConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    instance_noise: InstanceNoiseConfig = field(default_factory=InstanceNoiseConfig)
    historical_averaging: float = MISSING
    lr_on_stall: LrOnStallConfig = field(default_factory=LrOnStallConfig)


@dataclass
class ArchConfig:
    nz: int = MISSING
    ngf: int = MISSING
    ndf: int = MISSING


@dataclass
class TrainConfig:
    iters: int = MISSING
    batch_size: int = MISSING
    log_every: int = MISSING
    flush_every: int = MISSING
    sample_every: int = MISSING
    checkpoint_every: int = MISSING
    grid_size: int = MISSING
    channels_last: bool = MISSING
    tf32: bool = MISSING
    precision: str = MISSING
    threads: int = MISSING
    progress: str = MISSING
    resume: bool = MISSING
    tensorboard: bool = MISSING


@dataclass
class ClassifierConfig:
    """The domain classifier behind the image metrics (see wgan_repro/metrics/classifier.py)."""
    width: int = MISSING
    embed_dim: int = MISSING
    epochs: int = MISSING
    batch_size: int = MISSING
    lr: float = MISSING
    max_train: Optional[int] = MISSING
    seed: int = MISSING


@dataclass
class EvalConfig:
    """Sample-quality evaluation during training (see wgan_repro/metrics/evaluator.py)."""
    enabled: bool = MISSING
    every: int = MISSING
    n_samples: int = MISSING
    n_final: int = MISSING
    n_real: int = MISSING
    n_points: int = MISSING
    n_points_final: int = MISSING
    kid_subsets: int = MISSING
    kid_subset_size: int = MISSING
    coverage_min_share: float = MISSING
    mode_min_share: float = MISSING
    seed: int = MISSING
    cache_dir: str = MISSING
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)


@dataclass
class RunConfig:
    model: Any = None
    critic: Any = None
    loss: Any = None               # LossConfig's keys, then the objective's own options
    data: Any = None
    arch: ArchConfig = field(default_factory=ArchConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    task: str = MISSING            # "train", or the name of a theory experiment (wgan_repro/theory)
    theory: Any = None             # that experiment's options, checked against its signature
    seed: int = MISSING
    device: str = MISSING
    out_dir: str = MISSING


def validate(cfg: DictConfig) -> DictConfig:
    """Return the config merged onto the schema, or raise ConfigError with one clear line."""
    try:
        merged = OmegaConf.merge(OmegaConf.structured(RunConfig), cfg)
        OmegaConf.resolve(merged)
        merged.loss = _typed_loss(merged.loss)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "config"
        reason = str(err).splitlines()[0]
        raise ConfigError(f"bad config value at {key}: {reason}. Fix the override or the YAML file") from None
    _check_no_missing(merged)
    _check_ranges(merged)
    for registry, section in ((GENERATORS, "model"), (CRITICS, "critic"), (DATASETS, "data")):
        options = merged[section]
        if not isinstance(options, DictConfig):
            raise ConfigError(f"the {section} section is missing: choose one with {section}=<{'|'.join(registry.names())}>")
        context_keys = {"data": ("split", "seed")}.get(section, ("data_shape",))
        registry.options(OmegaConf.to_container(options), context={k: None for k in context_keys}, section=section)
    objective = build_objective(OmegaConf.to_container(merged.loss))
    _check_critic_kind(objective, merged.critic.name)
    return merged


def _check_no_missing(cfg: DictConfig) -> None:
    """Every typed key has a value: the schema gives none, so a key no YAML file sets is named."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"no value for {', '.join(missing)}: set it in conf/config.yaml (or the config group's "
                          f"YAML) or on the command line, e.g. {missing[0]}=<value>")


def _check_critic_kind(objective, critic: str) -> None:
    """An energy objective (EBGAN, BEGAN) needs an energy critic (an autoencoder) and the others need another."""
    energy_critics = [n for n in CRITICS.names() if (CRITICS.meta(n) or {}).get("energy")]
    is_energy = critic in energy_critics
    if objective.info.energy_critic and not is_energy:
        raise ConfigError(f"loss={objective.name} reads the critic's output as an energy: use critic="
                          f"{' or critic='.join(energy_critics)}")
    if is_energy and not objective.info.energy_critic:
        energy_losses = [n for n in OBJECTIVES.names() if default_info(n).energy_critic]
        raise ConfigError(f"critic={critic} outputs an energy (a reconstruction error), which loss={objective.name} "
                          f"does not read as one: use loss={' or loss='.join(energy_losses)}, or another critic")


def _typed_loss(loss) -> DictConfig:
    """The loss section with its shared keys typed by LossConfig (an error names the key) and the
    objective's own options kept as they are (the registry checks them)."""
    if not isinstance(loss, DictConfig):
        raise ConfigError(f"the loss section is missing: choose one with loss=<{'|'.join(OBJECTIVES.names())}>")
    values = OmegaConf.to_container(loss)
    try:
        shared = OmegaConf.merge(OmegaConf.structured(LossConfig), {k: v for k, v in values.items() if k in SHARED_KEYS})
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or ""
        reason = str(err).splitlines()[0]
        raise ConfigError(f"bad config value at loss.{key}: {reason}. Fix the override or the YAML file") from None
    typed = OmegaConf.create(OmegaConf.to_container(shared))
    typed.merge_with({k: v for k, v in values.items() if k not in SHARED_KEYS})
    return typed


def _check_ranges(cfg: DictConfig) -> None:
    checks = [
        (cfg.loss.optim.lr > 0, "loss.optim.lr", cfg.loss.optim.lr, "must be > 0 (the paper's: 5e-5 for wgan, 2e-4 for gan)"),
        (cfg.loss.optim.name in OPTIMIZERS, "loss.optim.name", cfg.loss.optim.name, f"must be one of {', '.join(OPTIMIZERS)}"),
        (len(cfg.loss.optim.betas) == 2 and all(0 <= b < 1 for b in cfg.loss.optim.betas),
         "loss.optim.betas", list(cfg.loss.optim.betas), "must be two numbers in [0, 1)"),
        (cfg.loss.clip is None or cfg.loss.clip > 0, "loss.clip", cfg.loss.clip, "must be > 0 (the paper's 0.01) or null for no clipping"),
        (cfg.loss.n_critic >= 1, "loss.n_critic", cfg.loss.n_critic, "must be >= 1"),
        (cfg.loss.instance_noise.std >= 0 and cfg.loss.instance_noise.anneal_iters >= 0, "loss.instance_noise",
         OmegaConf.to_container(cfg.loss.instance_noise), "needs std >= 0 and anneal_iters >= 0"),
        (cfg.loss.historical_averaging >= 0, "loss.historical_averaging", cfg.loss.historical_averaging,
         "must be >= 0 (0: off; a weight of the penalty ||theta - its running mean||^2)"),
        (cfg.loss.lr_on_stall.window >= 1 and cfg.loss.lr_on_stall.min_drop >= 0 and 0 < cfg.loss.lr_on_stall.factor < 1,
         "loss.lr_on_stall", OmegaConf.to_container(cfg.loss.lr_on_stall), "needs window >= 1, min_drop >= 0, 0 < factor < 1"),
        (cfg.loss.warmup.critic_steps >= 1 and cfg.loss.warmup.every >= 1 and cfg.loss.warmup.iters >= 0,
         "loss.warmup", OmegaConf.to_container(cfg.loss.warmup), "needs critic_steps >= 1, every >= 1, iters >= 0"),
        (cfg.train.iters >= 1, "train.iters", cfg.train.iters, "must be >= 1"),
        (cfg.train.batch_size >= 1, "train.batch_size", cfg.train.batch_size, "must be >= 1"),
        (cfg.arch.nz >= 1 and cfg.arch.ngf >= 1 and cfg.arch.ndf >= 1, "arch", OmegaConf.to_container(cfg.arch), "sizes must be >= 1"),
        (min(cfg.train.log_every, cfg.train.flush_every, cfg.train.sample_every, cfg.train.checkpoint_every) >= 1,
         "train.*_every", None, "intervals must be >= 1"),
        (cfg.train.grid_size >= 1, "train.grid_size", cfg.train.grid_size, "must be >= 1"),
        (cfg.train.threads >= 0, "train.threads", cfg.train.threads, "must be >= 0 (0: all cores)"),
        (cfg.train.progress in ("auto", "bar", "log"), "train.progress", cfg.train.progress, "must be auto, bar or log"),
        (cfg.train.precision in ("auto", "fp32", "bf16"), "train.precision", cfg.train.precision,
         "must be auto, fp32 or bf16"),
        (cfg.eval.every >= 1, "eval.every", cfg.eval.every, "must be >= 1"),
        (min(cfg.eval.n_samples, cfg.eval.n_final, cfg.eval.n_real) >= 2, "eval.n_*",
         [cfg.eval.n_samples, cfg.eval.n_final, cfg.eval.n_real], "n_samples, n_final and n_real must be >= 2"),
        (2 <= cfg.eval.n_points <= 20000 and 2 <= cfg.eval.n_points_final <= 20000, "eval.n_points*",
         [cfg.eval.n_points, cfg.eval.n_points_final], "must be in [2, 20000] (exact W1 is quadratic in memory)"),
        (cfg.eval.kid_subsets >= 1 and cfg.eval.kid_subset_size >= 2, "eval.kid_*",
         [cfg.eval.kid_subsets, cfg.eval.kid_subset_size], "need kid_subsets >= 1 and kid_subset_size >= 2"),
        (0 < cfg.eval.coverage_min_share <= 1, "eval.coverage_min_share", cfg.eval.coverage_min_share, "must be in (0, 1]"),
        (0 < cfg.eval.mode_min_share <= 1, "eval.mode_min_share", cfg.eval.mode_min_share, "must be in (0, 1]"),
        (min(cfg.eval.classifier.width, cfg.eval.classifier.embed_dim, cfg.eval.classifier.epochs,
             cfg.eval.classifier.batch_size) >= 1 and cfg.eval.classifier.lr > 0
         and (cfg.eval.classifier.max_train is None or cfg.eval.classifier.max_train >= 1),
         "eval.classifier", OmegaConf.to_container(cfg.eval.classifier), "sizes must be >= 1 and lr > 0"),
        (cfg.device == "auto" or cfg.device == "cpu" or cfg.device.startswith("cuda"), "device", cfg.device,
         "must be auto, cpu, cuda or cuda:N"),
    ]
    for ok, key, value, rule in checks:
        if not ok:
            raise ConfigError(f"{key}={value} {rule}")
