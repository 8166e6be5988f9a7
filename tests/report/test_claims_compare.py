"""Comparison conditions (`more_than` / `less_than`): one selection's mean against another's."""
import pandas as pd
import pytest

from wgan_repro.report.claims import NOT_REPRODUCED, NOT_TESTED, REPRODUCED, ReportError, _check_claim, judge


def summary(with_pt, without_pt, status="finished"):
    rows = [{"run": f"pt={pt},seed={s}", "loss.pull_away": pt, "seed": s, "status": status, "coverage_share": v}
            for pt, values in ((0.1, with_pt), (0.0, without_pt)) for s, v in enumerate(values)]
    return pd.DataFrame(rows)


CLAIM = {"id": "pt_more_modes", "claim": "the pull-away term captures more modes",
         "conditions": [{"runs": {"loss.pull_away": 0.1}, "metric": "coverage_share",
                         "more_than": {"loss.pull_away": 0.0}}]}


def test_more_than_passes_on_the_means_and_fails_when_they_tie_or_reverse():
    [result] = judge([CLAIM], summary([0.9, 0.8, 1.0], [0.5, 0.6, 0.4]), config_keys=["loss.pull_away"])
    assert result.verdict == REPRODUCED
    assert result.conditions[0].numbers == ("loss.pull_away=0.1: 0.9 ± 0.1 (mean of 3 seeds) vs "
                                            "loss.pull_away=0.0: 0.5 ± 0.1 (mean of 3 seeds)")
    [tie] = judge([CLAIM], summary([0.5, 0.5, 0.5], [0.5, 0.6, 0.4]), config_keys=["loss.pull_away"])
    assert tie.verdict == NOT_REPRODUCED
    by = {**CLAIM, "conditions": [{**CLAIM["conditions"][0], "by": 0.5}]}
    [short] = judge([by], summary([0.9, 0.8, 1.0], [0.5, 0.6, 0.4]), config_keys=["loss.pull_away"])
    assert short.verdict == NOT_REPRODUCED                # 0.4 apart, not more than 0.5
    less = {**CLAIM, "conditions": [{"runs": {"loss.pull_away": 0.0}, "metric": "coverage_share",
                                     "less_than": {"loss.pull_away": 0.1}}]}
    [reverse] = judge([less], summary([0.9, 0.8, 1.0], [0.5, 0.6, 0.4]), config_keys=["loss.pull_away"])
    assert reverse.verdict == REPRODUCED


def test_a_comparison_without_runs_on_one_side_is_not_tested():
    frame = summary([0.9, 0.8, 1.0], [0.5], status="finished")
    frame.loc[frame["loss.pull_away"] == 0.0, "status"] = "running"
    [result] = judge([CLAIM], frame, config_keys=["loss.pull_away"])
    assert result.verdict == NOT_TESTED and "no finished run with loss.pull_away=0.0" in result.conditions[0].reason


def test_a_malformed_comparison_is_one_clear_error(tmp_path):
    bad = {**CLAIM, "conditions": [{"runs": {"a": 1}, "metric": "coverage_share", "more_than": 3}]}
    with pytest.raises(ReportError, match="a comparison needs one of more_than or less_than"):
        _check_claim(bad, tmp_path / "claims.yaml")


def test_the_shipped_family_claims_load_by_their_bare_name_and_each_compares_or_bounds():
    from wgan_repro.report.claims import COMPARE, load_config

    settings, claims = load_config("family_claims.yaml")
    assert settings["min_seeds"] == 3 and len(claims) >= 8
    for claim in claims:
        for cond in claim["conditions"]:
            assert any(k in cond for k in COMPARE) or "min" in cond or "max" in cond, claim["id"]


@pytest.mark.parametrize("worst, verdict", [(1.02, REPRODUCED), (1.2, NOT_REPRODUCED)])
def test_the_spectral_norm_claim_reads_each_runs_range_of_logged_singular_values(tmp_path, worst, verdict):
    from tests.report.fabricate import write_run
    from wgan_repro.report.claims import load_config
    from wgan_repro.report.collect import load_sweep
    from wgan_repro.report.tables import DEFAULT_SETTINGS, summary_table
    from wgan_repro.run_layout import SPECTRAL_COLUMNS

    for seed in range(3):
        run = write_run(tmp_path, model="dcgan", loss="hinge", seed=seed, extra_overrides=["critic.norm=spectral"])
        frame = pd.read_csv(run / "metrics.csv")
        low, high = SPECTRAL_COLUMNS
        frame[low], frame[high] = 1.0, 1.01
        frame.loc[5, high] = worst if seed == 1 else 1.01           # one step of one run
        frame.to_csv(run / "metrics.csv", index=False)
    settings, claims = load_config("family_claims.yaml")
    [claim] = [c for c in claims if c["id"] == "sngan_spectral_norms_stay_near_one"]
    table = summary_table(load_sweep(tmp_path), {**DEFAULT_SETTINGS, **settings}, config_keys=["critic.norm"])
    assert table[f"max_{high}"].tolist() == [1.01, worst, 1.01] and table[f"min_{low}"].tolist() == [1.0] * 3
    [result] = judge([claim], table, settings)             # grouped as the report groups: the numbers are no parameter
    assert result.verdict == verdict
    assert [c.seeds for c in result.conditions] == [3, 3]
    assert not any(f"max_{high}=" in c.numbers for c in result.conditions)


def test_a_number_named_by_a_list_selector_reads_like_the_condition():
    rows = [{"run": f"{m},{d},{s}", "model": m, "data": d, "seed": s, "status": "finished", "fid_rel": 0.6}
            for m in ("mlp", "dcgan") for d in ("fashion_mnist",) for s in range(3)]
    claim = {"id": "c", "claim": "c", "conditions": [
        {"runs": {"model": "mlp", "data": ["fashion_mnist", "mnist"]}, "metric": "fid_rel", "min": 0.5,
         "over": "each_group_mean"}]}
    frame = pd.DataFrame(rows)
    frame.loc[frame["model"] == "dcgan", "data"] = "mnist"                 # data varies over the sweep
    [result] = judge([claim], frame, config_keys=["model", "data"])
    assert "data=fashion_mnist|mnist: 0.6 ± 0 (mean of 3 seeds)" in result.conditions[0].numbers
    assert "[" not in result.conditions[0].numbers


def test_an_objectives_final_logged_value_is_judged_over_the_seeds_not_as_a_parameter(tmp_path):
    import json

    from tests.report.fabricate import write_run
    from wgan_repro.report.claims import load_config
    from wgan_repro.report.collect import load_sweep
    from wgan_repro.report.tables import DEFAULT_SETTINGS, summary_table

    for seed, k_end in enumerate((0.02, 0.03, 0.04)):
        run = write_run(tmp_path, model="dcgan", loss="began", seed=seed)
        frame = pd.read_csv(run / "metrics.csv")
        frame["k_t"] = [k_end * i / (len(frame) - 1) for i in range(len(frame))]
        frame.to_csv(run / "metrics.csv", index=False)
        meta = json.loads((run / "run.json").read_text())
        meta["objective"] = {"name": "began", "estimate": "M_global", "logged": ["k_t"]}
        (run / "run.json").write_text(json.dumps(meta))
    settings, claims = load_config("family_claims.yaml")
    [claim] = [c for c in claims if c["id"] == "began_k_t_settles_inside"]
    table = summary_table(load_sweep(tmp_path), {**DEFAULT_SETTINGS, **settings})
    assert table["final_k_t"].tolist() == pytest.approx([0.02, 0.03, 0.04])
    [result] = judge([claim], table, settings)
    assert result.verdict == REPRODUCED and [c.seeds for c in result.conditions] == [3]
