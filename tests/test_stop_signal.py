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


@pytest.fixture()
def usr2_handler():
    """A stand-in for submitit's USR2 handler: records the checkpoint it finds, then exits as submitit does."""
    calls = []

    def handler(signum, frame):
        calls.append(signum)
        raise SystemExit(-1)

    previous = signal.signal(signal.SIGUSR2, handler)
    yield calls
    signal.signal(signal.SIGUSR2, previous)


def test_the_time_limit_warning_saves_the_iteration_reached_then_reaches_submitits_handler(
        compose_cfg, tmp_path, usr2_handler, monkeypatch):
    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    trainer = Trainer(validate(compose_cfg(*SMOKE)), tmp_path)
    save_samples = trainer.save_samples
    seen = {}

    def send_at_ten(name):
        save_samples(name)
        if trainer.iter == 10:
            signal.raise_signal(signal.SIGUSR2)     # the warning arrives mid-run (handled: our flag)
            seen["checkpoint_before"] = (tmp_path / "checkpoints" / "last.pt").exists()

    trainer.save_samples = send_at_ten
    with pytest.raises(SystemExit) as exit_info:
        trainer.fit()
    assert exit_info.value.code == -1 and usr2_handler == [signal.SIGUSR2]
    assert seen == {"checkpoint_before": False}           # no periodic checkpoint yet (every 100)
    assert torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["iter"] == 10
    status = read_json(tmp_path / "status.json")
    assert status["status"] == "running" and status["iter"] == 10
    assert "submitit requeues the job" in status["message"]
    assert signal.getsignal(signal.SIGUSR2) is not None and signal.getsignal(signal.SIGUSR2).__name__ == "handler"


def test_without_a_python_handler_the_warning_is_left_alone_and_another_signal_can_be_named(monkeypatch):
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
    before = signal.signal(signal.SIGUSR1, lambda s, f: None)
    try:
        with StopSignal() as stop:
            assert stop.forwarded == {signal.SIGUSR1} and signal.getsignal(signal.SIGUSR1) == stop._handle
        assert signal.getsignal(signal.SIGUSR1) is not stop._handle          # restored on the way out
    finally:
        signal.signal(signal.SIGUSR1, before)
