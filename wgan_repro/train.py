"""The training loop: critic steps then a generator step, for any registered objective.

Every generator iteration it logs a row of metrics.csv; every `train.sample_every` iterations a
sample grid of the same fixed noise; every `train.checkpoint_every` a checkpoint from which
the same command resumes. A non-finite loss stops the run with status `diverged`.
"""
from __future__ import annotations

import io
import logging
import math
import os
import pickle
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import torch
from omegaconf import DictConfig, OmegaConf

from wgan_repro.critic_update import clip_parameters, critic_update
from wgan_repro.data import BatchSampler, load_dataset
from wgan_repro.dead_critic import DeadCriticWatch
from wgan_repro.lr_on_stall import build_stall_halving
from wgan_repro.models import build_critic, build_generator
from wgan_repro.models.norms import spectral_layers, spectral_sigmas
from wgan_repro.objectives import GENERATOR_PHASE, CriticBatch, LossTerms, build_objective, objective_record
from wgan_repro.registry import ConfigError
from wgan_repro.regularizers import HistoricalAverage, add_instance_noise, instance_noise_std
from wgan_repro.run_files import (
    MetricsWriter,
    atomic_torch_save,
    atomic_write_bytes,
    read_json,
    remove_orphan_temporaries,
    save_image_grid,
    save_point_scatter,
    write_json,
    write_status,
)
from wgan_repro.run_identity import differing, identity
from wgan_repro.run_layout import CHECKPOINT, SPECTRAL_COLUMNS, TRAIN_COLUMNS
from wgan_repro.runtime import configure_threads, cpu_kernels, resolve_device, resolve_precision, seed_everything

log = logging.getLogger(__name__)



def critic_steps_for(gen_iter: int, loss_cfg) -> int:
    """Critic steps before generator iteration `gen_iter` (0-based), warm-up schedule included."""
    warmup = loss_cfg.warmup
    if warmup.enabled and (gen_iter < warmup.iters or gen_iter % warmup.every == 0):
        return warmup.critic_steps
    return loss_cfg.n_critic


def build_optimizer(opt_cfg, params) -> torch.optim.Optimizer:
    if opt_cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=opt_cfg.lr, momentum=opt_cfg.momentum, weight_decay=opt_cfg.weight_decay)
    if opt_cfg.name == "adam":
        return torch.optim.Adam(params, lr=opt_cfg.lr, betas=tuple(opt_cfg.betas), weight_decay=opt_cfg.weight_decay)
    if opt_cfg.name == "sgd":
        return torch.optim.SGD(params, lr=opt_cfg.lr, momentum=opt_cfg.momentum, weight_decay=opt_cfg.weight_decay)
    raise ConfigError(f"unknown optimizer loss.optim.name={opt_cfg.name!r}: use rmsprop, adam or sgd")


class Trainer:
    """Owns the models, optimizers, data and RNG state of one run, and its run folder."""

    def __init__(self, cfg: DictConfig, run_dir: Path, evaluator=None, metadata: Optional[dict] = None):
        self.cfg = cfg
        self.metadata = dict(metadata or {})
        self.run_dir = Path(run_dir)
        self.device = resolve_device(cfg.device)
        self.threads = configure_threads(cfg.train.threads)
        self.cpu_kernels = cpu_kernels()          # fixed for the process: run.json, checkpoints, resume check
        seed_everything(cfg.seed)
        self.data = load_dataset(cfg.data, "train", cfg.seed).to(self.device)
        self.sampler = BatchSampler(self.data, cfg.train.batch_size, seed=cfg.seed)
        self.generator = build_generator(cfg.model, self.data.shape).to(self.device)
        self.critic = build_critic(cfg.critic, self.data.shape).to(self.device)
        self.spectral = spectral_layers(self.critic)   # critic.norm=spectral: logged as SPECTRAL_COLUMNS
        self.memory_format = (torch.channels_last if cfg.train.channels_last and self.data.is_image
                              else torch.contiguous_format)
        self.generator.to(memory_format=self.memory_format)
        self.critic.to(memory_format=self.memory_format)
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = cfg.train.tf32
            torch.backends.cudnn.allow_tf32 = cfg.train.tf32
        self.precision = resolve_precision(cfg.train.precision, self.device)
        self.bf16 = self.precision == "bf16"
        self.objective = build_objective(cfg.loss)
        self.objective_state: dict = {}     # the objective's own tensors (e.g. BEGAN's k_t), checkpointed
        self.clip = cfg.loss.clip
        self.instance_noise = (cfg.loss.instance_noise.std, cfg.loss.instance_noise.anneal_iters)   # read once, not per step
        # Algorithm 1 keeps the critic inside [-c, c] throughout: clip the fresh critic too, or
        # its first update (on DCGAN-initialised weights, BatchNorm gains near 1) takes a
        # gradient about 200x the later ones and fills RMSProp's running average with it.
        self.clip_critic()
        self.opt_g = build_optimizer(cfg.loss.optim, self.generator.parameters())
        self.opt_d = build_optimizer(cfg.loss.optim, self.critic.parameters())
        weight = cfg.loss.historical_averaging
        self.averages = ({"generator": HistoricalAverage(self.generator.parameters(), weight),
                          "critic": HistoricalAverage(self.critic.parameters(), weight)} if weight > 0 else {})
        self.stall = build_stall_halving(cfg.loss.lr_on_stall)   # BEGAN's learning-rate halving, or None
        self.dead_critic = DeadCriticWatch()    # one warning when the critic's output stops depending on its input
        self.noise = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        n_fixed = cfg.train.grid_size if self.data.is_image else 1000
        self.fixed_noise = self.sample_noise(n_fixed)
        self.evaluator = evaluator
        self.tb = None                  # TensorBoardLog while fit() runs with train.tensorboard=true
        self.last_real: Optional[torch.Tensor] = None   # the last critic step's real batch
        self.iter = 0
        self.critic_steps = 0
        self.elapsed = 0.0

    # ------------------------------------------------------------------ steps
    def sample_noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.arch.nz, generator=self.noise, device=self.device)

    def autocast(self):
        """bf16 autocast when `train.precision=bf16`, a no-op context otherwise."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def critic_step(self) -> tuple[LossTerms, torch.Tensor, torch.Tensor]:
        """One critic update on a real and a fake batch; clips the weights after it (Algorithm 1)."""
        real = self.sampler.next().contiguous(memory_format=self.memory_format)
        self.last_real = real               # the generator step's real batch (feature matching reads it)
        with torch.no_grad(), self.autocast():
            fake = self.generator(self.sample_noise(real.shape[0]))
        return critic_update(self.critic, self.opt_d, self.objective, real, fake, clip=self.clip,
                             state=self.objective_state, rng=self.noise, autocast=self.autocast,
                             noise_std=self.noise_std(), averaging=self.averages.get("critic"))

    def noise_std(self) -> float:
        """The instance noise's std at the current generator iteration (0: off)."""
        return instance_noise_std(*self.instance_noise, self.iter)

    def clip_critic(self) -> None:
        """Clamp every critic parameter (BatchNorm's too) to [-c, c] when the objective clips."""
        clip_parameters(self.critic, self.clip)

    def generator_step(self, real_out: torch.Tensor) -> LossTerms:
        """One generator update against the current critic (whose weights stay frozen)."""
        self.critic.requires_grad_(False)
        with self.autocast():
            fake = add_instance_noise(self.generator(self.sample_noise(self.cfg.train.batch_size)), self.noise_std(),
                                      self.noise)
            fake_out = self.critic(fake).float()
        terms = self.objective(CriticBatch(real_out, fake_out, GENERATOR_PHASE, real=self.last_real, fake=fake,
                                           critic=self.critic, state=self.objective_state, rng=self.noise))
        self.opt_g.zero_grad(set_to_none=True)
        average = self.averages.get("generator")
        (terms.generator + average.penalty() if average is not None else terms.generator).backward()
        self.opt_g.step()
        if average is not None:
            average.update()
        self.critic.requires_grad_(True)
        return terms

    def generator_iteration(self) -> dict:
        """Critic steps (per the schedule) then one generator step; returns the logged scalars
        as device tensors (copied to the host in batches, so the step never waits on the GPU)."""
        for _ in range(critic_steps_for(self.iter, self.cfg.loss)):
            c_terms, real_out, fake_out = self.critic_step()
            self.critic_steps += 1
        g_terms = self.generator_step(real_out)
        self.iter += 1
        return {
            "iter": self.iter,
            "critic_steps": self.critic_steps,
            "loss_critic": c_terms.critic.detach(),
            "loss_generator": g_terms.generator.detach(),
            "critic_real": real_out.mean(),
            "critic_fake": fake_out.mean(),
            "estimate": c_terms.estimate,
            **{k: c_terms.logged[k] for k in self.objective.info.logged},
        }

    # ------------------------------------------------------------------ files
    def checkpoint_state(self) -> dict:
        return {
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "iter": self.iter,
            "critic_steps": self.critic_steps,
            "elapsed": self.elapsed,
            "sampler": self.sampler.state_dict(),
            "noise_rng": self.noise.get_state(),
            "torch_rng": torch.get_rng_state(),
            "fixed_noise": self.fixed_noise,
            "objective_state": dict(self.objective_state),
            "historical_averages": {k: v.state_dict() for k, v in self.averages.items()},
            "lr_on_stall": self.stall.state_dict() if self.stall is not None else None,
            "identity": identity(self.cfg),
            "threads": self.threads,
            "cpu_kernels": self.cpu_kernels,
        }

    def save_checkpoint(self) -> None:
        atomic_torch_save(self.checkpoint_state(), self.run_dir / CHECKPOINT)

    def load_checkpoint(self, path: Path) -> None:
        try:
            # tensors and plain values only: a checkpoint someone else sent cannot run code here
            state = torch.load(path, map_location=self.device, weights_only=True)
        except pickle.UnpicklingError as err:
            unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
            if unsafe:
                raise ConfigError(
                    f"checkpoint {path} asks to run {unsafe.group(1)} while loading (a checkpoint holds only tensors "
                    "and plain values), so it is refused: delete it to start the run afresh") from None
            raise ConfigError(f"cannot resume from {path} (UnpicklingError: {_last_line(err)}): "
                              "delete it to start the run afresh") from None
        except Exception as err:   # a truncated or garbage file
            raise ConfigError(f"cannot resume from {path} ({type(err).__name__}: {err}): "
                              "delete it to start the run afresh") from None
        try:
            differ = differing(state.get("identity") or {}, identity(self.cfg))
            if differ:
                raise ConfigError(
                    f"checkpoint {path} belongs to another config (different {', '.join(differ)}): "
                    "run in a new folder or delete the checkpoint"
                )
            self.generator.load_state_dict(state["generator"])
            self.critic.load_state_dict(state["critic"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        except ConfigError:
            raise
        except Exception as err:   # unpickling or shape errors: a corrupt or foreign file
            raise ConfigError(f"cannot resume from {path} ({type(err).__name__}: {err}): "
                              "delete it to start the run afresh") from None
        self.iter, self.critic_steps, self.elapsed = state["iter"], state["critic_steps"], state["elapsed"]
        self.sampler.load_state_dict(state["sampler"])
        self.noise.set_state(state["noise_rng"].to(self.noise.get_state().device))
        torch.set_rng_state(state["torch_rng"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.objective_state = {k: v.to(self.device) if torch.is_tensor(v) else v
                                for k, v in (state.get("objective_state") or {}).items()}
        for name, average in self.averages.items():
            average.load_state_dict(state["historical_averages"][name])
        if self.stall is not None:
            self.stall.load_state_dict(state["lr_on_stall"])
        saved_threads = state.get("threads")
        if saved_threads is not None and saved_threads != self.threads and self.device.type == "cpu":
            log.warning("resuming with %d CPU threads where the checkpoint was written with %d: the numerics "
                        "differ slightly (summation order), so the run will not match an uninterrupted one "
                        "bit for bit; pass train.threads=%d to keep them", self.threads, saved_threads, saved_threads)
        saved_kernels, kernels = state.get("cpu_kernels"), self.cpu_kernels
        if saved_kernels and saved_kernels.get("onednn") != kernels["onednn"] and self.device.type == "cpu":
            log.warning("resuming with oneDNN's %s kernels where the checkpoint was written with %s ones (another "
                        "CPU or ONEDNN_MAX_CPU_ISA): convolutions round differently, so the run will not match an uninterrupted one; "
                        "README, \"Numbers across machines\", says how to pin them", kernels["onednn"],
                        saved_kernels["onednn"])

    @torch.no_grad()
    def save_samples(self, name: str) -> None:
        fake = self.generator(self.fixed_noise)
        path = self.run_dir / "samples" / f"{name}.png"
        if self.data.is_image:
            save_image_grid(fake, path)
            if self.tb is not None and name != "final":      # "final" repeats the last iteration's grid
                self.tb.images("samples", fake, self.iter)
        else:
            real = self.data.samples[: len(fake)]
            save_point_scatter(fake, real, path, title=f"{name}")

    @torch.no_grad()
    def save_critic_surface(self, n: int = 101) -> None:
        """critic_surface.npz (2-D sets), read by the report: the critic's raw output (the W critic's
        value; the logit for gan and nsgan) on an n x n grid around the real and generated points.
        Keys: x (n,), y (n,), values (n, n) with values[i, j] at (x[j], y[i]), real and fake (m, 2),
        iter (the generator iteration)."""
        import numpy as np

        real = self.data.samples[: len(self.fixed_noise)].float()
        fake = self.generator(self.fixed_noise).float()
        points = torch.cat([real, fake])
        low, high = points.min(0).values, points.max(0).values
        pad = 0.1 * (high - low).clamp_min(1e-3)
        xs = torch.linspace(float(low[0] - pad[0]), float(high[0] + pad[0]), n, device=self.device)
        ys = torch.linspace(float(low[1] - pad[1]), float(high[1] + pad[1]), n, device=self.device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
        # in training-size batches: a minibatch-discrimination critic compares every pair in its batch
        # (quadratic in the batch), and its value at a point depends on the batch it sees
        values = torch.cat([self.critic(chunk) for chunk in grid.split(self.cfg.train.batch_size)]).reshape(n, n)
        buffer = io.BytesIO()
        np.savez(buffer, x=xs.cpu().numpy(), y=ys.cpu().numpy(), values=values.float().cpu().numpy(),
                 real=real.cpu().numpy(), fake=fake.cpu().numpy(), iter=np.int64(self.iter))
        atomic_write_bytes(self.run_dir / "critic_surface.npz", buffer.getvalue())

    def save_real_samples(self) -> None:
        path = self.run_dir / "samples" / "real.png"
        if path.exists():
            return
        n = len(self.fixed_noise)
        if self.data.is_image:
            save_image_grid(self.data.as_float(self.data.samples[:n]), path)
        else:
            save_point_scatter(None, self.data.samples[:n], path, title="real")

    # ------------------------------------------------------------------ loop
    def fit(self) -> str:
        """Train to `train.iters` generator iterations; returns the final status."""
        cfg = self.cfg.train
        remove_orphan_temporaries(self.run_dir)      # half-written files of a process killed in this folder
        checkpoint = self.run_dir / CHECKPOINT
        status = read_json(self.run_dir / "status.json") or {}
        resumed = cfg.resume and checkpoint.exists()
        if resumed:
            self.load_checkpoint(checkpoint)
            if status.get("status") == "finished" and self.iter >= cfg.iters:
                log.info("run already finished at iteration %d: nothing to do", self.iter)
                return "finished"
            log.info("resuming from %s at generator iteration %d", checkpoint, self.iter)
        if resumed and self.spectral and not _header_has(self.run_dir / "metrics.csv", SPECTRAL_COLUMNS):
            self.spectral = []            # a run begun before these columns existed resumes with its own
        columns = (list(TRAIN_COLUMNS) + list(self.objective.info.logged)
                   + (list(SPECTRAL_COLUMNS) if self.spectral else [])
                   + (self.evaluator.columns if self.evaluator else []))
        writer = MetricsWriter(self.run_dir / "metrics.csv", columns, resume_iter=self.iter if resumed else None)
        if cfg.tensorboard:
            from wgan_repro.tensorboard_log import TensorBoardLog

            self.tb = TensorBoardLog(self.run_dir, resume_iter=self.iter if resumed else None)
        write_json(self.run_dir / "run.json", run_metadata(self))
        write_status(self.run_dir, "running", iter=self.iter, iters=cfg.iters)
        self.save_real_samples()
        progress = Progress(cfg.iters, self.iter, cfg.progress)
        start = time.perf_counter() - self.elapsed
        stop = StopSignal()
        try:
            with stop:
                return self._loop(writer, progress, start, stop)
        except BaseException as err:
            if not (isinstance(err, SystemExit) and stop.handed_on):     # (a requeue keeps "running")
                write_status(self.run_dir, "failed", iter=self.iter, iters=cfg.iters,
                             message=f"{type(err).__name__}: {err}")
            raise
        finally:
            progress.close()
            if self.tb is not None:
                self.tb.close()

    def _loop(self, writer: MetricsWriter, progress: "Progress", start: float, stop: "StopSignal") -> str:
        cfg = self.cfg.train
        pending: list[dict] = []
        while self.iter < cfg.iters:
            row = self.generator_iteration()
            if self.stall is not None:
                self.stall.observe(self.iter, row["estimate"], (self.opt_g, self.opt_d))
            self.elapsed = time.perf_counter() - start
            last = self.iter == cfg.iters
            if self.iter % cfg.log_every == 0 or last:
                row["wall_time"] = round(self.elapsed, 3)
                if self.spectral and self.iter % cfg.flush_every == 0:   # a cadence a resumed run keeps too
                    sigmas = spectral_sigmas(self.spectral)
                    row.update(zip(SPECTRAL_COLUMNS, (min(sigmas), max(sigmas))))
                if self.evaluator and self.evaluator.due(self.iter, last):
                    row.update(self.evaluator.evaluate(self.generator, self.iter, final=last))
                pending.append(row)
            if pending and (last or stop.received or any(self.iter % n == 0 for n in (
                    cfg.flush_every, cfg.sample_every, cfg.checkpoint_every))):
                rows, pending = rows_to_host(pending, self.objective.info.logged), []
                diverged = next((r for r in rows if not all(math.isfinite(r[k]) for k in LOSS_KEYS)), None)
                written = rows[: rows.index(diverged) + 1] if diverged else rows
                writer.append(written)
                self.dead_critic.rows(written)
                if self.tb is not None:
                    self.tb.rows(written)
                if diverged:
                    message = f"non-finite loss at generator iteration {diverged['iter']}"
                    log.error("run diverged: %s", message)
                    write_status(self.run_dir, "diverged", iter=diverged["iter"], iters=cfg.iters, message=message)
                    return "diverged"
                progress.update(rows[-1])
            if self.iter % cfg.sample_every == 0 or last:
                self.save_samples(f"iter_{self.iter:06d}")
            if self.iter % cfg.checkpoint_every == 0 or last or stop.received:
                self.save_checkpoint()
                write_status(self.run_dir, "running", iter=self.iter, iters=cfg.iters)
            if stop.received and not last:
                if stop.received in stop.forwarded:
                    message = (f"time-limit signal {stop.received} at generator iteration {self.iter}; checkpoint "
                               "saved: submitit requeues the job, which resumes from it")
                else:
                    message = (f"stopped by signal {stop.received} at generator iteration {self.iter}; "
                               "checkpoint saved: run the same command to resume")
                log.warning(message)
                write_status(self.run_dir, "running", iter=self.iter, iters=cfg.iters, message=message)
                if stop.hand_on():      # a forwarded signal whose handler returned (not rank 0): train on
                    write_status(self.run_dir, "running", iter=self.iter, iters=cfg.iters)
                    continue
                return "stopped"
        self.save_samples("final")
        if not self.data.is_image:
            self.save_critic_surface()
        write_status(self.run_dir, "finished", iter=self.iter, iters=cfg.iters,
                     wall_time=round(self.elapsed, 3))
        return "finished"


def _header_has(path: Path, columns) -> bool:
    """Whether the CSV file at `path` has all of `columns` in its header line."""
    if not path.exists():
        return True
    with open(path) as f:
        return set(columns) <= set(f.readline().strip().split(","))


LOSS_KEYS = ("loss_critic", "loss_generator", "estimate")
TENSOR_KEYS = ("loss_critic", "loss_generator", "critic_real", "critic_fake", "estimate")


def rows_to_host(rows: list[dict], logged=()) -> list[dict]:
    """Copy the rows' scalar tensors (and the objective's `logged` ones) to Python floats with a
    single device synchronisation."""
    keys = TENSOR_KEYS + tuple(logged)
    values = torch.stack([torch.stack([r[k].float() for k in keys]) for r in rows]).cpu().tolist()
    return [{**r, **dict(zip(keys, v))} for r, v in zip(rows, values)]


class StopSignal:
    """Turns SIGTERM (what SLURM and `kill` send) into a flag the loop checks after each
    generator iteration, so the run saves a checkpoint before it exits.

    The time-limit warning submitit asks SLURM for (SIGUSR2, or the signal named by
    SUBMITIT_PREEMPT_SIGNAL) is caught the same way when a Python handler for it is installed
    (submitit's, which requeues the job and exits at once): the loop saves a checkpoint first and
    then hands the signal on to that handler (`hand_on`), so the requeued job resumes from the
    iteration it had reached, not from the last periodic checkpoint."""

    def __init__(self, signals=(signal.SIGTERM,)):
        self.signals = signals
        self.received: Optional[int] = None
        self.forwarded: set = set()       # signals whose previous handler runs after the checkpoint
        self.handed_on = False
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        if self.received not in self.forwarded:      # a SIGTERM after the warning must not cancel the requeue
            self.received = signum

    def __enter__(self) -> "StopSignal":
        if threading.current_thread() is threading.main_thread():
            for s in self.signals:
                self._previous[s] = signal.signal(s, self._handle)
            warning = requeue_signal()                   # submitit's handler (on SIGTERM too, if it is named)
            if warning is not None:
                if warning not in self._previous and callable(signal.getsignal(warning)):
                    self._previous[warning] = signal.signal(warning, self._handle)
                if callable(self._previous.get(warning)):
                    self.forwarded.add(warning)
        return self

    def hand_on(self) -> bool:
        """Give a received forwarded signal to the handler it was meant for (after the checkpoint).
        submitit's handler requeues the job and exits; if a handler returns instead (submitit on a
        task of rank > 0), the signals are caught again and True says the loop may go on."""
        if self.received not in self.forwarded:
            return False
        handler = self._previous[self.received]
        self.__exit__()
        self.handed_on = True
        handler(self.received, None)
        self.handed_on, self.received = False, None
        self.forwarded.clear()
        self.__enter__()
        return True

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def requeue_signal() -> Optional[int]:
    """The signal submitit's jobs take as the time-limit warning: SIGUSR2 unless
    SUBMITIT_PREEMPT_SIGNAL names another (None when this platform has no such signal)."""
    return getattr(signal, "SIG" + os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2"), None)


def _last_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1][:160] if lines else type(err).__name__


def run_metadata(trainer: Trainer) -> dict:
    # The SLURM job this process runs in (None outside SLURM): its id as squeue and scontrol name
    # it (`<array job>_<task>` for an array task, as hydra/launcher=slurm submits) and how many
    # times it was requeued (SLURM_RESTART_COUNT; 0 on the first start).
    slurm = None
    if os.environ.get("SLURM_JOB_ID"):
        array_job, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
        slurm = {"job_id": f"{array_job}_{task}" if array_job and task else os.environ["SLURM_JOB_ID"],
                 "restart_count": int(os.environ.get("SLURM_RESTART_COUNT") or 0)}
    return {
        "device": str(trainer.device),
        "pid": os.getpid(),
        "threads": trainer.threads,
        "cpu_kernels": trainer.cpu_kernels,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "torch": torch.__version__,
        "data_shape": list(trainer.data.shape),
        "n_train": len(trainer.data),
        "generator_params": sum(p.numel() for p in trainer.generator.parameters()),
        "critic_params": sum(p.numel() for p in trainer.critic.parameters()),
        "channels_last": trainer.memory_format == torch.channels_last,
        "tf32": bool(trainer.cfg.train.tf32 and trainer.device.type == "cuda"),
        "precision": trainer.precision,
        "precision_asked": trainer.cfg.train.precision,
        "config": OmegaConf.to_container(trainer.cfg, resolve=True),
        "objective": objective_record(trainer.objective),
        "slurm": slurm,
        **trainer.metadata,
    }


class Progress:
    """A tqdm bar in an interactive terminal, plain log lines (about 20 per run) otherwise."""

    def __init__(self, total: int, done: int, mode: str):
        use_bar = mode == "bar" or (mode == "auto" and sys.stderr.isatty())
        self.total, self.every = total, max(1, total // 20)
        self.started, self.start_iter = time.perf_counter(), done
        self.bar = None
        if use_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="it", dynamic_ncols=True)

    def update(self, row: dict) -> None:
        if self.bar is not None:
            self.bar.n = row["iter"]
            self.bar.set_postfix(estimate=f"{row['estimate']:.4f}", loss_g=f"{row['loss_generator']:.4f}", refresh=False)
            self.bar.refresh()
        elif row["iter"] % self.every == 0 or row["iter"] == self.total:
            rate = (row["iter"] - self.start_iter) / max(time.perf_counter() - self.started, 1e-9)
            log.info("iter %d/%d  estimate %.5f  loss_critic %.5f  loss_generator %.5f  %.2f it/s",
                     row["iter"], self.total, row["estimate"], row["loss_critic"], row["loss_generator"], rate)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def train(cfg: DictConfig, run_dir: Path, evaluator=None, metadata: Optional[dict] = None) -> str:
    """Build everything from the validated config and train; returns the run's final status."""
    return Trainer(cfg, run_dir, evaluator, metadata).fit()
