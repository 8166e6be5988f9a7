"""Reading a sweep folder: run parameters, statuses, and clear errors for what is not a sweep."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.fabricate import falling, write_run
from wgan_repro.report.__main__ import main
from wgan_repro.report.collect import NoFinishedRun, ReportError, load_sweep
from wgan_repro.report.html import _command_text

ROOT = Path(__file__).resolve().parents[2]


def test_runs_are_read_with_their_parameters_and_status(paper):
    sweep, runs, _ = paper
    loaded = load_sweep(sweep)
    by_name = {r.name: r for r in loaded.runs}
    assert len(loaded.runs) == len(runs) == 10
    first = loaded.runs[0]            # the paper's order: dcgan before dcgan_nobn before mlp, wgan first
    assert (first.params["model"], first.params["loss"], first.params["seed"]) == ("dcgan", "wgan", "0")
    assert [r.params["loss"] for r in loaded.runs[:4]] == ["wgan", "wgan", "nsgan", "gan"]
    diverged = by_name[runs[("dcgan_nobn", "nsgan", 0)].name]
    assert (diverged.status, diverged.iter, diverged.iters) == ("diverged", 37, 100)
    assert "non-finite loss" in diverged.message and "diverged" in diverged.log_tail[-1]
    failed = by_name[runs[("dcgan", "gan", 0)].name]
    assert failed.status == "failed" and failed.message == "RuntimeError: CUDA out of memory"
    assert failed.samples.name == "iter_000020.png"          # no final.png: the latest grid
    assert by_name[runs[("mlp", "gan", 0)].name].status == "running"
    assert "train.threads" not in first.params                     # how fast, not what
    assert loaded.counts() == {"finished": 7, "diverged": 1, "running": 1, "failed": 1}
    assert loaded.command == "model=dcgan,dcgan_nobn,mlp loss=wgan,nsgan,gan seed=0,1"
    assert _command_text(loaded) == (", command <code>python run.py -m model=dcgan,dcgan_nobn,mlp "
                                     "loss=wgan,nsgan,gan seed=0,1</code>")


def test_a_run_folder_without_status_is_failed_with_its_log(tmp_path):
    run = tmp_path / "loss=wgan,model=dcgan"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- loss=wgan\n- model=dcgan\n")
    (run / "run.json").write_text(json.dumps({"choices": {"model": "dcgan", "loss": "wgan"}}))
    (run / "run.log").write_text("ValueError: boom\n")
    write_run(tmp_path, model="mlp", loss="wgan", iters=10, quality=None)
    loaded = load_sweep(tmp_path)
    broken = next(r for r in loaded.runs if r.params["model"] == "dcgan")
    assert broken.status == "failed" and "stopped before training" in broken.message
    assert broken.log_tail == ["ValueError: boom"] and broken.metrics.empty


@pytest.mark.parametrize("case, expected", [
    ("missing", "does not exist"),
    ("file", "is a file, not a folder"),
    ("run", "is one run's folder, not a sweep"),
    ("empty", "holds no run folders"),
])
def test_what_is_not_a_sweep_is_one_line_with_the_fix(tmp_path, capsys, case, expected):
    target = tmp_path / "target"
    if case == "file":
        target.write_text("x")
    elif case == "run":
        target = write_run(tmp_path, model="dcgan", loss="wgan", iters=10, quality=None)
    elif case == "empty":
        (target / "some" / "folder").mkdir(parents=True)
    with pytest.raises(ReportError, match=expected):
        load_sweep(target)
    assert main([str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0]
    assert "python run.py -m" in err[0]                        # the fix
    assert not (target / "report").exists() if target.is_dir() else True


def test_a_sweep_with_no_finished_run_says_so_and_writes_nothing(tmp_path, capsys):
    write_run(tmp_path, model="dcgan", loss="wgan", status="failed", iters=10, stop_at=3,
              estimate=falling(1, 0.5, 3), quality=None, message="RuntimeError: x")
    write_run(tmp_path, model="mlp", loss="wgan", status="running", iters=10, stop_at=5,
              estimate=falling(1, 0.5, 5), quality=None)
    with pytest.raises(NoFinishedRun):
        load_and_build(tmp_path)
    assert main([str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no finished run" in err[0] and "1 running, 1 failed" in err[0]
    assert not (tmp_path / "report").exists()


def load_and_build(path):
    from wgan_repro.report.build import build_report

    return build_report(path)


def test_the_command_line_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wgan_repro.report", str(tmp_path / "nowhere")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith(f"error: {tmp_path / 'nowhere'} does not exist")


def test_a_sweep_whose_runs_all_diverged_says_so_not_to_resume(tmp_path, capsys):
    for model, at in (("dcgan", 37), ("mlp", 52)):
        write_run(tmp_path, model=model, loss="nsgan", status="diverged", iters=100, stop_at=at,
                  estimate=[*falling(0.3, 0.6, at - 1), float("nan")], quality=None,
                  message=f"non-finite loss at generator iteration {at}")
    with pytest.raises(NoFinishedRun, match="all 2 runs diverged"):
        load_and_build(tmp_path)
    assert main([str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"no finished run in {tmp_path}: all 2 runs diverged (at generator iterations 37 and 52;" in err[0]
    assert f"{tmp_path}/*/status.json says why" in err[0] and "would diverge again" in err[0]
    assert "Let the runs finish" not in err[0] and "resumes" not in err[0]
    assert not (tmp_path / "report").exists()


def test_diverged_runs_beside_running_ones_keep_the_resume_advice(tmp_path):
    write_run(tmp_path, model="dcgan", loss="nsgan", status="diverged", iters=10, stop_at=4,
              estimate=[0.3, 0.4, 0.5, float("nan")], quality=None)
    write_run(tmp_path, model="mlp", loss="wgan", status="running", iters=10, stop_at=5,
              estimate=falling(1, 0.5, 5), quality=None)
    with pytest.raises(NoFinishedRun) as err:
        load_and_build(tmp_path)
    message = str(err.value)
    assert "(1 diverged, 1 running)" in message and "Let the runs finish" in message
    assert "but the 1 diverged would only diverge again: see their status.json" in message


def test_the_sweeps_command_counts_the_runs_it_made(paper, tmp_path):
    """Hydra rewrites multirun.yaml at every sweep: the report must know when the command it holds
    made only some of the folder's runs."""
    sweep, runs, _ = paper
    assert load_sweep(sweep).command_runs == len(runs) == 10
    text = (sweep / "multirun.yaml").read_text()
    (sweep / "multirun.yaml").write_text(text.replace("    - seed=0,1\n", "    - seed=1\n"))
    assert load_sweep(sweep).command_runs == 1              # only dcgan/wgan has a seed 1
    header = _command_text(load_sweep(sweep))
    assert "made 1 of its 10 runs, other commands the rest" in header and "seed=1</code>" in header

    one = tmp_path / "one"
    for seed in (0, 1):
        write_run(one, model="mlp", loss="wgan", seed=seed, iters=10, quality=None,
                  extra_overrides=["loss.optim.lr=0.001"])  # as Hydra writes the 1e-3 below
    (one / "multirun.yaml").write_text("hydra:\n  overrides:\n    task:\n    - model=mlp\n    - loss=wgan\n"
                                       "    - seed=0,1\n    - loss.optim.lr=1e-3\n    - train.threads=2\n")
    assert load_sweep(one).command_runs == 2                 # threads say how fast, not what
    (next(d for d in one.iterdir() if d.is_dir()) / ".hydra" / "overrides.yaml").unlink()
    assert load_sweep(one).command_runs == 2                 # a run without it: its folder's name
    (one / "multirun.yaml").write_text("hydra:\n  overrides:\n    task:\n    - 'model=(('\n")
    assert load_sweep(one).command_runs is None              # not a command Hydra parses
