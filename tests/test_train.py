import pandas as pd
import pytest
import torch

from wgan_repro.cli import CONF_DIR
from wgan_repro.config import validate
from wgan_repro.models import build_critic
from wgan_repro.objectives import OBJECTIVES, get_objective
from wgan_repro.presets import preset
from wgan_repro.run_files import read_json
from wgan_repro.run_layout import SPECTRAL_COLUMNS, TRAIN_COLUMNS
from wgan_repro.train import Trainer, critic_steps_for, train

SMOKE = ("experiment=smoke", "device=cpu", "train.threads=1")


@pytest.mark.parametrize("model", sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml")))
@pytest.mark.parametrize("loss", OBJECTIVES.names())
def test_every_model_and_loss_pair_trains_a_few_iterations(compose_cfg, tmp_path, model, loss):
    cfg = validate(compose_cfg(*SMOKE, f"model={model}", f"loss={loss}", "train.iters=3"))
    assert train(cfg, tmp_path) == "finished"
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    logged = list(get_objective(loss).info.logged)
    assert list(metrics.columns) == list(TRAIN_COLUMNS) + logged and metrics["iter"].tolist() == [1, 2, 3]
    steps = [critic_steps_for(i, cfg.loss) for i in range(3)]
    assert metrics["critic_steps"].tolist() == [sum(steps[:i + 1]) for i in range(3)]
    assert metrics[["loss_critic", "loss_generator", "estimate"] + logged].notna().all().all()
    assert read_json(tmp_path / "run.json")["objective"]["estimate"] == get_objective(loss).info.estimate
    assert read_json(tmp_path / "status.json")["status"] == "finished"
    assert (tmp_path / "samples" / "final.png").exists() and (tmp_path / "checkpoints" / "last.pt").exists()


def test_clipping_holds_every_critic_weight_before_and_after_each_step(compose_cfg, tmp_path):
    cfg = validate(compose_cfg(*SMOKE, "loss.clip=0.005"))
    fresh = build_critic(cfg.critic, (1, 32, 32))
    assert max(p.abs().max() for p in fresh.parameters()) > 0.005   # the DCGAN init (and BN's weight ~ 1) exceed c
    trainer = Trainer(cfg, tmp_path)
    for name, p in trainer.critic.named_parameters():                # clipped before the first step (Algorithm 1)
        assert p.abs().max() <= 0.005, name
    for _ in range(4):
        trainer.critic_step()
        for name, p in trainer.critic.named_parameters():
            assert p.abs().max() <= 0.005, name
    assert any(p.abs().max() == 0.005 for p in trainer.critic.parameters())


def test_no_clipping_for_the_gan_objectives(compose_cfg, tmp_path):
    trainer = Trainer(validate(compose_cfg(*SMOKE, "loss=nsgan")), tmp_path)
    trainer.critic_step()
    assert max(p.abs().max() for p in trainer.critic.parameters()) > 0.5   # BN weights ~ 1


def test_warmup_schedule_of_the_original_code(compose_cfg):
    cfg = validate(compose_cfg())
    steps = [critic_steps_for(i, cfg.loss) for i in range(1001)]
    assert steps[:25] == [100] * 25 and steps[25:30] == [5] * 5
    assert steps[500] == steps[1000] == 100 and steps[501] == 5
    cfg.loss.warmup.enabled = False
    assert critic_steps_for(0, cfg.loss) == 5


def _trained_w_estimate(distance: float, steps: int = 300) -> float:
    torch.manual_seed(0)
    critic = build_critic({**preset("critic", "mlp"), "hidden": 32, "layers": 2, "norm": "none"}, (1,))
    opt = torch.optim.RMSprop(critic.parameters(), lr=5e-3)
    objective = get_objective("wgan")
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        real = torch.randn(256, 1, generator=g)
        fake = torch.randn(256, 1, generator=g) + distance
        loss = objective.of(critic(real), critic(fake)).critic
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-0.1, 0.1)
    real, fake = torch.randn(4096, 1, generator=g), torch.randn(4096, 1, generator=g) + distance
    with torch.no_grad():
        return objective.of(critic(real), critic(fake)).estimate.item()


def test_w_estimate_is_positive_and_grows_with_the_distance_between_two_1d_distributions():
    estimates = [_trained_w_estimate(d) for d in (0.5, 1.0, 2.0, 4.0)]
    assert all(e > 0 for e in estimates)
    assert estimates == sorted(estimates) and estimates[-1] > 3 * estimates[0]


def _metrics_without_time(path):
    return pd.read_csv(path / "metrics.csv").drop(columns=["wall_time"])


def test_same_seed_gives_the_same_metrics_on_cpu(compose_cfg, tmp_path):
    cfg = validate(compose_cfg(*SMOKE, "train.iters=5"))
    train(cfg, tmp_path / "a")
    train(cfg, tmp_path / "b")
    pd.testing.assert_frame_equal(_metrics_without_time(tmp_path / "a"), _metrics_without_time(tmp_path / "b"))
    other = validate(compose_cfg(*SMOKE, "train.iters=5", "seed=1"))
    train(other, tmp_path / "c")
    assert not _metrics_without_time(tmp_path / "a").equals(_metrics_without_time(tmp_path / "c"))


STATEFUL = {   # every option whose state lives in the checkpoint
    "wgan": ("loss=wgan",),
    "wgan_gp": ("loss=wgan_gp", "critic.norm=layer"),                  # the penalty's interpolation draws
    "began": ("loss=began",),                                          # k_t
    "vbn_minibatch": ("loss=nsgan", "model.vbn=true", "critic.minibatch_kernels=4"),    # the fixed reference batch
    "spectral_averaging_noise": ("loss=hinge", "critic.norm=spectral", "loss.historical_averaging=0.1",
                                 "loss.instance_noise.std=0.1", "loss.instance_noise.anneal_iters=4"),
}


@pytest.mark.parametrize("options", STATEFUL.values(), ids=STATEFUL.keys())
def test_resumed_run_matches_an_uninterrupted_one(compose_cfg, tmp_path, options):
    full = validate(compose_cfg(*SMOKE, *options, "train.iters=6", "train.checkpoint_every=2"))
    train(full, tmp_path / "full")
    part = validate(compose_cfg(*SMOKE, *options, "train.iters=4", "train.checkpoint_every=2"))
    train(part, tmp_path / "resumed")
    assert train(full, tmp_path / "resumed") == "finished"
    pd.testing.assert_frame_equal(_metrics_without_time(tmp_path / "full"), _metrics_without_time(tmp_path / "resumed"))
    a = torch.load(tmp_path / "full" / "checkpoints" / "last.pt", weights_only=False)
    b = torch.load(tmp_path / "resumed" / "checkpoints" / "last.pt", weights_only=False)
    assert all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])
    # a finished run is not trained again
    assert train(full, tmp_path / "resumed") == "finished"
    assert len(pd.read_csv(tmp_path / "resumed" / "metrics.csv")) == 6


def test_a_huge_learning_rate_ends_the_run_as_diverged_and_keeps_its_rows(compose_cfg, tmp_path):
    cfg = validate(compose_cfg(*SMOKE, "loss=nsgan", "loss.optim.lr=1e12", "loss.optim.name=sgd", "train.iters=40"))
    assert train(cfg, tmp_path) == "diverged"
    status = read_json(tmp_path / "status.json")
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    assert status["status"] == "diverged" and status["iter"] == metrics["iter"].iloc[-1] < 40


def test_the_first_w_estimate_is_not_held_back_by_an_unclipped_first_step(compose_cfg, tmp_path):
    """The default WGAN (warm-up on: 100 critic steps per generator step at first). Before the
    fresh critic was clipped, its first update on unclipped weights filled RMSProp's running
    average with a ~200x gradient and the first rows' estimates were ~0.4x the next ones'."""
    cfg = validate(compose_cfg("device=cpu", "train.threads=1", "eval.enabled=false"))
    assert cfg.loss.warmup.enabled and cfg.loss.warmup.critic_steps == 100
    trainer = Trainer(cfg, tmp_path)
    first, second = (float(trainer.generator_iteration()["estimate"]) for _ in range(2))
    assert first > 0 and second > 0
    assert first >= 0.8 * second, (first, second)


def test_a_spectrally_normalized_critic_logs_its_singular_values_and_an_older_run_resumes_without(
        compose_cfg, tmp_path):
    cfg = validate(compose_cfg(*SMOKE, "loss=hinge", "critic.norm=spectral", "train.iters=5", "train.flush_every=2"))
    assert train(cfg, tmp_path / "sn") == "finished"
    metrics = pd.read_csv(tmp_path / "sn" / "metrics.csv").set_index("iter")
    logged = metrics[list(SPECTRAL_COLUMNS)].dropna()
    assert logged.index.tolist() == [2, 4]                  # every flush_every iterations, whatever train.iters
    low, high = (logged[c] for c in SPECTRAL_COLUMNS)
    assert (low >= 1 - 1e-3).all() and (low <= high).all() and (high <= 1.05).all()
    plain = validate(compose_cfg(*SMOKE, "loss=hinge", "train.iters=2"))
    assert train(plain, tmp_path / "plain") == "finished"
    assert not set(SPECTRAL_COLUMNS) & set(pd.read_csv(tmp_path / "plain" / "metrics.csv").columns)

    # a spectral run logged before these columns existed resumes with the columns it has
    old = validate(compose_cfg(*SMOKE, "loss=hinge", "critic.norm=spectral", "train.iters=2"))
    assert train(old, tmp_path / "old") == "finished"
    path = tmp_path / "old" / "metrics.csv"
    pd.read_csv(path).drop(columns=list(SPECTRAL_COLUMNS)).to_csv(path, index=False)
    longer = validate(compose_cfg(*SMOKE, "loss=hinge", "critic.norm=spectral", "train.iters=4"))
    assert train(longer, tmp_path / "old") == "finished"
    resumed = pd.read_csv(path)
    assert resumed["iter"].tolist() == [1, 2, 3, 4] and not set(SPECTRAL_COLUMNS) & set(resumed.columns)


def test_the_critic_surface_of_a_minibatch_discrimination_critic_is_taken_in_training_size_batches(
        compose_cfg, tmp_path, monkeypatch):
    import numpy as np

    cfg = validate(compose_cfg(*SMOKE, "data=twentyfive_gaussians", "loss=nsgan", "critic.minibatch_kernels=4",
                               "train.iters=2", fake_data=False))
    trainer = Trainer(cfg, tmp_path)
    seen = []
    forward = trainer.critic.forward
    monkeypatch.setattr(trainer.critic, "forward", lambda x: seen.append(len(x)) or forward(x))
    trainer.save_critic_surface(n=21)
    assert max(seen) == cfg.train.batch_size and sum(seen) == 21 * 21     # never the whole grid at once
    values = np.load(tmp_path / "critic_surface.npz")["values"]
    assert values.shape == (21, 21) and np.isfinite(values).all()
