"""The third verdict (inconclusive: a failure that more training could still turn), the seed
rules and the claims on optimizers and 2-D mode dropping, on fabricated sweeps whose numbers
are known."""
import itertools

import numpy as np
import pandas as pd
import pytest

from tests.report.fabricate import optimizer_sweep, paper_sweep, points_sweep, rebounding, seeds_sweep, settling
from tests.report.test_claims import edited_claims, verdicts
from wgan_repro.report.build import build_report
from wgan_repro.report.claims import (
    FAIL,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    NOT_TESTED,
    REPRODUCED,
    load_config,
    selector_keys,
)
from wgan_repro.report.collect import load_sweep
from wgan_repro.report.tables import summary_table

BASE = {"wgan_estimate_tracks_fid": REPRODUCED, "gan_js_does_not_track_fid": REPRODUCED,
        "dcgan_both_work": REPRODUCED, "nobn_gan_fails_wgan_learns": REPRODUCED,
        "mlp_gan_collapses_wgan_does_not": REPRODUCED, "wgan_no_mode_collapse": REPRODUCED,
        "wgan_estimate_tracks_w1": NOT_TESTED, "wgan_momentum_unstable": NOT_TESTED,
        "mlp_critic_high_lr_fails": NOT_TESTED, "gan_drops_modes_2d": NOT_TESTED}


def summary_of(sweep) -> pd.DataFrame:
    settings, claims = load_config()
    return summary_table(load_sweep(sweep), settings, selector_keys(claims))


def one(summary, **params) -> pd.Series:
    match = summary
    for key, value in params.items():
        match = match[match[key].astype(str) == str(value)]
    assert len(match) == 1, params
    return match.iloc[0]


def theil_sen_drop(values, every=10) -> float:
    """The fall over the points of the median pairwise slope, computed here from its definition."""
    x = np.arange(len(values)) * every
    slopes = [(values[j] - values[i]) / (x[j] - x[i]) for i, j in itertools.combinations(range(len(values)), 2)]
    return -float(np.median(slopes)) * (x[-1] - x[0])


# --------------------------------------------------------------------------- inconclusive
def test_a_run_still_improving_at_its_end_makes_a_failure_inconclusive(tmp_path):
    # dcgan/nsgan ends at FID 100, fid_rel (100 - 2) / 400 = 0.245 > 0.2, but its FID falls in a
    # line from 200 to the end: 100/9 per evaluation, so over its last 4 periodic evaluations
    # (iterations 60-90; the final one at 100 is on more samples and left out) 33.3 of a
    # 400-unit range: 8.3 %.
    sweep = tmp_path / "sweep"
    paper_sweep(sweep, dcgan_nsgan_fid=100.0, still_improving=[("dcgan", "nsgan")])
    results = verdicts(sweep)
    assert {k: r.verdict for k, r in results.items()} == {**BASE, "dcgan_both_work": INCONCLUSIVE}
    claim = results["dcgan_both_work"]
    note = ("still improving at iteration 100 (model=dcgan, loss=nsgan, seed=0: FID fell 8.3 % of the "
            "floor-ceiling range over its last 4 evaluations)")
    assert claim.note == note and claim.flag == "1 seed"
    failing = claim.conditions[1]
    assert failing.outcome == FAIL and failing.inconclusive and failing.still_improving == [note]
    assert failing.numbers == "model=dcgan, loss=nsgan: 0.245 (fewer than 3 seeds; still improving)"
    run = one(summary_of(sweep), model="dcgan", loss="nsgan")
    assert bool(run["still_improving"]) and run["improvement_basis"] == "range" and run["improvement_points"] == 4
    assert run["improvement_last_window"] == pytest.approx(3 * 100 / 9 / 400)
    assert run["improvement_last_window"] == pytest.approx(theil_sen_drop(np.linspace(200, 100, 10)[5:9]) / 400)

    report = build_report(sweep).parent
    md = (report / "claims.md").read_text()
    assert f"| **inconclusive** (1 seed): {note} |" in md
    assert "0 not reproduced, 1 inconclusive" in md and "**fail, but still improving**" in md
    html = (report / "index.html").read_text()
    assert html.count('<tr class="open">') == 1 and f"<b>inconclusive</b> (1 seed): {note}" in html


def test_a_failure_on_a_settled_run_stays_not_reproduced(tmp_path):
    # the same final FID 100, but reached by a curve that has flattened out: the last 4 periodic
    # evaluations still fall in rank (rho = -1), by less than 2 % of the range
    sweep = tmp_path / "sweep"
    paper_sweep(sweep, dcgan_nsgan_fid=100.0)
    results = verdicts(sweep)
    assert {k: r.verdict for k, r in results.items()} == {**BASE, "dcgan_both_work": NOT_REPRODUCED}
    assert results["dcgan_both_work"].note == "" and not results["dcgan_both_work"].conditions[1].inconclusive
    run = one(summary_of(sweep), model="dcgan", loss="nsgan")
    expected = theil_sen_drop(settling(200, 100, 10)[5:9]) / 400
    assert 0 < expected < 0.02 and run["improvement_last_window"] == pytest.approx(expected)
    assert not run["still_improving"] and run["quality_rebound"] == 0


def test_a_gan_fails_condition_broken_while_the_gan_improves_stays_not_reproduced(tmp_path):
    # the GAN without BatchNorm learns (fid_rel 0.07 < 0.5) and is still improving: more training
    # takes it further from failing, so its failure is a failure
    sweep = tmp_path / "sweep"
    paper_sweep(sweep, nobn_nsgan_status="finished", still_improving=[("dcgan_nobn", "nsgan")])
    results = verdicts(sweep)
    assert {k: r.verdict for k, r in results.items()} == {**BASE, "nobn_gan_fails_wgan_learns": NOT_REPRODUCED}
    failing = results["nobn_gan_fails_wgan_learns"].conditions[1]
    assert failing.outcome == FAIL and not failing.inconclusive and failing.still_improving == []
    assert failing.numbers == "model=dcgan_nobn, loss=nsgan: 0.07 (fewer than 3 seeds)"
    assert bool(one(summary_of(sweep), model="dcgan_nobn", loss="nsgan")["still_improving"])


@pytest.mark.parametrize("gan_covered, collapse_verdict", [(3, INCONCLUSIVE), (6, NOT_REPRODUCED)])
def test_a_rising_number_below_its_min_while_improving_is_inconclusive_unless_another_failure_is_real(
        tmp_path, gan_covered, collapse_verdict):
    # MLP/WGAN covers 8 of 10 classes (< 0.9) while its FID still falls 250 -> 90 in a line
    # (13.3 % of the range over its last 4 evaluations). With the GAN covering 6 of 10 (> 0.5)
    # the collapse claim also fails on a run that more training would not fix.
    sweep = tmp_path / "sweep"
    paper_sweep(sweep, mlp_wgan_covered=8, mlp_nsgan_covered=gan_covered, still_improving=[("mlp", "wgan")])
    results = verdicts(sweep)
    note = ("still improving at iteration 100 (model=mlp, loss=wgan, seed=0: FID fell 13.3 % of the "
            "floor-ceiling range over its last 4 evaluations)")
    assert {k: r.verdict for k, r in results.items()} == {
        **BASE, "mlp_gan_collapses_wgan_does_not": collapse_verdict, "wgan_no_mode_collapse": INCONCLUSIVE}
    assert results["wgan_no_mode_collapse"].note == note
    assert results["mlp_gan_collapses_wgan_does_not"].note == (note if collapse_verdict == INCONCLUSIVE else "")
    each_run = results["wgan_no_mode_collapse"].conditions[0].numbers
    assert each_run.endswith("model=mlp: 0.8 (fewer than 3 seeds; still improving)")


def test_correlation_failures_are_never_inconclusive(tmp_path):
    # every run still improving, one WGAN seed's estimate rising: rho -1 fails the tracking claim,
    # and a correlation has no direction that more training would move
    sweep = tmp_path / "sweep"
    seeds_sweep(sweep, rising_estimate_seed=2, improving=True)
    assert summary_of(sweep)["still_improving"].all()
    results = verdicts(sweep)
    claim = results["wgan_estimate_tracks_fid"]
    assert claim.verdict == NOT_REPRODUCED and claim.flag == "" and claim.note == ""
    assert claim.conditions[0].numbers == "loss=wgan: 2 of 3 seeds pass (seed 0: 1, seed 1: 1, seed 2: -1)"
    assert results["dcgan_both_work"].verdict == REPRODUCED


# --------------------------------------------------------------------------- seeds
def test_fewer_than_min_seeds_is_marked_and_flags_the_claim(paper):
    _, _, report = paper
    md = (report / "claims.md").read_text()
    assert md.count("**reproduced** (1 seed)") == 6 and "### dcgan_both_work: reproduced (1 seed)" in md
    # dcgan/wgan has 2 seeds, everything else 1: the flag is the fewest
    assert "model=dcgan: 2 of 2 seeds pass (seed 0: 1, seed 1: 1; fewer than 3 seeds); " \
           "model=dcgan_nobn: 1 (fewer than 3 seeds); model=mlp: 1 (fewer than 3 seeds)" in md
    assert "model=dcgan, loss=wgan: 0.1 ± 0.00707 (mean of 2 seeds; fewer than 3 seeds)" in md
    assert "<b>reproduced</b> (1 seed)" in (report / "index.html").read_text()


def test_three_seeds_give_mean_and_std_and_no_flag(tmp_path):
    # final FIDs 38, 42, 46 (wgan) and 30, 34, 38 (nsgan): fid_rel 0.09, 0.10, 0.11 and 0.07, 0.08, 0.09
    sweep = tmp_path / "sweep"
    seeds_sweep(sweep)
    results = verdicts(sweep)
    both = results["dcgan_both_work"]
    assert both.verdict == REPRODUCED and both.flag == ""
    assert [c.numbers for c in both.conditions] == ["loss=wgan: 0.1 ± 0.01 (mean of 3 seeds)",
                                                    "loss=nsgan: 0.08 ± 0.01 (mean of 3 seeds)"]
    assert [c.seeds for c in both.conditions] == [3, 3]
    tracks = results["wgan_estimate_tracks_fid"]
    assert tracks.verdict == REPRODUCED and tracks.flag == ""
    assert tracks.conditions[0].numbers == "loss=wgan: 3 of 3 seeds pass (seed 0: 1, seed 1: 1, seed 2: 1)"
    md = (build_report(sweep).parent / "claims.md").read_text()
    assert md.count("| **reproduced** |") == 4 and "**reproduced** (" not in md and "fewer than" not in md


def test_min_seeds_comes_from_the_settings(paper, tmp_path):
    sweep, _, _ = paper

    def one_seed(_, data):
        data["settings"]["min_seeds"] = 1

    results = verdicts(sweep, edited_claims(tmp_path, one_seed))
    assert all(r.flag == "" for r in results.values())
    assert results["nobn_gan_fails_wgan_learns"].conditions[0].numbers.endswith("dcgan_nobn: 0.145")  # no mark


# --------------------------------------------------------------------------- optimizers, 2-D
def test_optimizer_claims_select_runs_by_their_overrides_and_config(tmp_path):
    sweep = tmp_path / "sweep"
    optimizer_sweep(sweep)
    summary = summary_of(sweep)
    # the RMSProp runs override nothing: their optimizer and rate come from run.json
    plain = one(summary, run="loss=wgan,model=dcgan,seed=0")
    assert (plain["loss.optim.name"], plain["loss.optim.lr"]) == ("rmsprop", "5e-05")
    assert one(summary, run="loss.optim.name=adam,loss=wgan,model=dcgan,seed=0")["loss.optim.lr"] == "5e-05"
    # rebound over the periodic evaluations: Adam 60 -> 120, high rate 50 -> 90 and 50 -> 100, of 400
    assert one(summary, **{"loss.optim.name": "adam", "seed": 1})["quality_rebound"] == pytest.approx(0.15)
    fast = summary[(summary["loss.optim.lr"] == "0.0005") & (summary["status"] == "finished")]
    assert fast["quality_rebound"].tolist() == pytest.approx([0.1, 0.125])
    assert (fast["improvement_last_window"] < 0).all() and not fast["still_improving"].any()

    results = verdicts(sweep)
    momentum = results["wgan_momentum_unstable"]
    assert momentum.verdict == REPRODUCED and momentum.flag == ""
    assert [c.numbers for c in momentum.conditions] == [
        "model=dcgan, critic=dcgan: "
        "3 of 3 seeds pass (seed 0: 0, seed 1: 0, seed 2: 0)",
        "model=dcgan, critic=dcgan: 0.15 ± 0 (mean of 3 seeds)",
        "model=dcgan, critic=dcgan: 0.113 ± 0.0177 (mean of 2 seeds; +1 diverged)"]
    # the MLP critic at 5e-4 (spelled `loss.optim.lr=5e-4`) stays near noise: fid_rel (299..301) / 400
    mlp = results["mlp_critic_high_lr_fails"]
    assert mlp.verdict == REPRODUCED
    assert mlp.conditions[0].numbers == "model=mlp, critic=mlp: 0.75 ± 0.0025 (mean of 3 seeds)"


def test_a_rmsprop_run_that_loses_quality_fails_the_stability_claim(tmp_path):
    # RMSProp at 5e-5 reaching FID 40 and ending at 70: rebound 30 / 400 = 0.075 > 0.05
    sweep = tmp_path / "sweep"
    optimizer_sweep(sweep, rmsprop_fid=rebounding(200, 40, 70, 9, 5))
    momentum = verdicts(sweep)["wgan_momentum_unstable"]
    assert momentum.verdict == NOT_REPRODUCED
    assert momentum.conditions[0].numbers.endswith("0 of 3 seeds pass (seed 0: 0.075, seed 1: 0.075, seed 2: 0.075)")


def test_a_2d_gan_keeping_every_mode_is_not_reproduced_even_while_improving(tmp_path):
    # W1 still falls in a line (relative to its level: no ceiling in final_eval.json), but a GAN
    # that covers 8 of 8 modes breaks "drops modes" on the side more training does not undo
    sweep = tmp_path / "sweep"
    points_sweep(sweep, nsgan_modes=8)
    gan = one(summary_of(sweep), loss="nsgan")
    assert bool(gan["still_improving"]) and gan["improvement_basis"] == "relative"
    claim = verdicts(sweep)["gan_drops_modes_2d"]
    assert claim.verdict == NOT_REPRODUCED and not claim.conditions[0].inconclusive
    assert claim.conditions[0].numbers == "loss=nsgan: 1 (fewer than 3 seeds)"
