"""One process per run folder: a second process is refused with one line and exit code 2 (in a
sweep that run is skipped and the sweep goes on), and a SIGKILLed run leaves no stale lock."""
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.test_cli import ROOT, run_cli
from wgan_repro.run_files import read_json
from wgan_repro.run_lock import LOCK_FILE, RunFolderLock, RunLocked

SMOKE = ("experiment=smoke", "train.threads=1", "eval.enabled=false")


def test_the_lock_names_its_holder_and_is_released_on_exit(tmp_path):
    with RunFolderLock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())
        with pytest.raises(RunLocked, match=rf"in use by process {os.getpid()}: "):
            RunFolderLock(tmp_path).acquire()
    with RunFolderLock(tmp_path):       # released: taken again
        pass


def _wait_for(predicate, timeout=120.0):
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_second_process_is_refused_and_a_killed_run_leaves_no_stale_lock(tmp_path, fake_data_root):
    run_dir = tmp_path / "run"
    args = [*SMOKE, "train.iters=400", "train.checkpoint_every=50", f"hydra.run.dir={run_dir}",
            f"data.root={fake_data_root}", f"out_dir={tmp_path}"]
    first = subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: (read_json(run_dir / "status.json") or {}).get("status") == "running")
        second = run_cli(*args)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert lines[-1] == (f"error: the run folder {run_dir} is in use by process {first.pid}: wait for it to "
                             "finish (or stop it), or run in another folder (out_dir=...)"), second.stderr[-2000:]
        assert first.poll() is None                      # the owner was not disturbed
        _wait_for(lambda: (read_json(run_dir / "status.json") or {}).get("iter", 0) >= 50)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    resumed = run_cli(*args)                             # the kernel released the dead owner's lock
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    metrics = pd.read_csv(run_dir / "metrics.csv")
    assert metrics["iter"].tolist() == list(range(1, 401))  # whole, once each


def test_a_sweep_skips_a_run_another_process_holds_and_goes_on(tmp_path, fake_data_root):
    sweep = tmp_path / "sweep"
    held = sweep / "eval.enabled=False,experiment=smoke,loss=gan"
    with RunFolderLock(held):
        proc = run_cli("-m", "loss=wgan,gan", *SMOKE, f"hydra.sweep.dir={sweep}", f"data.root={fake_data_root}",
                       f"out_dir={tmp_path}", "hydra.callbacks.report.enabled=false")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"error: the run folder {held} is in use by process {os.getpid()}" in proc.stderr
    assert read_json(sweep / "eval.enabled=False,experiment=smoke,loss=wgan" / "status.json")["status"] == "finished"
    assert not (held / "metrics.csv").exists()
