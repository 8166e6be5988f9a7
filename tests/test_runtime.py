"""Process-level set-up: the precision `auto` picks, the bf16 warning, OpenMP's wait policy
(wgan_repro/__init__.py) and the thread count a checkpoint records."""
import json
import logging
import os
import subprocess
import sys
import time

import pytest
import torch

import wgan_repro
from wgan_repro import runtime
from wgan_repro.config import validate
from wgan_repro.train import Trainer

CPU = torch.device("cpu")
AVX2_ONLY = frozenset({"sse4_2", "avx", "avx2", "fma"})                       # e.g. an AMD EPYC of these machines
AMX = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"})   # e.g. a Xeon with AMX


@pytest.fixture()
def flags(monkeypatch):
    def _set(value):
        monkeypatch.setattr(runtime, "cpu_flags", lambda: value)
    return _set


def test_auto_precision_is_fp32_on_a_cpu_without_native_bf16(flags):
    flags(AVX2_ONLY)
    assert runtime.resolve_precision("auto", CPU) == "fp32"


def test_auto_precision_is_bf16_on_a_cpu_with_amx_and_fp32_on_cuda(flags):
    flags(AMX)
    assert runtime.resolve_precision("auto", CPU) == "bf16"
    assert runtime.resolve_precision("auto", torch.device("cuda")) == "fp32"
    assert runtime.resolve_precision("fp32", CPU) == "fp32"


def test_an_explicit_bf16_without_native_bf16_is_kept_with_one_warning(flags, caplog):
    flags(AVX2_ONLY)
    with caplog.at_level(logging.WARNING, logger="wgan_repro.runtime"):
        assert runtime.resolve_precision("bf16", CPU) == "bf16"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "without native bf16" in warnings[0] and "20x slower" in warnings[0]
    caplog.clear()
    flags(AMX)
    with caplog.at_level(logging.WARNING, logger="wgan_repro.runtime"):
        runtime.resolve_precision("bf16", CPU)
    assert not caplog.records


def test_the_trainer_records_the_precision_it_resolved(flags, compose_cfg, tmp_path):
    flags(AVX2_ONLY)
    trainer = Trainer(validate(compose_cfg("experiment=smoke", "train.threads=1")), tmp_path)
    assert trainer.precision == "fp32" and not trainer.bf16


def test_threads_sleep_when_other_processes_keep_the_cpus_busy():
    assert wgan_repro.choose_wait_policy(0.0) == "" and wgan_repro.choose_wait_policy(0.2) == ""
    assert wgan_repro.choose_wait_policy(0.25) == "PASSIVE" and wgan_repro.choose_wait_policy(1.0) == "PASSIVE"


def _policy_of_a_fresh_process(env: dict) -> str:
    code = "import wgan_repro, os; print(os.environ.get('OMP_WAIT_POLICY', ''))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_process_started_beside_a_busy_one_makes_its_openmp_threads_sleep():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert _policy_of_a_fresh_process(env) == "PASSIVE"      # one full core busy: >= 0.25
        assert _policy_of_a_fresh_process({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"   # explicit: kept
    finally:
        hog.kill()
        hog.wait()


@pytest.fixture()
def keep_threads():
    """The tests that train set torch's thread count; the ones after them get it back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_resuming_with_another_thread_count_says_so(compose_cfg, tmp_path, caplog, keep_threads):
    smoke = ("experiment=smoke", "eval.enabled=false", "train.checkpoint_every=2", "device=cpu")
    first = Trainer(validate(compose_cfg(*smoke, "train.threads=1", "train.iters=2")), tmp_path)
    assert first.fit() == "finished"
    assert torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=False)["threads"] == 1
    with caplog.at_level(logging.WARNING, logger="wgan_repro.train"):
        resumed = Trainer(validate(compose_cfg(*smoke, "train.threads=2", "train.iters=4")), tmp_path)
        assert resumed.fit() == "finished"
    lines = [r.getMessage() for r in caplog.records if "CPU threads" in r.getMessage()]
    assert lines == ["resuming with 2 CPU threads where the checkpoint was written with 1: the numerics differ "
                     "slightly (summation order), so the run will not match an uninterrupted one bit for bit; "
                     "pass train.threads=1 to keep them"]


AVX512 = frozenset({"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"})   # e.g. an AMD EPYC Genoa


def test_cpu_kernels_follow_the_cpu_and_never_rise_above_it_under_a_onednn_cap(flags, monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    flags(AVX512)
    assert runtime.cpu_kernels() == {"aten": torch.backends.cpu.get_cpu_capability(), "onednn": "AVX512"}
    flags(AVX2_ONLY)
    assert runtime.cpu_kernels()["onednn"] == "AVX2"
    flags(frozenset({"sse4_2", "avx"}))
    assert runtime.cpu_kernels()["onednn"] == "below AVX2"
    flags(AVX512 - {"avx512bw"})                                  # avx512f alone is not oneDNN's avx512_core
    assert runtime.cpu_kernels()["onednn"] == "AVX2"
    for cap, machine, level in (("AVX2", AVX512, "AVX2"), ("avx2_vnni", AVX512, "AVX2"),
                                ("AVX512_CORE_BF16", AVX512, "AVX512"), ("ALL", AVX512, "AVX512"),
                                ("AVX512_CORE", AVX2_ONLY, "AVX2"), ("SSE41", AVX512, "below AVX2"),
                                ("AVX10_1_512", AVX512, "AVX512"), ("NONE", AVX512, "AVX512"),
                                ("AVX2_FOO", AVX512, "AVX512")):       # names oneDNN does not know: no cap
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
        flags(machine)
        assert runtime.cpu_kernels()["onednn"] == level, cap
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX2")                # oneDNN's older name for the same cap
    flags(AVX512)
    assert runtime.cpu_kernels()["onednn"] == "AVX2"


def test_resuming_on_a_cpu_with_other_kernels_says_so_and_run_json_records_them(flags, compose_cfg, tmp_path,
                                                                                 caplog, monkeypatch, keep_threads):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    smoke = ("experiment=smoke", "eval.enabled=false", "train.checkpoint_every=2", "train.threads=1", "device=cpu")
    flags(AVX512)
    assert Trainer(validate(compose_cfg(*smoke, "train.iters=2")), tmp_path).fit() == "finished"
    assert torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["cpu_kernels"]["onednn"] == "AVX512"
    with caplog.at_level(logging.WARNING, logger="wgan_repro.train"):
        assert Trainer(validate(compose_cfg(*smoke, "train.iters=4")), tmp_path).fit() == "finished"
    assert not [r for r in caplog.records if "kernels" in r.getMessage()]      # same CPU: silent
    flags(AVX2_ONLY)
    with caplog.at_level(logging.WARNING, logger="wgan_repro.train"):
        assert Trainer(validate(compose_cfg(*smoke, "train.iters=6")), tmp_path).fit() == "finished"
    lines = [r.getMessage() for r in caplog.records if "kernels" in r.getMessage()]
    assert lines == ["resuming with oneDNN's AVX2 kernels where the checkpoint was written with AVX512 ones "
                     "(another CPU or ONEDNN_MAX_CPU_ISA): convolutions round differently, so the run will not match "
                     "an uninterrupted one; README, \"Numbers across machines\", says how to pin them"]
    recorded = json.loads((tmp_path / "run.json").read_text())["cpu_kernels"]
    assert recorded == {"aten": torch.backends.cpu.get_cpu_capability(), "onednn": "AVX2"}
