"""Sweeps through Hydra's launchers: joblib (hydra/launcher=local) and submitit's local mode."""
import pandas as pd

from tests.test_cli import run_cli
from wgan_repro.cli import run_name
from wgan_repro.run_files import read_json


def _check_runs(sweep, names):
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.name != "report") == sorted(names)
    for name in names:
        status = read_json(sweep / name / "status.json")
        log = (sweep / name / "run.log").read_text()[-3000:] if (sweep / name / "run.log").exists() else "(no run.log)"
        assert status is not None and status["status"] == "finished", (name, status, log)
        assert pd.read_csv(sweep / name / "metrics.csv")["iter"].tolist() == [1, 2, 3, 4]


def test_local_launcher_runs_two_jobs_in_parallel_with_a_share_of_the_cores(tmp_path, fake_data_root):
    proc = run_cli("-m", "hydra/launcher=local", "hydra.launcher.n_jobs=2", "experiment=smoke", "model=dcgan,mlp",
                   f"out_dir={tmp_path}", f"data.root={fake_data_root}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = tmp_path / "multirun" / "experiment=smoke,model=dcgan,mlp"    # the launcher is not in the name
    names = ["experiment=smoke,model=dcgan", "experiment=smoke,model=mlp"]
    _check_runs(sweep, names)
    import os
    cores = len(os.sched_getaffinity(0))
    pids = {read_json(sweep / n / "run.json")["pid"] for n in names}
    assert len(pids) == 2                                                  # two worker processes
    assert all(read_json(sweep / n / "run.json")["threads"] == max(1, cores // 2) for n in names)


def test_submitit_local_launcher_runs_the_sweep(tmp_path, fake_data_root):
    proc = run_cli("-m", "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5", "experiment=smoke",
                   "loss=wgan,nsgan", f"out_dir={tmp_path}", f"data.root={fake_data_root}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = tmp_path / "multirun" / "experiment=smoke,loss=wgan,nsgan"
    _check_runs(sweep, ["experiment=smoke,loss=wgan", "experiment=smoke,loss=nsgan"])


def test_run_names_leave_out_paths_and_launchers():
    excluded = {"out_dir", "data.root"}
    assert run_name([], excluded) == "default"
    assert run_name(["model=mlp", "loss=gan", "out_dir=/x", "hydra/launcher=local", "data.root=/a/b"], excluded) \
        == "loss=gan,model=mlp"
    assert "/" not in run_name(["data.path=/a/b"], excluded)
    assert len(run_name([f"seed={i}" for i in range(100)], excluded)) <= 120
