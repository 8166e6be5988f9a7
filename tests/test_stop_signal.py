"""train.StopSignal: SIGTERM and submitit's time-limit warning end the loop with a checkpoint of
the iteration reached; the warning then goes on to the handler that was installed for it."""
import signal

import pytest
import torch

from wgan_repro import train
from wgan_repro.config import validate
from wgan_repro.run_files import read_json
from wgan_repro.train import StopSignal, Trainer

SMOKE = ("experiment=smoke", "eval.enabled=false", "train.iters=40", "train.checkpoint_every=100",
         "train.sample_every=5", "train.threads=1", "device=cpu")


@pytest.fixture(autouse=True)
def keep_handlers():
    """Each test leaves the process's handlers as it found them."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def install_usr2(monkeypatch, exits: bool = True) -> list:
    """A stand-in for submitit's USR2 handler: records each call, then exits as submitit's does on
    rank 0 (or returns, as on a task of rank > 0)."""
    calls = []

    def handler(signum, frame):
        calls.append(signum)
        if exits:
            raise SystemExit(-1)

    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    signal.signal(signal.SIGUSR2, handler)
    return calls


def trainer_signalling_at(compose_cfg, run_dir, iteration: int, *signals) -> Trainer:
    """A smoke trainer that raises `signals` in its main thread once it reaches `iteration`."""
    trainer = Trainer(validate(compose_cfg(*SMOKE)), run_dir)
    save_samples = trainer.save_samples

    def send(name):
        save_samples(name)
        if trainer.iter == iteration:
            for s in signals:
                signal.raise_signal(s)

    trainer.save_samples = send
    return trainer


def test_the_time_limit_warning_saves_the_iteration_reached_then_reaches_submitits_handler(
        compose_cfg, tmp_path, monkeypatch):
    calls = install_usr2(monkeypatch)
    # SLURM's SIGTERM at the limit may follow the warning before the checkpoint: the requeue still happens
    trainer = trainer_signalling_at(compose_cfg, tmp_path, 10, signal.SIGUSR2, signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_info:
        trainer.fit()
    assert exit_info.value.code == -1 and calls == [signal.SIGUSR2]
    assert torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["iter"] == 10   # periodic: every 100
    status = read_json(tmp_path / "status.json")
    assert status["status"] == "running" and status["iter"] == 10
    assert "submitit requeues the job" in status["message"]


def test_a_handler_that_returns_lets_the_run_train_on_and_catch_the_next_warning(compose_cfg, tmp_path, monkeypatch):
    calls = install_usr2(monkeypatch, exits=False)
    trainer = trainer_signalling_at(compose_cfg, tmp_path, 10, signal.SIGUSR2)
    save_samples = trainer.save_samples

    def again_at_twenty(name):
        save_samples(name)
        if trainer.iter == 20:
            signal.raise_signal(signal.SIGUSR2)

    trainer.save_samples = again_at_twenty
    assert trainer.fit() == "finished" and calls == [signal.SIGUSR2, signal.SIGUSR2]
    assert read_json(tmp_path / "status.json")["status"] == "finished" and trainer.iter == 40


def test_without_a_python_handler_the_warning_is_left_alone_and_another_signal_can_be_named(monkeypatch):
    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    previous = signal.getsignal(signal.SIGUSR2)
    signal.signal(signal.SIGUSR2, signal.SIG_DFL)
    try:
        with StopSignal() as stop:
            assert signal.getsignal(signal.SIGUSR2) is signal.SIG_DFL and not stop.forwarded
            assert signal.getsignal(signal.SIGTERM) == stop._handle
    finally:
        signal.signal(signal.SIGUSR2, previous)
    monkeypatch.setenv("SUBMITIT_PREEMPT_SIGNAL", "USR1")
    assert train.requeue_signal() == signal.SIGUSR1
    submitits = lambda s, f: None                                         # noqa: E731
    before = signal.signal(signal.SIGUSR1, submitits)
    try:
        with StopSignal() as stop:
            assert stop.forwarded == {signal.SIGUSR1} and signal.getsignal(signal.SIGUSR1) == stop._handle
        assert signal.getsignal(signal.SIGUSR1) is submitits                  # restored on the way out
    finally:
        signal.signal(signal.SIGUSR1, before)
    monkeypatch.setenv("SUBMITIT_PREEMPT_SIGNAL", "TERM")                    # submitit's requeue on SIGTERM itself
    before = signal.signal(signal.SIGTERM, submitits)
    try:
        with StopSignal() as stop:
            assert stop.forwarded == {signal.SIGTERM} and signal.getsignal(signal.SIGTERM) == stop._handle
        assert signal.getsignal(signal.SIGTERM) is submitits
    finally:
        signal.signal(signal.SIGTERM, before)

