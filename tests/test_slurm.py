"""hydra/launcher=slurm against a real SLURM controller: a single-node cluster on this machine
(scripts/slurm-local: munged, slurmctld and slurmd, started once for the module), a 2x2 smoke
sweep through it, and two runs interrupted the two ways a cluster interrupts a job, which
resume from their checkpoints and end with the metrics of an uninterrupted run:

- `scontrol requeue <job>` (preemption, an admin): SLURM sends SIGTERM, the run saves a
  checkpoint and exits 143, SLURM starts the job again;
- the job's time limit (`hydra.launcher.timeout_min=1`, the shortest SLURM has): SLURM sends
  USR2 `signal_delay_s` before it, the run saves a checkpoint of the iteration it reached and
  hands the signal to submitit's handler, which requeues the job (`max_num_timeout >= 1`).
  SLURM checks time limits every 30 s, so the warning comes 29 to 59 s into a 1-minute job with
  signal_delay_s=1; the run is paused (SIGSTOP) at its halfway checkpoint until the warning
  comes (slurmstepd continues the task it signals), so that it outlasts its limit on any machine
  without burning CPU.

Needs Debian's slurmctld, slurmd, slurm-client and munge (setup.sh installs them) and root.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import pandas as pd
import pytest

from wgan_repro.run_files import read_json

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "slurm-local"
PARTITION = "local"

pytestmark = pytest.mark.skipif(
    shutil.which("slurmctld", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None,
    reason="slurmctld is not installed (setup.sh installs Debian's slurmctld slurmd slurm-client munge)")


@dataclass
class Cluster:
    folder: Path
    env: dict

    def run(self, *command: str) -> str:
        proc = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(command)}: {proc.stderr.strip()}"
        return proc.stdout


def env_from_exports(text: str) -> dict:
    """os.environ plus the `export NAME=VALUE` lines scripts/slurm-local start prints."""
    env = dict(os.environ)
    for line in text.splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line.strip())
        if match:
            env[match[1]] = match[2].replace("$PATH", env.get("PATH", ""))
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    try:
        proc = subprocess.run([str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr.strip()
        yield Cluster(folder, env_from_exports(proc.stdout))
    finally:
        stop = subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, text=True, timeout=180)
        print(stop.stderr.strip())


def slurm_launcher(timeout_min: int = 10, *extra: str) -> list[str]:
    """hydra/launcher=slurm sized for this cluster (the config's defaults ask for a GPU and 8 CPUs)."""
    return ["hydra/launcher=slurm", f"hydra.launcher.partition={PARTITION}", "hydra.launcher.gpus_per_node=0",
            "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1", f"hydra.launcher.timeout_min={timeout_min}",
            *extra]


def run_py(*args: str, env: dict, log: Path) -> subprocess.Popen:
    """`python run.py ARGS` in the background, its output in `log` (a pipe could fill up unread)."""
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def finished(proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    proc.wait(timeout=timeout)
    assert proc.returncode == 0, log.read_text()[-3000:]


def run_folders(sweep: Path) -> list[Path]:
    if not sweep.is_dir():
        return []
    return sorted(p for p in sweep.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "report")


def settled_states(cluster, columns: str, *job_ids: str, timeout: float = 60) -> list[list[str]]:
    """sacct's rows (the `columns`, split) for the jobs, once none is still pending, running or
    completing, or after `timeout` s: the launcher has its results before SLURM has ended the jobs."""
    settled = time.time() + timeout
    while True:
        lines = cluster.run("sacct", "-o", columns, "-P", *(arg for job in job_ids for arg in ("-j", job))).splitlines()
        assert lines[0] == columns.replace(",", "|")
        states = [line.split("|") for line in lines[1:]]
        if all(row[1] not in ("PENDING", "RUNNING", "COMPLETING") for row in states) or time.time() > settled:
            return states
        time.sleep(0.5)


def test_slurm_launcher_runs_a_smoke_sweep(cluster, tmp_path, fake_data_root):
    sweep = tmp_path / "sweep"
    # Each job caches its evaluation classifier in its own folder: two jobs that build the shared cache
    # at the same time collide on atomic_write_bytes' fixed temporary name (run_files.py).
    proc = run_py("-m", *slurm_launcher(), "experiment=smoke", "model=dcgan,mlp", "loss=wgan,gan", "train.threads=1",
                  f"data.root={fake_data_root}", f"out_dir={tmp_path}", f"hydra.sweep.dir={sweep}",
                  "eval.cache_dir='${hydra:runtime.output_dir}/.eval_cache'", env=cluster.env, log=tmp_path / "sweep.log")
    finished(proc, tmp_path / "sweep.log")
    names = [f"experiment=smoke,loss={loss},model={m}" for loss in ("gan", "wgan") for m in ("dcgan", "mlp")]
    assert [p.name for p in run_folders(sweep)] == names
    jobs = []
    for name in names:
        assert read_json(sweep / name / "status.json")["status"] == "finished"
        assert pd.read_csv(sweep / name / "metrics.csv")["iter"].tolist() == [1, 2, 3, 4]
        slurm = read_json(sweep / name / "run.json")["slurm"]
        assert slurm["restart_count"] == 0
        jobs.append(slurm["job_id"])
    array_ids = {job.split("_")[0] for job in jobs}
    assert len(array_ids) == 1 and sorted(job.split("_")[1] for job in jobs) == ["0", "1", "2", "3"]   # one array
    assert (sweep / "report" / "index.html").is_file()
    # the jobs ran the submitting process's python (this project's venv under the test run)
    submission = next(sweep.glob(".submitit/*/*_submission.sh")).read_text()
    assert f"{shlex.quote(sys.executable)} -u -m submitit.core._submit" in submission
    # what submitit's job watcher reads: the sacct stand-in, from the controller
    states = settled_states(cluster, "JobID,State,NodeList", array_ids.pop())
    assert sorted(state for _, state, _ in states) == ["COMPLETED"] * 4


def test_a_job_that_ends_without_a_result_ends_its_sweep(cluster, tmp_path, fake_data_root):
    """No slurmdbd, no real sacct: submitit would watch a job that died without a result forever
    (state UNKNOWN). The stand-in reports it CANCELLED, and the sweep ends with submitit's error."""
    log = tmp_path / "sweep.log"
    proc = run_py("-m", *slurm_launcher(10, "+hydra.launcher.additional_parameters.hold=true"), "experiment=smoke",
                  f"data.root={fake_data_root}", f"out_dir={tmp_path}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                  env=cluster.env, log=log)
    try:
        deadline = time.time() + 120
        while not (held := cluster.run("squeue", "-h", "-t", "PD", "-o", "%i").split()):
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        cluster.run("scancel", *held)                    # held, so it never ran: no result pickle
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "has not produced any output (state: CANCELLED)" in log.read_text()


# A run of 200 generator iterations (seconds on a CPU), checkpointed every 10; interrupted halfway.
LONG = ["experiment=smoke", "model=mlp", "loss=wgan", "eval.enabled=false", "train.iters=200",
        "train.checkpoint_every=10", "train.sample_every=100", "train.threads=1"]
HALFWAY = 100
WARNED = re.compile(r"submitit WARNING \(([\d-]+ [\d:,]+)\) - Caught signal SIGUSR2 .*this job is timed-out")
USR2_MASK = 1 << (signal.SIGUSR2 - 1)
SAVED_AT_WARNING = re.compile(r"\]\[wgan_repro\.train\]\[WARNING\] - time-limit signal \d+ at generator iteration (\d+);")
RESUMED = re.compile(
    r"^\[([\d-]+ [\d:,]+)\]\[wgan_repro\.train\]\[INFO\] - resuming from .* at generator iteration (\d+)", re.M)


@dataclass
class Interrupted:
    """One single-run sweep on the cluster and what the test did to it."""
    sweep: Path
    proc: subprocess.Popen
    job_id: Optional[str] = None
    interrupted_at: Optional[float] = None     # time.time() of the requeue / when submitit caught the USR2
    paused_pid: Optional[int] = None
    paused_at: Optional[float] = None
    continued: bool = False
    resumed_at: Optional[float] = None

    @property
    def run_dir(self) -> Optional[Path]:
        folders = run_folders(self.sweep)
        return folders[0] if folders else None

    def files(self) -> tuple[dict, dict]:
        run = self.run_dir
        if run is None:
            return {}, {}
        return read_json(run / "status.json") or {}, read_json(run / "run.json") or {}


def usr2_pending(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(pending & USR2_MASK)


def test_requeued_and_timed_out_jobs_resume_from_their_checkpoints(cluster, tmp_path, fake_data_root):
    started = time.time()
    common = [*LONG, f"data.root={fake_data_root}"]
    # the time limit: USR2 1 s before it (29 to 59 s into the job), up to 3 requeues
    limit = Interrupted(tmp_path / "time_limit", run_py(
        "-m", *slurm_launcher(1, "hydra.launcher.signal_delay_s=1", "hydra.launcher.max_num_timeout=3"), *common,
        f"out_dir={tmp_path}", f"hydra.sweep.dir={tmp_path / 'time_limit'}", env=cluster.env,
        log=tmp_path / "time_limit.log"))
    requeue = Interrupted(tmp_path / "requeue", run_py(
        "-m", *slurm_launcher(10), *common, f"out_dir={tmp_path}", f"hydra.sweep.dir={tmp_path / 'requeue'}",
        env=cluster.env, log=tmp_path / "requeue.log"))
    reference = run_py(*common, f"out_dir={tmp_path / 'reference'}", env=dict(os.environ),
                       log=tmp_path / "reference.log")
    procs = [limit.proc, requeue.proc, reference]
    try:
        while any(p.poll() is None for p in procs):
            assert time.time() - started < 480, "the interrupted runs did not finish in 8 minutes"
            status, meta = requeue.files()
            if requeue.job_id is None:
                if status.get("status") == "running" and status.get("iter", 0) >= HALFWAY and meta.get("slurm"):
                    requeue.job_id = meta["slurm"]["job_id"]
                    cluster.run("scontrol", "requeue", requeue.job_id)
                    requeue.interrupted_at = time.time()
            elif requeue.resumed_at is None and (meta.get("slurm") or {}).get("restart_count", 0) >= 1:
                requeue.resumed_at = time.time()

            status, meta = limit.files()
            restarted = (meta.get("slurm") or {}).get("restart_count", 0) >= 1
            if limit.job_id is None and meta.get("slurm"):
                limit.job_id = meta["slurm"]["job_id"]
            if (limit.paused_pid is None and not restarted and status.get("status") == "running"
                    and status.get("iter", 0) >= HALFWAY):          # (not once the warning has stopped it)
                limit.paused_pid, limit.paused_at = meta["pid"], time.time()
                os.kill(limit.paused_pid, signal.SIGSTOP)
            elif limit.paused_pid is not None and not limit.continued and usr2_pending(limit.paused_pid):
                # (slurmstepd itself continues a stopped task it signals, this one has not been yet)
                os.kill(limit.paused_pid, signal.SIGCONT)       # submitit's handler runs: checkpoint, requeue
                limit.continued = True
            if restarted and limit.resumed_at is None:
                limit.resumed_at = time.time()
            time.sleep(0.1)
    finally:
        if limit.paused_pid is not None and not limit.continued:
            try:
                os.kill(limit.paused_pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, log in zip(procs, ("time_limit", "requeue", "reference")):
        finished(p, tmp_path / f"{log}.log")

    reference_dir, = run_folders(tmp_path / "reference" / "runs")
    expected = pd.read_csv(reference_dir / "metrics.csv").drop(columns="wall_time")
    assert expected["iter"].tolist() == list(range(1, 201))
    report = []
    for name, job in (("requeue", requeue), ("time limit", limit)):
        run = job.run_dir
        assert read_json(run / "status.json")["status"] == "finished"
        pd.testing.assert_frame_equal(pd.read_csv(run / "metrics.csv").drop(columns="wall_time"), expected)
        slurm = read_json(run / "run.json")["slurm"]
        assert slurm["job_id"] == job.job_id and slurm["restart_count"] >= 1
        log = "".join(p.read_text() for p in sorted(job.sweep.glob(f".submitit/{job.job_id}/*_log.*")))
        resumes = [(datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f").timestamp(), int(i)) for t, i in RESUMED.findall(log)]
        assert resumes and all(i >= 10 for _, i in resumes), f"{name}: not resumed from a checkpoint:\n{log[-3000:]}"
        if job is limit:                                 # when submitit's handler caught the warning
            caught = WARNED.search(log)
            assert caught, f"no time-limit signal in the job's log:\n{log[-3000:]}"
            job.interrupted_at = datetime.strptime(caught[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            saved = SAVED_AT_WARNING.search(log)         # the run's checkpoint of the iteration it had reached
            assert saved and resumes[0][1] == int(saved[1]), f"not resumed where the warning came:\n{log[-3000:]}"
        assert job.interrupted_at is not None and job.resumed_at is not None
        report.append(f"{name}: job {job.job_id}, restart_count {slurm['restart_count']}, resumed at iteration "
                      f"{resumes[0][1]} {resumes[0][0] - job.interrupted_at:.1f} s after the "
                      f"{'requeue' if job is requeue else 'time-limit signal'}"
                      + (f" (paused {job.interrupted_at - job.paused_at:.0f} s before it)" if job.paused_at else ""))
    states = settled_states(cluster, "JobID,State,Restarts", limit.job_id, requeue.job_id)  # finished, restarted
    assert len(states) == 2 and all(state == "COMPLETED" and int(restarts) >= 1 for _, state, restarts in states)
    print("\n" + "\n".join(report) + f"\n(interrupted runs and reference: {time.time() - started:.0f} s)")
