import pytest

from wgan_repro.bench import compose_config, forward_errors, iterations_per_second, main, with_path

SMALL = ["experiment=smoke", "train.threads=1"]


@pytest.fixture()
def small_cfg(fake_data_root):
    return compose_config(SMALL + [f"data.root={fake_data_root}"])


def test_fast_path_computes_the_same_forward_pass_as_the_plain_path_on_cpu(small_cfg):
    assert with_path(small_cfg, "fast").train.channels_last and not with_path(small_cfg, "plain").train.channels_last
    errors = forward_errors(small_cfg, "fast")
    # Both fp32 paths sum the same products in other orders (channels-last picks other kernels),
    # so both sit at fp32 rounding distance from fp64. A sum of n terms errs by about sqrt(n) u
    # typically and n u at worst; the longest sums here have n ~ 1,000 (4x4 kernels x 64
    # channels), so an order that errs at worst is ~sqrt(1000) ~ 32x off the typical one: 64x.
    # A real defect (a wrong layout) errs by O(1).
    assert 0 <= errors["fast"] <= 64 * max(errors["plain"], 2.0 ** -24)
    assert errors["plain"] < 1e-4           # a fp32 pass of a few layers: far from fp32's 2^-24 * depth blow-up
    # bf16 keeps 8 bits of mantissa: measurably off, but within a few of its roundings (2^-8 each)
    bf16 = forward_errors(small_cfg, "fast+bf16")["fast+bf16"]
    assert 4 * errors["plain"] < bf16 < 16 * 2.0 ** -8


def test_benchmark_warms_up_and_reports_a_rate(small_cfg):
    assert not small_cfg.loss.warmup.enabled
    assert iterations_per_second(small_cfg, warmup=1, iters=3) > 0


def test_cli_prints_the_table(capsys, fake_data_root):
    main(SMALL + [f"data.root={fake_data_root}", "--warmup", "1", "--iters", "2"])
    out = capsys.readouterr().out
    assert "| plain |" in out and "| fast |" in out and "torch" in out
    with pytest.raises(SystemExit, match="unknown path"):
        main(SMALL + ["--paths", "turbo"])
