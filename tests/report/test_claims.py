"""Verdicts follow the numbers and the thresholds of the claims file, never a fixed answer."""
import json

import pytest
import yaml

from tests.report.fabricate import paper_sweep
from wgan_repro.report.claims import (
    DEFAULT_CLAIMS,
    NOT_REPRODUCED,
    NOT_TESTED,
    REPRODUCED,
    judge,
    load_config,
    selector_keys,
)
from wgan_repro.report.collect import ReportError, load_sweep
from wgan_repro.report.tables import summary_table


def verdicts(sweep, claims_file=None) -> dict:
    """{claim id: ClaimResult}, judged as build_report judges them."""
    settings, claims = load_config(claims_file)
    summary = summary_table(load_sweep(sweep), settings, selector_keys(claims))
    return {r.id: r for r in judge(claims, summary, settings)}


def test_the_fabricated_paper_sweep_reproduces_its_claims(paper):
    _, _, report = paper
    results = {r["id"]: r for r in json.loads((report / "claims.json").read_text())}
    assert {k: r["verdict"] for k, r in results.items()} == {
        "wgan_estimate_tracks_fid": REPRODUCED, "gan_js_does_not_track_fid": REPRODUCED,
        "dcgan_both_work": REPRODUCED, "nobn_gan_fails_wgan_learns": REPRODUCED,
        "mlp_gan_collapses_wgan_does_not": REPRODUCED, "wgan_no_mode_collapse": REPRODUCED,
        "wgan_estimate_tracks_w1": NOT_TESTED, "wgan_momentum_unstable": NOT_TESTED,
        "mlp_critic_high_lr_fails": NOT_TESTED, "gan_drops_modes_2d": NOT_TESTED}
    nobn = results["nobn_gan_fails_wgan_learns"]["conditions"]
    assert nobn[1]["numbers"] == "model=dcgan_nobn, loss=nsgan: 1 of 1 diverged (fewer than 3 seeds)"
    assert nobn[1]["outcome"] == "pass"
    assert nobn[0]["numbers"] == "model=dcgan_nobn, loss=wgan: 0.145 (fewer than 3 seeds)"      # (60 - 2) / 400
    dcgan = results["dcgan_both_work"]["conditions"][0]["numbers"]
    # (40, 44) -> (0.095, 0.105)
    assert dcgan == "model=dcgan, loss=wgan: 0.1 ± 0.00707 (mean of 2 seeds; fewer than 3 seeds)"
    md = (report / "claims.md").read_text()
    assert md.count("**reproduced**") == 6 and md.count("**not tested by this sweep**") == 4
    assert "spearman_estimate_fid >= 0.6 for every run" in md and "fid_rel >= 0.5 (mean over seeds)" in md
    # the minimax gan is shown beside nsgan, never judged
    beside = results["dcgan_both_work"]["conditions"][1]["beside"]
    assert beside["runs"] == "model=dcgan, critic=dcgan, loss=gan" and beside["outcome"] == "untested"
    assert "1 failed" in beside["reason"] and "beside, not judged: model=dcgan, critic=dcgan, loss=gan" in md


@pytest.mark.parametrize("change, claim", [
    ({"mlp_wgan_covered": 8}, "mlp_gan_collapses_wgan_does_not"),      # WGAN covers 0.8 < 0.9
    ({"mlp_nsgan_covered": 6}, "mlp_gan_collapses_wgan_does_not"),     # the GAN covers 0.6 > 0.5
    ({"nobn_nsgan_status": "finished"}, "nobn_gan_fails_wgan_learns"),  # GAN without BN reaches fid_rel 0.07
    ({"dcgan_nsgan_fid": 100.0}, "dcgan_both_work"),                    # (100 - 2) / 400 = 0.245 > 0.2
])
def test_changing_a_number_changes_the_verdict(tmp_path, change, claim):
    paper_sweep(tmp_path / "sweep", **change)
    results = verdicts(tmp_path / "sweep")
    assert results[claim].verdict == NOT_REPRODUCED
    assert sum(r.verdict == NOT_REPRODUCED for r in results.values()) == (2 if "mlp_wgan_covered" in change else 1)
    if "mlp_wgan_covered" in change:     # no collapse for every WGAN run fails too
        assert results["wgan_no_mode_collapse"].verdict == NOT_REPRODUCED


def test_the_numbers_at_the_threshold_pass(tmp_path):
    paper_sweep(tmp_path / "sweep", mlp_nsgan_covered=5)                # exactly 0.5: max is inclusive
    assert verdicts(tmp_path / "sweep")["mlp_gan_collapses_wgan_does_not"].verdict == REPRODUCED


def edited_claims(tmp_path, edit) -> str:
    data = yaml.safe_load(DEFAULT_CLAIMS.read_text())
    edit({c["id"]: c for c in data["claims"]}, data)
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_changing_a_threshold_changes_the_verdict(paper, tmp_path):
    sweep, _, _ = paper

    def stricter(claims, _):
        claims["dcgan_both_work"]["conditions"][0]["max"] = 0.09            # wgan/dcgan has 0.1
        claims["nobn_gan_fails_wgan_learns"]["conditions"][1]["diverged"] = "fail"
        claims["gan_js_does_not_track_fid"]["conditions"][0]["max"] = -1.5  # nothing is below -1

    results = verdicts(sweep, edited_claims(tmp_path, stricter))
    assert results["dcgan_both_work"].verdict == NOT_REPRODUCED
    assert results["nobn_gan_fails_wgan_learns"].verdict == NOT_REPRODUCED
    assert results["gan_js_does_not_track_fid"].verdict == NOT_REPRODUCED
    assert results["wgan_estimate_tracks_fid"].verdict == REPRODUCED

    def more_points(_, data):
        data["settings"]["min_eval_points"] = 11                             # the runs have 10
    results = verdicts(sweep, edited_claims(tmp_path, more_points))
    assert results["wgan_estimate_tracks_fid"].verdict == NOT_TESTED
    assert "fewer evaluation points" in results["wgan_estimate_tracks_fid"].conditions[0].reason


def test_claims_without_runs_are_not_tested(points):
    sweep, _, report = points
    results = verdicts(sweep)
    assert results["wgan_estimate_tracks_w1"].verdict == REPRODUCED
    assert results["wgan_no_mode_collapse"].verdict == REPRODUCED           # 8 of 8 modes
    # the 2-D claims select the 2-D runs: the GAN keeps 6 of 8 modes, WGAN all 8
    assert results["gan_drops_modes_2d"].verdict == REPRODUCED
    assert [c.numbers for c in results["gan_drops_modes_2d"].conditions] == [
        "loss=nsgan: 0.75 (fewer than 3 seeds)", "loss=wgan: 1 (fewer than 3 seeds)"]
    assert results["wgan_estimate_tracks_w1"].conditions[0].numbers == "loss=wgan: 1 (fewer than 3 seeds)"
    for claim in ("wgan_estimate_tracks_fid", "dcgan_both_work", "nobn_gan_fails_wgan_learns",
                  "wgan_momentum_unstable", "mlp_critic_high_lr_fails"):
        assert results[claim].verdict == NOT_TESTED
    assert "no run with model=dcgan_nobn, critic=dcgan, loss=wgan" in results["nobn_gan_fails_wgan_learns"].conditions[0].reason


@pytest.mark.parametrize("content, message", [
    ("claims: [", "not valid YAML"),
    ("settings: {}\n", "needs a `claims:` list"),
    ("claims:\n- {id: x, claim: y, conditions: [{runs: {loss: wgan}, metric: fidd, min: 1}]}\n", "unknown metric 'fidd'"),
    ("claims:\n- {id: x, claim: y, conditions: [{runs: {loss: wgan}, metric: fid}]}\n", "min and/or max"),
    ("claims:\n- {id: x, claim: y, conditions: [{runs: {loss: wgan}, metric: fid, max: 1, over: all}]}\n", "over must be"),
    ("settings: {min_seeds: 0}\nclaims: []\n", "settings.min_seeds must be a whole number >= 1"),
    ("settings: {improvement_max_spearman: clear}\nclaims: []\n", "settings.improvement_max_spearman must be a number"),
])
def test_a_bad_claims_file_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "claims.yaml"
    path.write_text(content)
    with pytest.raises(ReportError, match=message):
        load_config(path)
    with pytest.raises(ReportError, match="cannot read the claims file"):
        load_config(tmp_path / "none.yaml")
