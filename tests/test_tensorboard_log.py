"""train.tensorboard=true: the event files hold every metrics.csv value at its step and the sample
grids, also after a SIGKILL and a resume (no step twice, none missing)."""
import math
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.test_cli import ROOT, run_cli

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

RUN = ("experiment=smoke", "train.iters=40", "train.checkpoint_every=5", "train.sample_every=10",
       "train.threads=1", "train.flush_every=2", "train.tensorboard=true")


def events(run_dir) -> EventAccumulator:
    acc = EventAccumulator(str(run_dir / "tb"), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc


def assert_events_match_metrics(run_dir):
    metrics = pd.read_csv(run_dir / "metrics.csv")
    acc = events(run_dir)
    tags = set(acc.Tags()["scalars"])
    columns = [c for c in metrics.columns if c != "iter"]
    assert set(columns) <= tags, set(columns) - tags
    for column in columns:
        scalars = acc.Scalars(column)
        logged = {e.step: e.value for e in scalars}
        expected = {int(i): float(v) for i, v in zip(metrics["iter"], metrics[column]) if math.isfinite(v)}
        assert [e.step for e in scalars] == sorted(expected), column           # the same steps, once each
        for step, value in expected.items():                                   # events hold float32
            assert logged[step] == pytest.approx(value, rel=2.0 ** -23, abs=1e-30), (column, step)
    assert [e.step for e in acc.Images("samples")] == [10, 20, 30, 40]


def test_a_run_logs_its_scalars_and_samples_to_tensorboard(tmp_path, fake_data_root):
    run_dir = tmp_path / "run"
    proc = run_cli(*RUN, f"hydra.run.dir={run_dir}", f"data.root={fake_data_root}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_events_match_metrics(run_dir)


def test_a_killed_and_resumed_run_logs_each_step_once(tmp_path, fake_data_root):
    run_dir = tmp_path / "run"
    args = [*RUN, f"hydra.run.dir={run_dir}", f"data.root={fake_data_root}"]
    proc = subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (run_dir / "metrics.csv").exists() or len((run_dir / "metrics.csv").read_text().splitlines()) < 18:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)       # past the checkpoint at 15: rows and events beyond it are redone
    proc.wait()
    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_events_match_metrics(run_dir)


def test_asking_for_tensorboard_without_it_is_one_line(tmp_path, fake_data_root, monkeypatch):
    import wgan_repro.tensorboard_log as tb
    from wgan_repro.registry import ConfigError

    monkeypatch.setitem(sys.modules, "tensorboard", None)      # as if not installed
    with pytest.raises(ConfigError, match=r'needs the tensorboard package: pip install -e "\.\[tensorboard\]"'):
        tb.check_available()
