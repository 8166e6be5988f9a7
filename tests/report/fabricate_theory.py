"""Fabricated theory run folders and reproduction folders, written the way the theory
experiments and wgan_repro.reproduce write them (summary.json, status.json, figure.png,
run.log, .hydra/config.yaml; parts.json), with numbers chosen by the test so that every
theory claim's verdict is known."""
from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path
from typing import Optional

from tests.report.fabricate import write_png

DROP = object()                      # a change that removes the key
TASKS = ("parallel_lines", "optimal_critic", "critic_surface", "vanishing_gradients", "instance_noise")
# Numbers a claim needs that the experiments do not record yet (see theory_claims.yaml): none.
PROPOSED: dict = {}


def _stage(accuracy: float = 1.0, steps: Optional[int] = 23, drop: float = 1.0e4, growth: float = 8.0,
           std_growth: float = 12.0, wgan_min: float = 0.8) -> dict:
    """One stage of vanishing_gradients' summary, in the order its summarize() writes it."""
    return {"steps_to_accuracy_0.99": steps, "final_accuracy": accuracy, "minimax_first": 0.5,
            "minimax_last": 0.5 / drop, "minimax_drop": drop, "nonsat_mean_growth": growth,
            "nonsat_std_growth": std_growth, "nonsat_relative_spread_last": 0.3, "wgan_first": 0.02,
            "wgan_last": 0.02 * wgan_min, "wgan_last_over_first": wgan_min, "wgan_min_over_first": wgan_min,
            "wgan_relative_spread_last": 0.05}


# The numbers each experiment's summarize() returns, all meeting the claims' thresholds.
PASSING = {
    "parallel_lines": {
        "critic_rank_correlation": 0.97, "critic_slope": 0.012, "critic_linear_r2": 0.98,
        "js_estimate_min": 0.68, "js_estimate_max": 0.6931, "js_max_relative_deviation": 0.019,
        "js_estimate_at_zero": 0.004, "final_abs_theta": {"wgan": 0.02, "gan": 0.99, "nsgan": 0.6},
        "first_generator_gradient": {"wgan": 0.012, "gan": 1.0e-9, "nsgan": 0.3}, "moved_to_zero": ["wgan"],
        "closed_forms_max_error": 0.0},
    "optimal_critic": {
        "median_abs_grad_gan_at_fakes": 1.0e-9, "median_abs_grad_wgan_at_fakes": 0.009,
        "median_relative_grad_gan_at_fakes": 1.0e-8, "median_relative_grad_wgan_at_fakes": 0.97,
        "share_fakes_gan_vanished": 0.99, "share_of_those_wgan_nonzero": 1.0, "share_fakes_wgan_toward_real": 1.0,
        "mean_D_at_fakes": 1.0e-5, "critic_linear_r2": 0.995, "critic_slope": -0.009},
    "critic_surface": {
        "surface_w_estimate": 0.03, "hist_clip": 0.01, "share_weights_in_edge_bins_start": 0.049,
        "share_weights_in_edge_bins_trained": 0.6,
        "deep_share_at_bound_by_clip": {"0.001": 0.9, "0.01": 0.7, "0.1": 0.2},
        "deep_input_layer_grad_norm": {"0.001": 1.0e-12, "0.01": 1.0e-4, "0.1": 1.0e7},
        "deep_last_layer_grad_norm": {"0.001": 1.0e-3, "0.01": 0.1, "0.1": 1.0e7}},
    "vanishing_gradients": {
        "stages": {"100": _stage(), "300": _stage(steps=12), "1000": _stage(steps=7, drop=2.0e5)},
        "min_minimax_drop": 1.0e4, "min_nonsat_mean_growth": 8.0, "min_wgan_min_over_first": 0.8,
        "max_wgan_relative_spread_last": 0.05},
    "instance_noise": {
        "final": {"1.0": {"accuracy": 0.8, "grad_minimax": 0.3, "grad_nonsat": 0.5, "minimax_drop": 2.0},
                  "0.3": {"accuracy": 0.95, "grad_minimax": 0.05, "grad_nonsat": 1.0, "minimax_drop": 20.0},
                  "0.1": {"accuracy": 0.99, "grad_minimax": 0.002, "grad_nonsat": 2.0, "minimax_drop": 400.0},
                  "0.0": {"accuracy": 1.0, "grad_minimax": 3.0e-6, "grad_nonsat": 4.0, "minimax_drop": 1.0e5}},
        "grad_ratio_largest_vs_smallest_noise": 1.0e5, "largest_noise_std": 1.0, "smallest_noise_std": 0.0},
}
OPTIONS = {"parallel_lines": {"theta_max": 1.0, "n_thetas": 21, "theta0": 1.0, "gen_iters": 300},
           "optimal_critic": {"real_mean": -2.0, "fake_mean": 2.0, "std": 0.5},
           "critic_surface": {"deep_layers": 10, "clips": [0.001, 0.01, 0.1]},
           "vanishing_gradients": {"stages": [100, 300, 1000], "d_iters": 1000},
           "instance_noise": {"gen_iters": 100, "noise_stds": [1.0, 0.3, 0.1, 0.0]}}

# For each theory claim: a change of one summary that makes it fail, and the number that must
# then appear in its text; and a key whose removal leaves it without a number.
MISSES = {
    "parallel_lines_closed_forms": ("parallel_lines", {"closed_forms_max_error": math.inf}, "inf"),
    "parallel_lines_w_estimate_rises": ("parallel_lines", {"critic_rank_correlation": 0.55}, "0.55"),
    "parallel_lines_js_estimate_stays_at_log2": ("parallel_lines", {"js_estimate_min": 0.31}, "0.31"),
    "parallel_lines_only_wgan_moves_theta": ("parallel_lines", {"final_abs_theta.gan": 0.004}, "0.004"),
    "optimal_discriminator_saturates": ("optimal_critic", {"share_fakes_gan_vanished": 0.12}, "0.12"),
    "optimal_critic_is_linear": ("optimal_critic", {"critic_linear_r2": 0.75}, "0.75"),
    "optimal_critic_gradient_alive": ("optimal_critic", {"share_fakes_wgan_toward_real": 0.42}, "0.42"),
    "clipping_small_c_vanishes": ("critic_surface", {"deep_input_layer_grad_norm.0.001": 0.37}, "0.37"),
    "clipping_large_c_explodes": ("critic_surface", {"deep_input_layer_grad_norm.0.1": 3.5}, "3.5"),
    "fresh_discriminator_reaches_accuracy_1": ("vanishing_gradients", {"stages.300.final_accuracy": 0.87,
                                                                       "stages.300.steps_to_accuracy_0.99": None},
                                               "300: 0.87"),
    "minimax_gradient_vanishes": ("vanishing_gradients", {"min_minimax_drop": 13.0}, "13"),
    "nonsat_gradient_grows": ("vanishing_gradients", {"stages.1000.nonsat_std_growth": 1.3}, "1000: 1.3"),
    "wgan_critic_gradient_stays_usable": ("vanishing_gradients", {"min_wgan_min_over_first": 0.002}, "0.002"),
    "instance_noise_keeps_gradient": ("instance_noise", {"grad_ratio_largest_vs_smallest_noise": 1.7}, "1.7"),
}
ABSENT = {
    "parallel_lines_closed_forms": ("parallel_lines", "closed_forms_max_error"),
    "parallel_lines_w_estimate_rises": ("parallel_lines", "critic_rank_correlation"),
    "parallel_lines_js_estimate_stays_at_log2": ("parallel_lines", "js_estimate_at_zero"),
    "parallel_lines_only_wgan_moves_theta": ("parallel_lines", "final_abs_theta"),
    "optimal_discriminator_saturates": ("optimal_critic", "share_fakes_gan_vanished"),
    "optimal_critic_is_linear": ("optimal_critic", "critic_linear_r2"),
    "optimal_critic_gradient_alive": ("optimal_critic", "share_of_those_wgan_nonzero"),
    "clipping_small_c_vanishes": ("critic_surface", "deep_input_layer_grad_norm.0.001"),
    "clipping_large_c_explodes": ("critic_surface", "deep_input_layer_grad_norm"),
    "fresh_discriminator_reaches_accuracy_1": ("vanishing_gradients", "stages"),
    "minimax_gradient_vanishes": ("vanishing_gradients", "min_minimax_drop"),
    "nonsat_gradient_grows": ("vanishing_gradients", "min_nonsat_mean_growth"),
    "wgan_critic_gradient_stays_usable": ("vanishing_gradients", "min_wgan_min_over_first"),
    "instance_noise_keeps_gradient": ("instance_noise", "grad_ratio_largest_vs_smallest_noise"),
}


def changed(summary: dict, changes: dict) -> dict:
    """A deep copy of `summary` with dotted keys set (or removed, for DROP). A key that holds a
    dot itself ("steps_to_accuracy_0.99", "0.001") is found by trying the longest match first."""
    out = copy.deepcopy(summary)
    for dotted, value in changes.items():
        node, rest = out, dotted
        while rest not in node:
            head = next((k for k in sorted(node, key=len, reverse=True) if rest.startswith(k + ".")), None)
            if head is None:
                break
            node, rest = node[head], rest[len(head) + 1:]
        if value is DROP:
            node.pop(rest, None)
        else:
            node[rest] = value
    return out


def run_summary(task: str, changes: Optional[dict] = None) -> dict:
    """summary.json as run_theory writes it: task, options, the experiment's numbers, finding,
    wall time, device and threads."""
    numbers = changed(PASSING[task], changes or {})
    return {"task": task, "options": dict(OPTIONS[task]), **numbers, "finding": f"the {task} finding",
            "wall_time": 12.5, "device": "cpu", "threads": 1}


def write_theory_run(theory_dir: Path, task: str, changes: Optional[dict] = None, status: str = "finished",
                     message: str = "", summary: bool = True, figure: bool = True) -> Path:
    """One theory run folder `<theory_dir>/<task>/`. A running or failed run writes no summary
    unless `summary` is forced (a rerun over an old folder keeps its old summary)."""
    run = Path(theory_dir) / task
    (run / ".hydra").mkdir(parents=True, exist_ok=True)
    (run / ".hydra" / "config.yaml").write_text(f"task: {task}\nseed: 0\n")
    (run / "status.json").write_text(json.dumps({"status": status, "updated": 0.0,
                                                 **({"message": message} if message else {}),
                                                 **({"wall_time": 12.5} if status == "finished" else {})}))
    if summary:
        (run / "summary.json").write_text(json.dumps(run_summary(task, changes), indent=2))
    if figure:
        write_png(run / "figure.png", size=(480, 320), value=TASKS.index(task) + 10, color=True)
    (run / "run.log").write_text(f"[INFO] finding: the {task} finding\n")
    return run


def theory_folder(theory_dir: Path, changes: Optional[dict] = None, skip=(), statuses: Optional[dict] = None) -> Path:
    """All five theory runs, each meeting its claims unless `changes` ({task: {key: value}})
    says otherwise; `skip`: tasks left out; `statuses`: {task: status} (their summary kept)."""
    theory_dir = Path(theory_dir)
    theory_dir.mkdir(parents=True, exist_ok=True)
    for task in TASKS:
        if task not in skip:
            write_theory_run(theory_dir, task, (changes or {}).get(task), status=(statuses or {}).get(task, "finished"))
    return theory_dir


# --------------------------------------------------------------------------- a reproduction
def parts_file(statuses: Optional[dict] = None, commit: str = "0123abcd") -> dict:
    """parts.json as wgan_repro.reproduce writes it; `statuses`: {part name: status}."""
    statuses = statuses or {}
    parts = [{"name": task, "kind": "theory", "folder": f"theory/{task}",
              "commands": [f"python run.py experiment={task} hydra.run.dir=results/reproduction/cpu/theory/{task}"],
              "status": statuses.get(task, "finished"), "wall_time": 30.0 + i} for i, task in enumerate(TASKS)]
    parts.append({"name": "claims", "kind": "sweep", "folder": "claims",
                  "commands": ["python run.py experiment=cpu_claims -m model=dcgan,dcgan_nobn,mlp loss=wgan,nsgan",
                               "python -m wgan_repro.report results/reproduction/cpu/claims"],
                  "status": statuses.get("claims", "finished"), "wall_time": 5400.0})
    for part in parts:
        if part["status"] in ("pending", "running"):
            part["wall_time"] = None
    return {"scale": "cpu", "commit": commit, "torch": "2.14.1", "device": "cpu: AMD EPYC (2 cores)",
            "started": 1_700_000_000.0, "updated": 1_700_009_000.0, "parts": parts}


def reproduction(repro: Path, sweep_report: Optional[Path] = None, statuses: Optional[dict] = None,
                 changes: Optional[dict] = None, skip=()) -> Path:
    """A reproduction folder: parts.json, theory/<task>/ for the five experiments and, when
    `sweep_report` (a built sweep report folder) is given, its copy as claims/report/."""
    repro = Path(repro)
    repro.mkdir(parents=True, exist_ok=True)
    theory_statuses = {t: s for t, s in (statuses or {}).items() if t in TASKS and s != "pending"}
    theory_folder(repro / "theory", changes, skip=[*skip, *[t for t, s in (statuses or {}).items() if s == "pending"]],
                  statuses=theory_statuses)
    if sweep_report is not None:
        shutil.copytree(sweep_report, repro / "claims" / "report")
    (repro / "parts.json").write_text(json.dumps(parts_file(statuses), indent=2))
    return repro
