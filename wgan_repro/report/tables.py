"""The numbers of each run (final quality, final estimate, correlation of the estimate with
quality, whether quality was still improving at the end) and the tables written from them:
summary.csv, summary_seeds.csv and summary.md."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from wgan_repro.report.collect import (
    AXES,
    KNOWN_CLASSES,
    KNOWN_MODES,
    QUALITY_METRICS,
    Run,
    Sweep,
    _number,
    config_value,
    reference,
)
from wgan_repro.report.stats import fmt, mean_std, median_filter, median_window, spearman, theil_sen
from wgan_repro.run_layout import SPECTRAL_COLUMNS

DERIVED = ["final_estimate", "fid_rel", "coverage_share", "spearman_estimate_fid", "spearman_estimate_w1",
           "n_eval_points", "improvement_last_window", "improvement_points", "quality_rebound"]
# the last logged value of each column an objective adds to metrics.csv: final_<column>
FINAL_PREFIX = "final_"
# the smallest and largest logged value over the run of a critic diagnostic (SPECTRAL_COLUMNS)
MIN_PREFIX, MAX_PREFIX = "min_", "max_"
NUMBERS = ["iter", "iters", "wall_time", "final_estimate", *QUALITY_METRICS, *DERIVED[1:]]
TEXT_TAIL = ["quality_metric", "still_improving", "improvement_basis", "metrics_source", "message", "cpu_kernels"]
DEFAULT_SETTINGS = {"median_filter_fraction": 0.02, "median_filter_max_rows": 501, "min_eval_points": 10,
                    "min_seeds": 3, "improvement_window_fraction": 0.25, "improvement_min_points": 4,
                    "improvement_max_spearman": -0.5, "improvement_min_range_drop": 0.02,
                    "improvement_min_relative_drop": 0.05}


# --------------------------------------------------------------------------- per run
def smoothed_estimate(run: Run, settings: dict) -> pd.Series:
    """The estimate median-filtered over a window of about `median_filter_fraction` of the rows."""
    if "estimate" not in run.metrics or run.metrics.empty:
        return pd.Series(dtype=float)
    window = median_window(len(run.metrics), settings["median_filter_fraction"], settings["median_filter_max_rows"])
    return median_filter(run.metrics["estimate"].astype(float), window)


def eval_points(run: Run, settings: dict, metric: Optional[str] = None) -> pd.DataFrame:
    """Rows where `metric` (the run's quality metric by default) was evaluated: iter, the
    median-filtered estimate there, and the metric."""
    metric = metric or run.quality_metric
    if metric is None or metric not in run.metrics:
        return pd.DataFrame(columns=["iter", "estimate", metric or "quality"])
    frame = pd.DataFrame({"iter": run.metrics["iter"], "estimate": smoothed_estimate(run, settings),
                          metric: run.metrics[metric]})
    return frame.dropna().reset_index(drop=True)


def final_value(run: Run, metric: str) -> tuple[Optional[float], str]:
    """final_eval.json's value when it has one, else the last logged value; and its source."""
    value = _number(run.final_eval.get(metric))
    if value is not None:
        return value, "final_eval.json"
    if metric in run.metrics and run.metrics[metric].notna().any():
        return float(run.metrics[metric].dropna().iloc[-1]), "metrics.csv"
    return None, ""


def run_row(run: Run, settings: dict) -> dict:
    """One summary row: parameters, status, final numbers and correlations."""
    row = {"run": run.name, **run.params, "status": run.status, "iter": run.iter, "iters": run.iters,
           "wall_time": run.wall_time}
    smooth = smoothed_estimate(run, settings)
    finite = smooth.replace([np.inf, -np.inf], np.nan).dropna()
    row["final_estimate"] = float(finite.iloc[-1]) if len(finite) else None     # last finite (diverged runs)
    sources = set()
    for metric in QUALITY_METRICS:
        row[metric], source = final_value(run, metric)
        if source:
            sources.add(source)
    floor, ceiling = reference(run.final_eval, "fid")
    row["fid_rel"] = ((row["fid"] - floor) / (ceiling - floor)
                      if None not in (row["fid"], floor, ceiling) and ceiling > floor else None)
    row["coverage_share"] = _coverage_share(run, row)
    n_points = 0
    for metric, column in (("fid", "spearman_estimate_fid"), ("w1_exact", "spearman_estimate_w1")):
        points = eval_points(run, settings, metric)
        rho = spearman(points["estimate"], points[metric]) if len(points) else math.nan
        row[column] = rho if math.isfinite(rho) and len(points) >= settings["min_eval_points"] else None
        n_points = max(n_points, len(points))
    row["n_eval_points"] = n_points
    row.update(trend(run, settings))
    row["quality_rebound"] = quality_rebound(run)
    row["metrics_source"] = " + ".join(sorted(sources))
    row["message"] = run.message
    row["cpu_kernels"] = run.cpu_kernels or None
    for column in run.objective.get("logged") or []:      # the objective's own columns (run.json), e.g. k_t
        values = run.metrics[column].dropna() if column in run.metrics else []
        row[f"{FINAL_PREFIX}{column}"] = float(values.iloc[-1]) if len(values) else None
    for column in SPECTRAL_COLUMNS:                       # a diagnostic's range over the whole run
        values = run.metrics[column].dropna() if column in run.metrics else []
        if len(values):
            row[f"{MIN_PREFIX}{column}"], row[f"{MAX_PREFIX}{column}"] = float(values.min()), float(values.max())
    return row


def quality_points(run: Run) -> pd.DataFrame:
    """The run's quality metric (`fid` or `w1_exact`, both lower = better) at its periodic
    evaluations: columns iter and value. The final evaluation is left out: it is measured on more
    samples (eval.n_final), and FID's bias falls with the sample size, so next to the periodic
    ones it would look like an improvement (or hide a loss)."""
    metric = run.quality_metric
    if metric is None or metric not in run.metrics:
        return pd.DataFrame(columns=["iter", "value"])
    frame = run.metrics[["iter", metric]].replace([np.inf, -np.inf], np.nan).dropna()
    frame = frame.rename(columns={metric: "value"}).reset_index(drop=True)
    final_iter = _number(run.final_eval.get("iter"))
    if final_iter is not None and len(frame) and frame["iter"].iloc[-1] == final_iter:
        frame = frame.iloc[:-1]
    return frame


def quality_range(run: Run) -> Optional[float]:
    """ceiling - floor of the run's quality metric in final_eval.json (noise minus held-out data)."""
    floor, ceiling = reference(run.final_eval, run.quality_metric) if run.quality_metric else (None, None)
    return ceiling - floor if None not in (floor, ceiling) and ceiling > floor else None


def trend(run: Run, settings: dict) -> dict:
    """Was the run still improving at its end? Over the last `improvement_window_fraction` of its
    periodic evaluations (at least `improvement_min_points`) the quality metric must fall clearly
    (Spearman of value against iteration <= `improvement_max_spearman`) and by enough: the drop
    of a Theil-Sen line over the window, as a share of the floor-ceiling range (basis "range"),
    at least `improvement_min_range_drop`; without a reference, as a share of the line's level at
    the window's start (basis "relative"), at least `improvement_min_relative_drop`."""
    out = {"quality_metric": run.quality_metric, "still_improving": None, "improvement_last_window": None,
           "improvement_basis": None, "improvement_points": None}
    points = quality_points(run)
    least = int(settings["improvement_min_points"])
    if len(points) < least:
        return out
    size = min(len(points), max(least, math.ceil(settings["improvement_window_fraction"] * len(points))))
    window = points.iloc[-size:]
    slope, intercept = theil_sen(window["iter"], window["value"])
    first, last = float(window["iter"].iloc[0]), float(window["iter"].iloc[-1])
    if not math.isfinite(slope):
        return out
    drop, scale = -slope * (last - first), quality_range(run)
    if scale:
        basis, share, needed = "range", drop / scale, settings["improvement_min_range_drop"]
    else:
        level = abs(intercept + slope * first)
        if level == 0:
            return out
        basis, share, needed = "relative", drop / level, settings["improvement_min_relative_drop"]
    rho = spearman(window["iter"], window["value"])
    falling = math.isfinite(rho) and rho <= settings["improvement_max_spearman"]
    return {**out, "still_improving": bool(falling and share >= needed), "improvement_last_window": share + 0.0,
            "improvement_basis": basis, "improvement_points": size}


def quality_rebound(run: Run) -> Optional[float]:
    """How much quality was lost after the run's best: (last - best) / (ceiling - floor) over its
    periodic evaluations (the last one stands for the final quality, measured alike); without a
    reference, divided by the run's own gain from its first evaluation to its best."""
    points = quality_points(run)
    if len(points) < 2:
        return None
    values = points["value"]
    best, last = float(values.min()), float(values.iloc[-1])
    scale = quality_range(run) or float(values.iloc[0]) - best
    return (last - best) / scale if scale > 0 else None


def _coverage_share(run: Run, row: dict) -> Optional[float]:
    data = str(run.params.get("data", ""))
    for metric, known, count_key in (("classes_covered", KNOWN_CLASSES, "n_classes"),
                                     ("modes_captured", KNOWN_MODES, "n_modes")):
        if row.get(metric) is None:
            continue
        total = _number(run.final_eval.get(count_key)) or reference(run.final_eval, metric)[0] or known.get(data)
        if total:
            return row[metric] / total
    return None


# --------------------------------------------------------------------------- tables
def summary_table(sweep: Sweep, settings: dict, config_keys=()) -> pd.DataFrame:
    """One row per run, in a fixed column order (numbers empty where a run has none). A dotted
    override that only some runs set (`loss.optim.name=adam`), and each dotted key of
    `config_keys` (the claims' selectors), is a column whose empty cells hold the value the run's
    own config had, so that `loss.optim.name: rmsprop` selects the runs that kept the default."""
    rows = [run_row(run, settings) for run in sweep.runs]
    extra = [k for k in config_keys if "." in k and any(config_value(r.config, k) is not None for r in sweep.runs)]
    param_keys = param_columns(sweep, extra)
    for run, row in zip(sweep.runs, rows):
        for key in param_keys:
            if key not in run.params and "." in key and config_value(run.config, key) is not None:
                row[key] = config_value(run.config, key)
        row["message"] = sweep.relative(row["message"])
    logged = sorted({k for row in rows for k in row if is_logged_number(k) and k not in NUMBERS})
    columns = ["run", *param_keys, "status", *NUMBERS, *logged, *TEXT_TAIL]
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = None
    frame = frame[columns]
    for column in [*NUMBERS, *logged]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["still_improving"] = frame["still_improving"].astype("boolean")
    return frame


def param_columns(sweep: Sweep, extra=()) -> list:
    """The config axes first, then the seed, then any other override (and the `extra` keys), in a
    stable order."""
    keys = {k for run in sweep.runs for k in run.params} | set(extra)
    return [k for k in AXES if k in keys] + (["seed"] if "seed" in keys else []) + sorted(
        keys - set(AXES) - {"seed"})


def group_keys(summary: pd.DataFrame) -> list:
    """The parameters that tell groups of seeds apart."""
    skip = {"run", "status", "seed", *NUMBERS, *TEXT_TAIL}
    return [c for c in summary.columns if c not in skip and not is_logged_number(c)]


def is_logged_number(column: str) -> bool:
    """A per-run number read from a logged column (final_k_t, max_sn_sigma_max), not a parameter."""
    return column.startswith((FINAL_PREFIX, MIN_PREFIX, MAX_PREFIX))


def seed_table(summary: pd.DataFrame) -> Optional[pd.DataFrame]:
    """Mean and std over the finished runs of each group that differs only by seed; None when
    no group has two or more runs."""
    if "seed" not in summary:
        return None
    keys = group_keys(summary)
    filled = summary.fillna({k: "" for k in keys})
    groups = filled.groupby(keys, sort=False, dropna=False) if keys else [((), filled)]
    if max(len(g) for _, g in groups) < 2:
        return None
    rows = []
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        row = dict(zip(keys, values))
        done = group[group["status"] == "finished"]
        row.update(n_runs=len(group), n_finished=len(done), seeds=" ".join(str(s) for s in group["seed"]))
        for column in ["final_estimate", *QUALITY_METRICS, "fid_rel", "coverage_share",
                       "spearman_estimate_fid", "spearman_estimate_w1", "improvement_last_window",
                       "quality_rebound", "wall_time"]:
            mean, std, _ = mean_std(done[column].tolist())
            row[f"{column}_mean"], row[f"{column}_std"] = mean, std
        rows.append(row)
    return pd.DataFrame(rows)


MD_COLUMNS = [("final_estimate", "final estimate"), ("fid", "FID"), ("kid", "KID"),
              ("classifier_score", "classifier score"), ("classes_covered", "classes covered"),
              ("w1_exact", "exact W1"), ("modes_captured", "modes captured"),
              ("high_quality_share", "high-quality share"), ("spearman_estimate_fid", "ρ(estimate, FID)"),
              ("spearman_estimate_w1", "ρ(estimate, W1)"), ("improvement_last_window", "last-window gain"),
              ("quality_rebound", "rebound")]


def summary_cells(summary: pd.DataFrame) -> tuple[list, list]:
    """Header and rows of the per-run table as text (columns with no value left out)."""
    keys = group_keys(summary)
    shown = [(c, t) for c, t in MD_COLUMNS if summary[c].notna().any()]
    seed = ["seed"] if "seed" in summary else []
    improving = ["still improving"] if summary["still_improving"].notna().any() else []
    header = ["run", *keys, *seed, "status", "iterations", "wall time (s)", *[t for _, t in shown], *improving]
    rows = []
    for _, r in summary.iterrows():
        status = r["status"] + (f": {r['message']}" if r["status"] != "finished" and _text(r["message"]) else "")
        iters = f"{fmt(r['iter'])}/{fmt(r['iters'])}" if pd.notna(r["iters"]) else fmt(r["iter"])
        flag = [_yes_no(r["still_improving"])] if improving else []
        rows.append([r["run"], *[_text(r[k]) for k in keys + seed], status, iters, fmt(r["wall_time"], 4),
                     *[fmt(r[c]) for c, _ in shown], *flag])
    return header, rows


def seed_cells(summary: pd.DataFrame, seeds: pd.DataFrame) -> tuple[list, list]:
    """Header and rows of the mean ± std over seeds table as text."""
    keys = group_keys(summary)
    shown = [(c, t) for c, t in MD_COLUMNS if seeds[f"{c}_mean"].notna().any()]
    header = [*keys, "seeds", "finished", *[t for _, t in shown]]
    rows = [[*[_text(r[k]) for k in keys], r["seeds"], f"{r['n_finished']}/{r['n_runs']}",
             *[pm(r[f"{c}_mean"], r[f"{c}_std"]) for c, _ in shown]] for _, r in seeds.iterrows()]
    return header, rows


def summary_markdown(summary: pd.DataFrame, seeds: Optional[pd.DataFrame]) -> str:
    """summary.md: the per-run table and, when a group has several seeds, the seed table."""
    header, rows = summary_cells(summary)
    lines = ["# Summary", "", SUMMARY_NOTE, ""]
    mixed = mixed_kernels_note(summary)
    if mixed:
        lines += [mixed, ""]
    lines += [_md_row(header), _md_row(["---"] * len(header))]
    lines += [_md_row(r) for r in rows]
    if seeds is not None:
        header, rows = seed_cells(summary, seeds)
        lines += ["", "## Mean ± std over seeds (finished runs; std with ddof 1)", "", _md_row(header),
                  _md_row(["---"] * len(header))]
        lines += [_md_row(r) for r in rows]
    return "\n".join(lines) + "\n"


def mixed_kernels_note(summary: pd.DataFrame) -> str:
    """One line when the sweep's runs ran under different oneDNN kernels (summary.csv's
    cpu_kernels), whose numbers differ at the same seed; "" otherwise."""
    if "cpu_kernels" not in summary:
        return ""
    counts = summary["cpu_kernels"].dropna().value_counts().sort_index()
    if len(counts) < 2:
        return ""
    kinds = ", ".join(f"{kernels}: {n} runs" for kernels, n in counts.items())
    return (f"**Mixed CPU kernels.** This sweep's runs ran under different oneDNN kernels ({kinds}; column "
            "cpu_kernels of summary.csv), which round differently: the same seed gives other numbers under each. "
            "Start every run with ONEDNN_MAX_CPU_ISA=AVX2 to compare them (README, \"Numbers across machines\").")


SUMMARY_NOTE = ("One row per run. Final numbers come from final_eval.json when the run wrote it, else from the "
                "last evaluation in metrics.csv; the final estimate is the median-filtered estimate at the last "
                "logged iteration. ρ: Spearman rank correlation of the median-filtered estimate with FID (or "
                "the exact W1) over the run's evaluation points, left empty below settings.min_eval_points. "
                "Last-window gain: the fall of FID (exact W1) over the last part of the periodic evaluations "
                "(settings.improvement_window_fraction), as a share of the floor-ceiling range; still improving: "
                "that fall is clear and large enough (settings.improvement_*). Rebound: the quality lost after the "
                "run's best evaluation, as a share of the same range.")


def pm(mean: float, std: float) -> str:
    if mean is None or not np.isfinite(mean):
        return ""
    return fmt(mean) + (f" ± {fmt(std)}" if std is not None and np.isfinite(std) else "")


def _yes_no(flag) -> str:
    return "" if pd.isna(flag) else "yes" if flag else "no"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def write_tables(out: Path, summary: pd.DataFrame, seeds: Optional[pd.DataFrame]) -> None:
    summary.to_csv(out / "summary.csv", index=False)
    if seeds is not None:
        seeds.to_csv(out / "summary_seeds.csv", index=False)
    (out / "summary.md").write_text(summary_markdown(summary, seeds))
