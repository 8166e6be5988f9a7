"""The theory experiments as a user runs them: `python run.py experiment=<name>` in a subprocess."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def run_cli(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout)


def finished(run_dir: Path, proc) -> dict:
    """Check the files every theory run writes; return its summary."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"
    findings = [line for line in proc.stdout.splitlines() if "finding: " in line]
    assert len(findings) == 1 and findings[0].endswith("finding: " + summary["finding"])
    assert ("finding: " + summary["finding"]) in (run_dir / "run.log").read_text()
    with Image.open(run_dir / "figure.png") as img:
        assert img.format == "PNG" and min(img.size) > 400
    return summary


def test_optimal_critic_command_writes_figure_csv_and_finding(tmp_path):
    run_dir = tmp_path / "run"
    proc = run_cli("experiment=optimal_critic", "theory.disc_steps=1000", "theory.critic_steps=300",
                   "theory.energy_steps=300", "theory.grid_points=201", f"hydra.run.dir={run_dir}")
    summary = finished(run_dir, proc)
    curves = pd.read_csv(run_dir / "curves.csv")
    assert list(curves.columns) == ["x", "p_real", "p_fake", "D", "f", "grad_gan", "grad_wgan", "energy",
                                    "grad_energy"] and len(curves) == 201
    assert summary["task"] == "optimal_critic" and summary["options"]["disc_steps"] == 1000
    assert summary["options"]["fake_mean"] == 2.0                     # the defaults are recorded too
    assert summary["share_fakes_gan_vanished"] > 0.9 and summary["median_relative_grad_wgan_at_fakes"] > 0.1
    assert f"{100 * summary['share_fakes_gan_vanished']:.1f}%" in summary["finding"]


@pytest.mark.parametrize("override, message", [
    ("+theory.nope=1", "unknown option theory.nope for theory experiment 'optimal_critic'"),
    ("theory.disc_steps=many", "theory.disc_steps must be of type int"),
    ("task=nope", "unknown task 'nope': valid tasks are train, critic_surface, fgan_mixture, instance_noise"),
])
def test_bad_theory_option_is_one_line_and_leaves_no_run_folder(tmp_path, override, message):
    proc = run_cli("experiment=optimal_critic", override, f"out_dir={tmp_path}")
    assert proc.returncode == 2
    assert message in proc.stderr.strip().splitlines()[-1]
    assert not list((tmp_path / "runs").glob("*"))


# ---------------------------------------------------------------- the default sizes (slow)
@pytest.mark.slow
def test_parallel_lines_default(tmp_path):
    proc = run_cli("experiment=parallel_lines", f"hydra.run.dir={tmp_path}")
    summary = finished(tmp_path, proc)
    distances = pd.read_csv(tmp_path / "distances.csv")
    assert len(distances) == 21 and (distances.theta == 0).sum() == 1
    assert summary["critic_rank_correlation"] > 0.9 and summary["js_max_relative_deviation"] < 0.1
    assert "wgan" in summary["moved_to_zero"] and "gan" not in summary["moved_to_zero"]


@pytest.mark.slow
def test_critic_surface_default(tmp_path):
    proc = run_cli("experiment=critic_surface", f"hydra.run.dir={tmp_path}")
    summary = finished(tmp_path, proc)
    assert summary["share_weights_in_edge_bins_trained"] > 5 * summary["share_weights_in_edge_bins_start"]
    grads = summary["deep_input_layer_grad_norm"]
    assert grads["0.1"] > 1e6 * grads["0.01"]                           # explodes vs vanishes
    assert len(pd.read_csv(tmp_path / "surface.csv")) == 150 ** 2


@pytest.mark.slow
@pytest.mark.skipif(not DEBIAN.exists(), reason="needs Debian's dataset-fashion-mnist")
def test_instance_noise_default(tmp_path):
    proc = run_cli("experiment=instance_noise", f"hydra.run.dir={tmp_path}")
    summary = finished(tmp_path, proc)
    final = pd.read_csv(tmp_path / "final.csv").set_index("noise_std")
    assert list(final.index) == [1.0, 0.3, 0.1, 0.0]
    assert final.grad_minimax_mean[1.0] > final.grad_minimax_mean[0.0]
    assert final.minimax_drop[0.0] > final.minimax_drop[1.0]
    assert summary["grad_ratio_largest_vs_smallest_noise"] > 1


@pytest.mark.slow
@pytest.mark.skipif(not DEBIAN.exists(), reason="needs Debian's dataset-fashion-mnist")
def test_vanishing_gradients_shortened(tmp_path):
    """The default protocol on 32x32 Fashion-MNIST, shortened: two stages, 300 discriminator iterations."""
    proc = run_cli("experiment=vanishing_gradients", "theory.stages=[20,100]", "theory.d_iters=300",
                   "theory.points=8", "theory.probe_batches=2", f"hydra.run.dir={tmp_path}")
    summary = finished(tmp_path, proc)
    assert summary["min_minimax_drop"] >= 100 and summary["min_nonsat_mean_growth"] > 2
    assert summary["min_wgan_min_over_first"] > 0.5
    assert (tmp_path / "samples_stage_100.png").exists()
