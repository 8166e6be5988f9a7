"""The theory claims (wgan_repro/conf/theory_claims.yaml) judged on fabricated theory run
folders: for every claim a run that meets its threshold, one that misses it and one without
its number or without its run. Nothing here trains: the one test that touches the
experiments calls their pure summarize() functions on small frames, to check that the
fabricated summaries have the keys the experiments write."""
import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.report.fabricate_theory import (
    ABSENT,
    DROP,
    MISSES,
    PASSING,
    PROPOSED,
    TASKS,
    theory_folder,
    write_theory_run,
)
from wgan_repro.report.claims import NOT_REPRODUCED, NOT_TESTED, NUMBERS, REPRODUCED, load_config
from wgan_repro.report.collect import ReportError
from wgan_repro.report.theory_claims import (
    THEORY_CLAIMS,
    claim_tasks,
    flatten_numbers,
    judge_theory,
    theory_summary,
)

CLAIMS = [c["id"] for c in yaml.safe_load(THEORY_CLAIMS.read_text())["claims"]]


def verdicts(theory_dir, **kwargs) -> dict:
    return {r.id: r for r in judge_theory(theory_dir, **kwargs)}


def numbers(result) -> str:
    return "; ".join(c.numbers for c in result.conditions)


@pytest.fixture(scope="module")
def passing(tmp_path_factory):
    return theory_folder(tmp_path_factory.mktemp("passing") / "theory")


# --------------------------------------------------------------------------- the claims file
def test_the_claims_file_covers_every_experiment_in_the_papers_order():
    tasks = claim_tasks()
    assert list(tasks) == CLAIMS and len(CLAIMS) == len(set(CLAIMS)) == 14
    assert set(tasks.values()) == set(TASKS)
    order = [tasks[c] for c in CLAIMS]                   # WGAN Ex. 1, Fig. 2, Sec. 3, then TP Figs. 1-3, Sec. 3
    assert order == sorted(order, key=["parallel_lines", "optimal_critic", "critic_surface",
                                       "vanishing_gradients", "instance_noise"].index)
    assert set(MISSES) == set(ABSENT) == set(CLAIMS)     # every claim has its three cases below


def test_a_theory_claims_file_is_refused_where_a_sweep_metric_is_expected():
    with pytest.raises(ReportError, match="unknown metric 'closed_forms_max_error'; use one of iter"):
        load_config(THEORY_CLAIMS)                       # the sweep's check of NUMBERS stays
    settings, claims = load_config(THEORY_CLAIMS, metrics=None)
    assert settings["min_seeds"] == 1 and len(claims) == 14


def test_a_theory_claim_without_a_metric_is_one_clear_error(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text("claims:\n- {id: x, claim: y, conditions: [{runs: {task: a}, min: 1}]}\n")
    with pytest.raises(ReportError, match="unknown metric None; name a number of the summary"):
        load_config(path, metrics=None)


# --------------------------------------------------------------------------- the table
def test_theory_summary_has_one_row_per_run_and_every_number_flattened(passing):
    summary = theory_summary(passing)
    assert list(summary.columns[:4]) == ["run", "task", "status", "message"]
    assert sorted(summary["run"]) == sorted(TASKS) and (summary["status"] == "finished").all()
    row = summary.set_index("run").loc["parallel_lines"]
    assert row["final_abs_theta.wgan"] == 0.02 and row["options.theta0"] == 1.0 and row["wall_time"] == 12.5
    assert "moved_to_zero" not in summary and "finding" not in summary       # lists and text left out
    stages = summary.set_index("run").loc["vanishing_gradients"]
    assert stages["stages.300.steps_to_accuracy_0.99"] == 12
    assert summary["deep_input_layer_grad_norm.0.1"].dtype.kind == "f"


def test_flatten_numbers_joins_keys_and_keeps_null_as_nan():
    flat = flatten_numbers({"a": {"b": 1, "c": None, "d": [1, 2], "e": True}, "f": math.inf, "g": "text"})
    assert set(flat) == {"a.b", "a.c", "f"} and math.isnan(flat["a.c"]) and flat["f"] == math.inf


def test_a_run_still_going_takes_its_task_from_its_hydra_config(tmp_path):
    run = write_theory_run(tmp_path / "theory", "optimal_critic", status="running", summary=False)
    run.rename(tmp_path / "theory" / "renamed")
    summary = theory_summary(tmp_path / "theory")
    assert summary[["run", "task", "status"]].values.tolist() == [["renamed", "optimal_critic", "running"]]


def test_a_missing_theory_folder_is_an_empty_table_and_a_file_is_an_error(tmp_path):
    assert theory_summary(tmp_path / "none").empty
    (tmp_path / "file").write_text("")
    with pytest.raises(ReportError, match="is a file, not a folder of theory runs"):
        theory_summary(tmp_path / "file")


# --------------------------------------------------------------------------- verdicts
def test_every_claim_is_reproduced_by_runs_that_meet_its_thresholds(passing):
    results = verdicts(passing)
    assert list(results) == CLAIMS
    assert {k: r.verdict for k, r in results.items()} == dict.fromkeys(CLAIMS, REPRODUCED)
    # one run per experiment by design: no seed notes, no flag
    assert all(r.flag == "" for r in results.values())
    assert not any("seed" in c.numbers for r in results.values() for c in r.conditions)
    assert numbers(results["parallel_lines_w_estimate_rises"]) == "0.97"        # no label: one run
    assert numbers(results["fresh_discriminator_reaches_accuracy_1"]) == "100: 1; 300: 1; 1000: 1; 100: 23; 300: 12; 1000: 7"


@pytest.mark.parametrize("claim", CLAIMS)
def test_a_number_past_its_threshold_is_not_reproduced(tmp_path, claim):
    task, change, text = MISSES[claim]
    theory = theory_folder(tmp_path / "theory", {task: change})
    results = verdicts(theory)
    assert results[claim].verdict == NOT_REPRODUCED, numbers(results[claim])
    assert text in numbers(results[claim])
    others = {k: r.verdict for k, r in results.items() if k != claim}
    assert others == dict.fromkeys(others, REPRODUCED)          # the change touches only this claim


@pytest.mark.parametrize("claim", CLAIMS)
def test_a_run_without_the_number_leaves_its_claim_not_tested(tmp_path, claim):
    task, key = ABSENT[claim]
    results = verdicts(theory_folder(tmp_path / "theory", {task: {key: DROP}}))
    result = results[claim]
    assert result.verdict == NOT_TESTED
    # a column no run has, or one that other experiments have (critic_linear_r2) but this run lacks
    reasons = " ".join(c.reason for c in result.conditions if c.outcome == "untested")
    assert ("recorded no" in reasons and "(their summary has no such number)" in reasons) or \
        reasons.endswith("for the selected runs (not in their summary, or null there)"), reasons


@pytest.mark.parametrize("task", TASKS)
def test_a_missing_run_leaves_its_claims_not_tested(tmp_path, task):
    results = verdicts(theory_folder(tmp_path / "theory", skip=[task]))
    mine = [k for k, t in claim_tasks().items() if t == task]
    assert mine and all(results[k].verdict == NOT_TESTED for k in mine)
    assert f"no run with task={task}" in results[mine[0]].conditions[0].reason
    assert "in theory/" in results[mine[0]].conditions[0].reason
    assert all(results[k].note == f"no {task} run in theory/" for k in mine)
    assert all(r.verdict == REPRODUCED for k, r in results.items() if k not in mine)


@pytest.mark.parametrize("status", ["running", "failed"])
def test_a_running_or_failed_run_is_not_judged_on_its_old_numbers(tmp_path, status):
    # the folder keeps the summary of an earlier run, which passes: it must not be judged
    results = verdicts(theory_folder(tmp_path / "theory", statuses={"optimal_critic": status}))
    for claim in ("optimal_discriminator_saturates", "optimal_critic_is_linear", "optimal_critic_gradient_alive"):
        assert results[claim].verdict == NOT_TESTED
        assert results[claim].conditions[0].reason == f"no finished run with task=optimal_critic (1 {status})"
        assert results[claim].note == f"the optimal_critic run is {status}"
    # a selector on a number (smallest_noise_std) finds no run while the run has not written it
    theory = theory_folder(tmp_path / "again" / "theory", skip=["instance_noise"])
    write_theory_run(theory, "instance_noise", status=status, summary=False)
    result = verdicts(theory)["instance_noise_keeps_gradient"]
    assert result.verdict == NOT_TESTED and result.note == f"the instance_noise run is {status}"
    assert "no run with task=instance_noise, smallest_noise_std=0 in theory/" in result.conditions[0].reason


def test_a_part_not_finished_overrides_its_folders_status(passing):
    results = verdicts(passing, statuses={"parallel_lines": "running", "instance_noise": "finished",
                                          "vanishing_gradients": "pending", "not_there": "pending"})
    assert results["parallel_lines_w_estimate_rises"].verdict == NOT_TESTED
    assert "(1 running)" in results["parallel_lines_w_estimate_rises"].conditions[0].reason
    assert "(1 pending)" in results["minimax_gradient_vanishes"].conditions[0].reason
    assert results["instance_noise_keeps_gradient"].verdict == REPRODUCED
    summary = theory_summary(passing, {"not_there": "pending"})
    assert summary.set_index("run").loc["not_there", "status"] == "pending"


def test_the_bounds_are_inclusive(tmp_path):
    theory = theory_folder(tmp_path / "theory", {"parallel_lines": {"critic_rank_correlation": 0.9},
                                                  "instance_noise": {"grad_ratio_largest_vs_smallest_noise": 10}})
    results = verdicts(theory)
    assert results["parallel_lines_w_estimate_rises"].verdict == REPRODUCED
    assert results["instance_noise_keeps_gradient"].verdict == REPRODUCED


def test_infinities_are_judged_and_a_stage_without_a_value_is_said(tmp_path):
    theory = theory_folder(tmp_path / "theory", {
        "vanishing_gradients": {"min_minimax_drop": math.inf, "stages.1000.steps_to_accuracy_0.99": None}})
    results = verdicts(theory)
    assert results["minimax_gradient_vanishes"].verdict == REPRODUCED        # the gradient fell to exactly 0
    assert numbers(results["minimax_gradient_vanishes"]) == "inf"
    reach = results["fresh_discriminator_reaches_accuracy_1"].conditions[1]
    assert reach.outcome == "pass" and reach.numbers == "100: 23; 300: 12; 1000: no value"
    assert reach.reason == "1 of 3 without a value, not judged"


def test_a_wildcard_that_matches_no_number_is_not_tested(tmp_path):
    results = verdicts(theory_folder(tmp_path / "theory", {"vanishing_gradients": {"stages": {}}}))
    reason = results["nonsat_gradient_grows"].conditions[1].reason
    assert reason == ("the runs with task=vanishing_gradients recorded no stages.*.nonsat_std_growth "
                      "(their summary has no such number)")


def test_two_runs_of_one_experiment_are_judged_each_by_its_folder(tmp_path):
    theory = theory_folder(tmp_path / "theory", skip=["optimal_critic"])
    write_theory_run(theory, "optimal_critic")
    other = write_theory_run(tmp_path / "spare", "optimal_critic", {"critic_linear_r2": 0.5})
    other.rename(theory / "optimal_critic_again")
    result = verdicts(theory)["optimal_critic_is_linear"]
    assert result.verdict == NOT_REPRODUCED
    assert numbers(result) == "run=optimal_critic: 0.995; run=optimal_critic_again: 0.5"


def test_a_claims_file_of_ones_own(tmp_path, passing):
    data = yaml.safe_load(THEORY_CLAIMS.read_text())
    data["claims"] = [c for c in data["claims"] if c["id"] == "optimal_critic_is_linear"]
    data["claims"][0]["conditions"][0]["min"] = 0.999                       # stricter than 0.995
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    results = judge_theory(passing, path)
    assert [(r.id, r.verdict) for r in results] == [("optimal_critic_is_linear", NOT_REPRODUCED)]


# --------------------------------------------------------------------------- the contract
def real_summaries() -> dict:
    """What each experiment's summarize() returns on small frames, with the stages, clips and
    noise scales of the fabricated summaries (pure pandas: nothing is trained)."""
    from wgan_repro.theory import critic_surface, instance_noise, optimal_critic, parallel_lines, vanishing_gradients

    thetas = np.linspace(-1, 1, 5)
    distances = pd.DataFrame({"theta": thetas, "critic_estimate": 0.01 * np.abs(thetas),
                              "js_estimate": np.where(thetas == 0, 0.0, math.log(2)), "closed_form_error": 0.0})
    training = pd.DataFrame([{"objective": o, "iter": i, "theta": 1.0 / i, "grad": 0.1}
                             for o in ("wgan", "gan", "nsgan") for i in range(1, 11)])
    x = np.linspace(-5, 5, 101)
    curves = pd.DataFrame({"x": x, "f": -0.01 * x, "grad_gan": np.exp(-x ** 2), "grad_wgan": np.full_like(x, 0.01)})
    fakes = pd.DataFrame({"x": np.linspace(1, 3, 20), "D": 1e-5, "grad_gan": 1e-9, "grad_wgan": 0.01})
    layers = pd.DataFrame([{"clip": c, "layer": k, "grad_norm": c ** k, "share_at_bound": 0.5}
                           for c in (0.001, 0.01, 0.1) for k in (1, 2, 3)])
    hist = pd.DataFrame({"left": np.arange(41), "right": np.arange(1, 42), "count_start": 10, "count_trained": 10})
    rows = []
    for stage in (100, 300, 1000):
        for critic in ("gan", "wgan"):
            for step in (1, 10, 100):
                rows.append({"stage": stage, "critic": critic, "step": step, "accuracy": 0.5 + step / 200,
                             "grad_minimax_mean": 1 / step, "grad_nonsat_mean": step, "grad_nonsat_std": step / 10,
                             "grad_wgan_mean": 1.0, "grad_wgan_std": 0.1})
    final = pd.DataFrame({"noise_std": [1.0, 0.3, 0.1, 0.0], "accuracy": 0.9, "grad_minimax_mean": [1.0, 0.1, 0.01, 0.001],
                          "grad_nonsat_mean": 1.0, "minimax_drop": 2.0})
    lines = _preset("parallel_lines")
    vanishing = _preset("vanishing_gradients")
    return {"parallel_lines": parallel_lines.summarize(distances, training, 1.0, lines["objectives"]),
            "optimal_critic": optimal_critic.summarize(curves, fakes, -2.0, 2.0, 0.5),
            "critic_surface": critic_surface.summarize(layers, hist, 0.01, 0.03, 4, 10),
            "vanishing_gradients": vanishing_gradients.summarize(
                pd.DataFrame(rows), [100, 300, 1000], vanishing["discriminator"], vanishing["critic"],
                next(iter(vanishing["critic_probes"]))),
            "instance_noise": instance_noise.summarize(final)}


def _preset(name: str) -> dict:
    """The theory options of conf/experiment/<name>.yaml (the objectives each experiment uses)."""
    import yaml

    from wgan_repro.cli import CONF_DIR

    return yaml.safe_load((CONF_DIR / "experiment" / f"{name}.yaml").read_text())["theory"]


def test_the_fabricated_summaries_have_the_keys_the_experiments_write():
    real = real_summaries()
    for task in TASKS:
        written, fabricated = set(flatten_numbers(real[task])), set(flatten_numbers(PASSING[task]))
        assert written <= fabricated, (task, written - fabricated)
        assert fabricated - written <= set(PROPOSED.get(task, [])), (task, fabricated - written)
        assert isinstance(real[task]["finding"], str) and json.dumps(real[task], default=str)
    # every metric of the claims file is written by its experiment, or is one it does not write yet
    _, claims = load_config(THEORY_CLAIMS, metrics=None)
    tasks = claim_tasks()
    for claim in claims:
        written = set(flatten_numbers(real[tasks[claim["id"]]])) | set(PROPOSED.get(tasks[claim["id"]], []))
        for cond in claim["conditions"]:
            pattern = cond["metric"].replace(".", r"\.").replace("*", ".*")
            assert any(pd.Series([k]).str.fullmatch(pattern).iloc[0] for k in written), (claim["id"], cond["metric"])
            assert cond["metric"] not in NUMBERS


def test_every_claim_number_is_written_by_its_experiment():
    """No claim waits for a number its experiment does not record (PROPOSED is empty)."""
    assert PROPOSED == {}
