import pytest

from wgan_repro.bench import compose_config, iterations_per_second, loss_difference, main, with_path

SMALL = ["experiment=smoke", "train.threads=1"]


@pytest.fixture()
def small_cfg(fake_data_root):
    return compose_config(SMALL + [f"data.root={fake_data_root}"])


def test_fast_path_computes_the_same_losses_as_the_plain_path_on_cpu(small_cfg):
    assert with_path(small_cfg, "fast").train.channels_last and not with_path(small_cfg, "plain").train.channels_last
    assert loss_difference(small_cfg, "fast", iters=3) < 1e-3
    # bf16 changes the numerics: close, but measurably not the same
    assert 0 < loss_difference(small_cfg, "fast+bf16", iters=3) < 0.2


def test_benchmark_warms_up_and_reports_a_rate(small_cfg):
    assert not small_cfg.loss.warmup.enabled
    assert iterations_per_second(small_cfg, warmup=1, iters=3) > 0


def test_cli_prints_the_table(capsys, fake_data_root):
    main(SMALL + [f"data.root={fake_data_root}", "--warmup", "1", "--iters", "2"])
    out = capsys.readouterr().out
    assert "| plain |" in out and "| fast |" in out and "torch" in out
    with pytest.raises(SystemExit, match="unknown path"):
        main(SMALL + ["--paths", "turbo"])
