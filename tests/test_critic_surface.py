"""A 2-D run writes critic_surface.npz, in the format the report reads."""
import numpy as np
import torch

from wgan_repro.config import validate
from wgan_repro.train import Trainer, train


def test_a_2d_run_saves_the_critic_surface(compose_cfg, tmp_path):
    cfg = validate(compose_cfg("experiment=smoke", "device=cpu", "train.threads=1", "data=eight_gaussians",
                               "train.iters=2", "data.n_points=2000", fake_data=False))
    assert train(cfg, tmp_path) == "finished"
    with np.load(tmp_path / "critic_surface.npz") as data:
        x, y, values, real, fake = (data[k] for k in ("x", "y", "values", "real", "fake"))
        assert int(data["iter"]) == 2
    assert values.shape == (len(y), len(x)) == (101, 101) and real.shape[1] == fake.shape[1] == 2
    assert x.min() < real[:, 0].min() and x.max() > real[:, 0].max()         # the grid covers the points
    trainer = Trainer(cfg, tmp_path)                                           # resumes the finished run
    trainer.load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    with torch.no_grad():
        point = torch.tensor([[float(x[7]), float(y[3])]])
        assert abs(float(trainer.critic(point)) - values[3, 7]) < 1e-5       # values[i, j] is at (x[j], y[i])


def test_image_runs_write_no_surface(compose_cfg, tmp_path):
    cfg = validate(compose_cfg("experiment=smoke", "device=cpu", "train.threads=1", "train.iters=1"))
    assert train(cfg, tmp_path) == "finished"
    assert not (tmp_path / "critic_surface.npz").exists()
