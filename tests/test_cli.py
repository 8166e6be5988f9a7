"""The real command line: `python run.py` as a user types it, in a subprocess."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from PIL import Image

from wgan_repro.metrics.evaluator import IMAGE_COLUMNS
from wgan_repro.run_files import read_json
from wgan_repro.run_layout import TRAIN_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def run_cli(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "run.py", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_smoke_sweep_writes_one_folder_per_run(tmp_path, fake_data_root):
    data = [] if DEBIAN.exists() else [f"data.root={fake_data_root}"]
    sweep = tmp_path / "sweep"
    proc = run_cli("-m", "model=dcgan,mlp", "loss=wgan,gan", "experiment=smoke", f"hydra.sweep.dir={sweep}",
                   "train.threads=1", f"out_dir={tmp_path}", *data)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(list((tmp_path / ".cache" / "classifier").iterdir())) == 1     # trained once, found by the others
    runs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name != "report")   # report/: the callback
    assert runs == [f"experiment=smoke,loss={loss},model={m}" for loss in ("gan", "wgan") for m in ("dcgan", "mlp")]
    for name in runs:
        run = sweep / name
        metrics = pd.read_csv(run / "metrics.csv")
        assert list(metrics.columns) == list(TRAIN_COLUMNS) + IMAGE_COLUMNS
        assert metrics["iter"].tolist() == [1, 2, 3, 4]
        assert metrics.dropna(subset=IMAGE_COLUMNS)["iter"].tolist() == [2, 4]     # eval.every=2 in smoke
        assert read_json(run / "final_eval.json")["protocol"]["real_split"] == "train"
        assert metrics["wall_time"].is_monotonic_increasing
        loss = "wgan" if "loss=wgan" in name else "gan"
        assert metrics["critic_steps"].iloc[-1] == (20 if loss == "wgan" else 4)
        meta = read_json(run / "run.json")
        assert meta["choices"]["loss"] == loss and meta["choices"]["model"] in name
        assert read_json(run / "status.json")["status"] == "finished"
        assert (run / ".hydra" / "config.yaml").exists()
        for grid in ("real", "iter_000002", "iter_000004", "final"):
            with Image.open(run / "samples" / f"{grid}.png") as img:
                assert img.size == (8 * 34 + 2, 2 * 34 + 2)      # 16 images of 32x32, 8 a row, padding 2
        with Image.open(run / "samples" / "final.png") as a, Image.open(run / "samples" / "iter_000002.png") as b:
            assert a.tobytes() != b.tobytes()                      # the generator moved


def test_bad_override_is_one_line_and_leaves_no_run_folder(tmp_path):
    proc = run_cli("model=resnet", f"out_dir={tmp_path}")
    assert proc.returncode != 0
    assert "model" in proc.stderr and "dcgan" in proc.stderr
    proc = run_cli("loss.optim.lr=-0.1", "experiment=smoke", f"out_dir={tmp_path}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: loss.optim.lr=-0.1 must be > 0 (the paper's: 5e-5 for wgan, 2e-4 for gan)"
    assert not list(tmp_path.rglob("metrics.csv")) and not list((tmp_path / "runs").glob("*"))


def test_missing_data_stops_before_training_with_how_to_get_it(tmp_path):
    proc = run_cli("experiment=smoke", f"out_dir={tmp_path}", f"data.root={tmp_path}/none",
                   env={"WGAN_REPRO_DEBIAN_FASHION_MNIST": str(tmp_path / "nowhere")})
    assert proc.returncode == 2
    assert "apt-get install dataset-fashion-mnist" in proc.stderr.strip().splitlines()[-1]


def test_a_diverging_run_does_not_stop_its_sweep(tmp_path, fake_data_root):
    sweep = tmp_path / "sweep"
    proc = run_cli("-m", "experiment=smoke", "loss=nsgan", "loss.optim.name=sgd", "loss.optim.lr=1e-4,1e12,2e-4",
                   "train.iters=40", f"hydra.sweep.dir={sweep}", "train.threads=1", f"data.root={fake_data_root}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    status = {p.name: read_json(p / "status.json") for p in sweep.iterdir() if p.is_dir() and p.name != "report"}
    assert len(status) == 3
    assert {k: v["status"] for k, v in status.items() if "lr=1000000000000.0" not in k} == {
        "experiment=smoke,loss.optim.lr=0.0001,loss.optim.name=sgd,loss=nsgan,train.iters=40": "finished",
        "experiment=smoke,loss.optim.lr=0.0002,loss.optim.name=sgd,loss=nsgan,train.iters=40": "finished",
    }
    diverged = sweep / "experiment=smoke,loss.optim.lr=1000000000000.0,loss.optim.name=sgd,loss=nsgan,train.iters=40"
    assert status[diverged.name]["status"] == "diverged"
    rows = pd.read_csv(diverged / "metrics.csv")
    assert rows["iter"].iloc[-1] == status[diverged.name]["iter"] < 40
    # the sweep's report (built by the callback) marks it
    summary = pd.read_csv(sweep / "report" / "summary.csv").set_index("run")
    assert summary.loc[diverged.name, "status"] == "diverged"
    assert summary.loc[diverged.name, "iter"] == status[diverged.name]["iter"]
    assert (summary.drop(index=diverged.name)["status"] == "finished").all()
    assert "diverged" in (sweep / "report" / "index.html").read_text()


def test_the_multirun_flag_works_after_overrides(tmp_path, fake_data_root):
    """`python run.py experiment=paper -m model=...` is the README's form; Hydra's own parser wants
    -m first, so the command line puts it there."""
    proc = run_cli("experiment=smoke", "eval.enabled=false", "-m", "loss=wgan,gan", "train.threads=1",
                   f"data.root={fake_data_root}", f"out_dir={tmp_path}", "hydra.callbacks.report.enabled=false")
    assert proc.returncode == 0, proc.stderr[-2000:]
    sweep = tmp_path / "multirun" / "eval.enabled=false,experiment=smoke,loss=wgan,gan"
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == [
        "eval.enabled=False,experiment=smoke,loss=gan", "eval.enabled=False,experiment=smoke,loss=wgan"]
