"""summary.csv, summary_seeds.csv and summary.md hold the fabricated numbers."""
import math

import numpy as np
import pandas as pd
import pytest

from tests.report.fabricate import final_eval_file, final_image_eval, image_quality, rebounding, write_run
from wgan_repro.report.claims import load_config
from wgan_repro.report.collect import load_sweep
from wgan_repro.report.tables import summary_markdown, summary_table


def row(summary, model, loss, seed=0):
    match = summary[(summary["model"] == model) & (summary["loss"] == loss) & (summary["seed"] == seed)]
    assert len(match) == 1
    return match.iloc[0]


def test_summary_csv_has_one_row_per_run_with_the_final_numbers(paper):
    _, runs, report = paper
    summary = pd.read_csv(report / "summary.csv")
    assert len(summary) == len(runs)
    wgan = row(summary, "dcgan", "wgan", 1)
    assert (wgan["status"], wgan["iter"], wgan["iters"], wgan["wall_time"]) == ("finished", 100, 100, 10.0)
    assert wgan["fid"] == 44.0 and wgan["kid"] == pytest.approx(0.044)        # from final_eval.json
    assert wgan["fid_rel"] == pytest.approx((44 - 2) / 400)                   # reference floor 2, ceiling 402
    assert wgan["classes_covered"] == 10 and wgan["coverage_share"] == 1.0
    assert wgan["metrics_source"] == "final_eval.json"
    assert wgan["spearman_estimate_fid"] == pytest.approx(1.0) and wgan["n_eval_points"] == 10
    collapsed = row(summary, "mlp", "nsgan")
    assert collapsed["coverage_share"] == pytest.approx(0.3) and collapsed["class_kl"] == 1.2
    # the failed run: what it logged (the last evaluation in metrics.csv), and its message
    failed = row(summary, "dcgan", "gan")
    assert (failed["status"], failed["iter"], failed["fid"]) == ("failed", 20, 205.0)
    assert failed["message"] == "RuntimeError: CUDA out of memory" and failed["metrics_source"] == "metrics.csv"
    assert math.isnan(failed["spearman_estimate_fid"])                       # 2 points < min_eval_points
    # the diverged run: its final estimate is the last finite one (the NaN row is its last)
    diverged = row(summary, "dcgan_nobn", "nsgan")
    assert diverged["status"] == "diverged" and diverged["iter"] == 37 and np.isfinite(diverged["final_estimate"])
    # the run without quality columns: every quality number empty, the rest there
    bare = row(summary, "dcgan_nobn", "gan")
    assert bare[["fid", "kid", "classifier_score", "classes_covered", "fid_rel", "coverage_share"]].isna().all()
    assert bare["status"] == "finished" and bare["n_eval_points"] == 0
    assert bare["final_estimate"] == pytest.approx(pd.read_csv(runs[("dcgan_nobn", "gan", 0)] / "metrics.csv")
                                                   ["estimate"].iloc[-1])
    assert row(summary, "mlp", "gan")["status"] == "running"


def test_mean_and_std_over_seeds(paper):
    _, _, report = paper
    seeds = pd.read_csv(report / "summary_seeds.csv")
    group = seeds[(seeds["model"] == "dcgan") & (seeds["loss"] == "wgan")].iloc[0]
    assert (group["n_runs"], group["n_finished"], group["seeds"]) == (2, 2, "0 1")
    assert group["fid_mean"] == pytest.approx(42.0) and group["fid_std"] == pytest.approx(math.sqrt(8))
    single = seeds[(seeds["model"] == "mlp") & (seeds["loss"] == "wgan")].iloc[0]
    assert single["fid_mean"] == 90.0 and math.isnan(single["fid_std"])
    failed = seeds[(seeds["model"] == "dcgan") & (seeds["loss"] == "gan")].iloc[0]
    assert failed["n_finished"] == 0 and math.isnan(failed["fid_mean"])     # failed runs are not averaged
    md = (report / "summary.md").read_text()
    assert "42 ± 2.83" in md and "2/2" in md
    assert "failed: RuntimeError: CUDA out of memory" in md and "diverged: non-finite loss" in md
    assert "| loss=wgan,model=dcgan,seed=0 |" in md


def test_no_seed_table_without_repeated_seeds(points):
    _, _, report = points
    assert not (report / "summary_seeds.csv").exists()
    assert "Mean ± std" not in (report / "summary.md").read_text()
    summary = pd.read_csv(report / "summary.csv")
    wgan = summary[summary["loss"] == "wgan"].iloc[0]
    assert wgan["w1_exact"] == pytest.approx(0.05) and wgan["coverage_share"] == 1.0   # 8 of 8 modes
    assert wgan["spearman_estimate_w1"] == pytest.approx(1.0) and math.isnan(wgan["fid"])
    assert summary[summary["loss"] == "nsgan"].iloc[0]["spearman_estimate_w1"] == pytest.approx(-1.0)


def test_correlation_uses_the_median_filtered_estimate(tmp_path):
    """A noisy 1,000-row run: rho from an independent median filter and the rank formula."""
    n, every = 1000, 25
    rng = np.random.default_rng(3)
    estimate = np.linspace(2.0, 0.5, n) + rng.normal(0, 0.6, n)
    fid = np.linspace(150, 50, n // every) + rng.normal(0, 12, n // every)
    write_run(tmp_path, model="dcgan", loss="wgan", iters=n, estimate=estimate, eval_every=every,
              quality=image_quality(fid), final_eval=final_image_eval(float(fid[-1])))
    settings, _ = load_config()
    summary = summary_table(load_sweep(tmp_path), settings)

    window = 19                                # 2 % of 1,000 rows = 20, made odd
    half = window // 2
    smooth = np.array([np.median(estimate[max(0, i - half):i + half + 1]) for i in range(n)])
    x = smooth[every - 1::every]
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(fid))
    k = len(x)
    expected = 1 - 6 * np.sum((rx - ry) ** 2) / (k * (k * k - 1))
    assert 0.3 < expected < 0.95                   # a real correlation, not a trivial +-1
    assert summary["spearman_estimate_fid"].iloc[0] == pytest.approx(expected)
    raw = 1 - 6 * np.sum((np.argsort(np.argsort(estimate[every - 1::every])) - ry) ** 2) / (k * (k * k - 1))
    assert abs(raw - expected) > 0.01              # the filter matters here
    assert summary["final_estimate"].iloc[0] == pytest.approx(smooth[-1])


def trend_row(tmp_path, periodic, final, **kw):
    """The summary row of one run whose quality metric takes the `periodic` values every 10
    iterations and `final` at the last one (the final evaluation, on more samples)."""
    n = 10 * (len(periodic) + 1)
    fe = kw.pop("final_eval", None) or final_image_eval(final)
    fe["iter"] = n
    quality = kw.pop("quality", None) or image_quality([*periodic, final])
    write_run(tmp_path, model="dcgan", loss="wgan", iters=n, quality=quality, final_eval=fe, **kw)
    settings, _ = load_config()
    return summary_table(load_sweep(tmp_path), settings).iloc[0]


def test_still_improving_is_judged_on_the_last_quarter_of_the_periodic_evaluations(tmp_path):
    # 20 periodic points: the window is the last 5 (25 %), flat before. One outlier (150) in it:
    # the median pairwise slope is still -0.4 per iteration (a least-squares line would rise), so
    # the fall over the 40 iterations is 16 FID units, 4 % of the 400-unit range; ranks give rho =
    # 1 - 6 * 34 / 120 = -0.7. The final evaluation (FID 20) is left out: with it the window would
    # end at 20.
    row = trend_row(tmp_path, [100.0] * 15 + [96, 92, 150, 84, 80], 20.0)
    assert row["quality_metric"] == "fid" and row["improvement_points"] == 5
    assert row["improvement_last_window"] == pytest.approx(0.04) and row["improvement_basis"] == "range"
    assert bool(row["still_improving"])
    assert row["quality_rebound"] == 0.0                              # it ended at its best (80)


def test_a_flat_end_is_not_improving_and_a_rebound_is_measured(tmp_path):
    # best 60 at the 5th point, then up to 120: rebound (120 - 60) / 400; the last 4 rise
    row = trend_row(tmp_path, rebounding(200, 60, 120, 9, 4), 118.0)
    assert row["quality_rebound"] == pytest.approx(0.15) and not row["still_improving"]
    assert row["improvement_last_window"] == pytest.approx(-45 / 400)      # 75 -> 120 over 4 points


def test_without_a_reference_the_drop_is_relative(tmp_path):
    # exact W1 with a floor but no ceiling: the last 4 periodic points fall 0.5 -> 0.44, 12 % of the
    # line's level (0.5) at the window's start (>= 5 %); the rebound is divided by the run's own
    # gain, 1.0 -> 0.44, and is 0 here
    w1 = [1.0] * 5 + [0.5, 0.48, 0.46, 0.44, 0.2]
    fe = final_eval_file({"w1_exact": 0.2, "modes_captured": 8, "high_quality_share": 0.9},
                         {"w1_exact": 0.01, "modes_captured": 8})
    row = trend_row(tmp_path, w1[:-1], w1[-1], final_eval=fe, data="eight_gaussians",
                    quality={"w1_exact": w1, "modes_captured": [8] * 10, "high_quality_share": [0.9] * 10})
    assert row["quality_metric"] == "w1_exact" and row["improvement_basis"] == "relative"
    assert row["improvement_last_window"] == pytest.approx(0.12) and bool(row["still_improving"])
    assert row["quality_rebound"] == 0.0


def test_too_few_points_give_no_trend(tmp_path):
    row = trend_row(tmp_path, [100.0, 90.0, 80.0], 70.0)                   # 3 periodic points < 4
    assert pd.isna(row["still_improving"]) and math.isnan(row["improvement_last_window"])
    assert row["quality_rebound"] == 0.0


def test_the_trend_columns_are_in_the_tables(paper):
    _, _, report = paper
    summary = pd.read_csv(report / "summary.csv")
    for column in ("still_improving", "improvement_last_window", "improvement_points", "quality_rebound",
                   "improvement_basis", "quality_metric"):
        assert column in summary, column
    wgan = row(summary, "dcgan", "wgan", 1)
    assert wgan["still_improving"] == False and wgan["quality_metric"] == "fid"    # noqa: E712 (read back as bool)
    assert 0 < wgan["improvement_last_window"] < 0.02
    md = (report / "summary.md").read_text()
    assert "| still improving |" in md and "last-window gain" in md and "rebound" in md


def test_a_sweep_run_under_different_cpu_kernels_says_so_and_one_under_the_same_does_not(tmp_path):
    settings, _ = load_config()
    for sweep, kernels in ((tmp_path / "mixed", ("AVX512", "AVX2", "AVX2", None)),
                           (tmp_path / "same", ("AVX2", "AVX2", None, None))):
        for seed, kind in enumerate(kernels):
            write_run(sweep, model="dcgan", loss="wgan", seed=seed, cpu_kernels=kind)
        summary = summary_table(load_sweep(sweep), settings)
        assert list(summary.sort_values("seed")["cpu_kernels"].fillna("")) == [k or "" for k in kernels]
        text = summary_markdown(summary, None)
        if sweep.name == "mixed":
            assert "ran under different oneDNN kernels (AVX2: 2 runs, AVX512: 1 runs;" in text
        else:
            assert "Mixed CPU kernels" not in text
