"""A run killed at any moment and resumed ends with the same files as an uninterrupted one."""
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch

from tests.test_cli import ROOT, run_cli
from wgan_repro.run_files import read_json

RUN = ("experiment=smoke", "train.iters=60", "train.checkpoint_every=7", "train.sample_every=5",
       "train.threads=1", "train.flush_every=3")


def start(run_dir, data_root, extra=()):
    return subprocess.Popen([sys.executable, "run.py", *RUN, *extra, f"hydra.run.dir={run_dir}", f"data.root={data_root}"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def logged_rows(run_dir) -> int:
    try:
        return max(0, len((run_dir / "metrics.csv").read_text().splitlines()) - 1)
    except OSError:
        return 0


def assert_same_run(a, b, critic_steps=300):
    ma, mb = (pd.read_csv(d / "metrics.csv") for d in (a, b))
    pd.testing.assert_frame_equal(ma.drop(columns="wall_time"), mb.drop(columns="wall_time"))
    assert ma["iter"].tolist() == list(range(1, 61))               # no duplicated or missing row
    samples_a = sorted(p.name for p in (a / "samples").iterdir())
    assert samples_a == sorted(p.name for p in (b / "samples").iterdir())
    for name in samples_a:
        assert (a / "samples" / name).read_bytes() == (b / "samples" / name).read_bytes(), name
    ca, cb = (torch.load(d / "checkpoints" / "last.pt", weights_only=False) for d in (a, b))
    for part in ("generator", "critic"):
        assert all(torch.equal(ca[part][k], cb[part][k]) for k in ca[part]), part
    for part in ("opt_g", "opt_d"):
        for i, state in ca[part]["state"].items():
            assert all(torch.equal(v, cb[part]["state"][i][k]) for k, v in state.items() if torch.is_tensor(v))
    assert (ca["iter"], ca["critic_steps"]) == (cb["iter"], cb["critic_steps"]) == (60, critic_steps)
    state_a, state_b = ca.get("objective_state", {}), cb.get("objective_state", {})
    assert state_a.keys() == state_b.keys() and all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    assert read_json(b / "status.json")["status"] == "finished"


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fake_data_root):
    run_dir = tmp_path_factory.mktemp("reference")
    proc = start(run_dir, fake_data_root)
    assert proc.wait(timeout=600) == 0
    return run_dir


def kill_at_random_points(run_dir, data_root, extra=()):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    killed_at = []
    for target in sorted(rng.sample(range(1, 56), 3)):      # kill once the CSV holds `target` rows
        proc = start(run_dir, data_root, extra)
        deadline = time.time() + 300
        while proc.poll() is None and logged_rows(run_dir) < target and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.2))                       # land anywhere in a step or a write
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_at.append(logged_rows(run_dir))
        proc.wait(timeout=600)
    assert len(killed_at) == 3 and max(killed_at) < 60, f"kills at rows {killed_at} (seed {seed})"
    proc = run_cli(*RUN, *extra, f"hydra.run.dir={run_dir}", f"data.root={data_root}")
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_files(reference, tmp_path, fake_data_root):
    kill_at_random_points(tmp_path / "killed", fake_data_root)
    assert_same_run(reference, tmp_path / "killed")


STATEFUL = {   # (overrides, critic steps per generator step)
    "began": (("loss=began", "loss.lr_on_stall.enabled=true", "loss.lr_on_stall.window=10",
               "loss.lr_on_stall.min_drop=1.0"), 1),             # k_t, the learning-rate halving (cuts from 20 on)
    "vbn_minibatch": (("loss=nsgan", "model.vbn=true", "critic.minibatch_kernels=4"), 1),   # the fixed reference batch
    "wgan_gp": (("loss=wgan_gp", "critic.norm=layer"), 5),                               # the penalty's draws
    "spectral_averaging": (("loss=hinge", "critic.norm=spectral", "loss.historical_averaging=0.1",
                            "loss.instance_noise.std=0.1"), 1),          # power iterations, running means, noise
    "all_at_once": (("loss=wgan_gp", "critic.norm=spectral", "loss.historical_averaging=0.1", "model.vbn=true",
                     "critic.minibatch_kernels=4", "loss.instance_noise.std=0.1"), 5),   # issue 12's one run
}


@pytest.mark.slow
@pytest.mark.parametrize("name", STATEFUL)
def test_a_stateful_option_killed_and_resumed_gives_the_uninterrupted_files(tmp_path, fake_data_root, name):
    extra, n_critic = STATEFUL[name]
    proc = start(tmp_path / "reference", fake_data_root, extra)
    assert proc.wait(timeout=600) == 0
    kill_at_random_points(tmp_path / "killed", fake_data_root, extra)
    assert_same_run(tmp_path / "reference", tmp_path / "killed", critic_steps=60 * n_critic)
    if name == "began":
        k_t = pd.read_csv(tmp_path / "killed" / "metrics.csv")["k_t"]
        assert k_t.iloc[0] == 0 and k_t.iloc[-1] > 0          # the equilibrium term moved and was resumed
        saved = torch.load(tmp_path / "killed" / "checkpoints" / "last.pt", weights_only=True)
        assert saved["lr_on_stall"]["halvings"] == [20, 30, 40, 50, 60]     # every window after the first stalls


def test_sigterm_saves_a_checkpoint_and_the_same_command_resumes(reference, tmp_path, fake_data_root):
    run_dir = tmp_path / "terminated"
    proc = start(run_dir, fake_data_root)
    deadline = time.time() + 300
    while (read_json(run_dir / "status.json") or {}).get("iter", 0) < 10 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    status = read_json(run_dir / "status.json")
    saved = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=False)
    assert status["status"] == "running" and "resume" in status["message"]
    assert saved["iter"] == status["iter"] < 60
    assert pd.read_csv(run_dir / "metrics.csv")["iter"].iloc[-1] == saved["iter"]
    proc = run_cli(*RUN, f"hydra.run.dir={run_dir}", f"data.root={fake_data_root}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_same_run(reference, run_dir)
