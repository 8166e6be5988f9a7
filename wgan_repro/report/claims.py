"""The papers' claims judged against a sweep's summary table, with the thresholds of a YAML
file (wgan_repro/conf/report_claims.yaml by default). A verdict is computed, never written down:
reproduced (every condition passes), not reproduced (one fails), inconclusive (conditions fail,
but every failure rests on a run that was still improving at its end, towards passing), or not
tested by this sweep (none fails, but one has no run or no number to judge). A claim judged on
fewer than settings.min_seeds seeds somewhere carries a flag, e.g. "reproduced (1 seed)".

The same judge serves any table of one row per run: a sweep's summary (the metrics of
tables.NUMBERS) or the theory experiments' (report/theory_claims.py: every number of each
summary.json, selected by `task`). A metric may hold `*` ("stages.*.final_accuracy"): every
column it matches is judged and all must pass (e.g. at every stage)."""
from __future__ import annotations

import fnmatch
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd
import yaml

from wgan_repro.report.collect import ReportError, _number
from wgan_repro.report.stats import fmt, mean_std
from wgan_repro.report.tables import DEFAULT_SETTINGS, FINAL_PREFIX, MAX_PREFIX, MIN_PREFIX, NUMBERS, group_keys
from wgan_repro.run_layout import SPECTRAL_COLUMNS

DEFAULT_CLAIMS = Path(__file__).resolve().parents[1] / "conf" / "report_claims.yaml"
REPRODUCED, NOT_REPRODUCED, NOT_TESTED = "reproduced", "not reproduced", "not tested by this sweep"
INCONCLUSIVE = "inconclusive"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTED)
PASS, FAIL, UNTESTED = "pass", "fail", "untested"
OVER = ("each_run", "each_group_mean")
# A condition may compare two selections instead of bounding one: `more_than: {selector}` (or
# `less_than`) with `by` (default 0): the mean over the finished runs of `runs` must exceed (fall
# below) the mean over those of the other selector by more than `by`.
COMPARE = ("more_than", "less_than")
DIVERGED = ("skip", "pass", "fail")     # what a diverged run counts as
# Which way a number moves as the generator gets better. A failing `max` on a "down" number, or a
# failing `min` on an "up" one, is what more training could turn into a pass; the other side (a
# "GAN fails" bound broken because the GAN learns) is not. Numbers left out (the correlations,
# the rebound, iterations and times) have no direction: their failures are never inconclusive.
IMPROVES = {"fid_rel": "down", "fid": "down", "kid": "down", "w1_exact": "down", "class_kl": "down",
            "coverage_share": "up", "classes_covered": "up", "modes_captured": "up",
            "classifier_score": "up", "high_quality_share": "up"}
QUALITY_NAMES = {"fid": "FID", "w1_exact": "exact W1"}


@dataclass
class ConditionResult:
    """One condition judged: its outcome, the numbers behind it and, when untested, why."""

    text: str                    # what was checked, e.g. "model=dcgan, loss=wgan: fid_rel <= 0.2"
    outcome: str                 # pass | fail | untested
    numbers: str                 # e.g. "0.12 ± 0.01 (mean of 3 seeds)" or "dcgan: 0.81; mlp: 0.74"
    reason: str = ""
    beside: Optional[dict] = None
    seeds: Optional[int] = None  # the fewest seeds behind one of its judged numbers
    still_improving: list = field(default_factory=list)   # failing runs still improving towards passing
    inconclusive: bool = False   # it fails, but every failing number rests on such a run

    def short(self) -> str:
        """The numbers, or why there are none."""
        if self.outcome == UNTESTED:
            return self.reason
        return self.numbers + (f" ({self.reason})" if self.reason else "")


@dataclass
class ClaimResult:
    id: str
    source: str
    claim: str
    verdict: str
    conditions: list = field(default_factory=list)
    flag: str = ""               # e.g. "1 seed": judged somewhere on fewer than settings.min_seeds seeds
    note: str = ""               # why inconclusive: the runs still improving, and by how much


# --------------------------------------------------------------------------- config
def load_config(path=None, metrics: Optional[list] = NUMBERS) -> tuple[dict, list]:
    """(settings, claims) from the YAML file; ReportError naming the bad entry otherwise.

    `metrics`: the names a condition may judge (a sweep's summary columns, so that a typo fails
    here, before any run is read); None accepts any name, for tables whose columns depend on
    the runs (the theory summaries): a metric no selected run recorded is then "not tested"."""
    path = Path(path) if path else DEFAULT_CLAIMS
    if not path.exists() and path.parent == Path(".") and (DEFAULT_CLAIMS.parent / path).exists():
        path = DEFAULT_CLAIMS.parent / path          # a bare name: a claims file shipped in wgan_repro/conf/
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ReportError(f"cannot read the claims file {path} ({err.strerror}): pass an existing one "
                          f"with --claims, e.g. {DEFAULT_CLAIMS}") from None
    except yaml.YAMLError as err:
        raise ReportError(f"the claims file {path} is not valid YAML ({str(err).splitlines()[0]}): fix it") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise ReportError(f"the claims file {path} needs a `claims:` list (see {DEFAULT_CLAIMS})")
    settings = {**DEFAULT_SETTINGS, **(data.get("settings") or {})}
    _check_settings(settings, path)
    for claim in data["claims"]:
        _check_claim(claim, path, metrics)
    return settings, data["claims"]


def _check_settings(settings: dict, path: Path) -> None:
    for key in DEFAULT_SETTINGS:
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ReportError(f"the claims file {path}: settings.{key} must be a number, not {value!r}")
    for key in ("min_seeds", "improvement_min_points"):
        if settings[key] < 1 or settings[key] != int(settings[key]):
            raise ReportError(f"the claims file {path}: settings.{key} must be a whole number >= 1, "
                              f"not {settings[key]!r}")


def selector_keys(claims: list) -> list:
    """Every key the claims select runs on (their conditions' `runs` and `beside`), in order."""
    keys = [k for claim in claims for cond in claim["conditions"] for k in cond["runs"]]
    keys += [k for claim in claims for cond in claim["conditions"] for c in COMPARE for k in (cond.get(c) or {})]
    keys += [k for claim in claims for k in (claim.get("beside") or {})]
    return list(dict.fromkeys(keys))


def _check_claim(claim, path: Path, metrics: Optional[list] = NUMBERS) -> None:
    where = f"the claims file {path}, claim {claim.get('id', '?') if isinstance(claim, dict) else claim!r}"
    if not isinstance(claim, dict) or not {"id", "claim", "conditions"} <= claim.keys():
        raise ReportError(f"{where}: every claim needs id, claim and conditions")
    if not isinstance(claim["conditions"], list) or not claim["conditions"]:
        raise ReportError(f"{where}: conditions must be a non-empty list")
    for cond in claim["conditions"]:
        if not isinstance(cond, dict) or not isinstance(cond.get("runs"), dict):
            raise ReportError(f"{where}: each condition needs `runs: {{key: value}}`")
        if not _known_metric(cond.get("metric"), metrics):
            choices = f"use one of {', '.join(metrics)}" if metrics is not None else "name a number of the summary"
            raise ReportError(f"{where}: unknown metric {cond.get('metric')!r}; {choices}")
        compare = [k for k in COMPARE if k in cond]
        if len(compare) > 1 or (compare and not isinstance(cond[compare[0]], dict)):
            raise ReportError(f"{where}: a comparison needs one of {' or '.join(COMPARE)}: {{key: value}} (the other runs)")
        if compare and not isinstance(cond.get("by", 0), (int, float)):
            raise ReportError(f"{where}: by must be a number, not {cond['by']!r}")
        if not compare and "min" not in cond and "max" not in cond:
            raise ReportError(f"{where}: a condition needs min and/or max, or more_than / less_than other runs")
        for bound in ("min", "max"):
            if bound in cond and not isinstance(cond[bound], (int, float)):
                raise ReportError(f"{where}: {bound} must be a number, not {cond[bound]!r}")
        if cond.get("diverged", "skip") not in DIVERGED:
            raise ReportError(f"{where}: diverged must be one of {', '.join(DIVERGED)}")
        if cond.get("over", "each_run") not in OVER:
            raise ReportError(f"{where}: over must be one of {', '.join(OVER)}")


def _known_metric(metric, metrics: Optional[list]) -> bool:
    """A metric name the claims file may use: any non-empty text when `metrics` is None, else one
    of `metrics` (a `*` pattern must match one of them)."""
    if not isinstance(metric, str) or not metric:
        return False
    if metrics is None or metric.startswith(FINAL_PREFIX):     # final_<an objective's logged column>
        return True
    if metric in {f"{prefix}{column}" for prefix in (MIN_PREFIX, MAX_PREFIX) for column in SPECTRAL_COLUMNS}:
        return True
    return metric in metrics or ("*" in metric and any(fnmatch.fnmatchcase(m, metric) for m in metrics))


# --------------------------------------------------------------------------- judging
def judge(claims: list, summary: pd.DataFrame, settings: Optional[dict] = None, config_keys: Optional[list] = None,
          scope: str = "this sweep") -> list:
    """A ClaimResult for every claim, from the summary table (one row per run).

    `config_keys`: the columns that tell configurations apart (they group and label the
    numbers); by default every column that is not a number of tables.NUMBERS (a sweep's config
    choices and overrides). A table of other numbers passes its own, e.g. ["run"] for the theory
    runs, whose every other column is a number. `scope` names where a missing run was looked for."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    results = []
    for claim in claims:
        conditions = []
        for cond in claim["conditions"]:
            result = check(cond, summary, settings, config_keys, scope)
            swap = _beside(cond, claim.get("beside"))
            if swap is not None:
                other = check({**cond, "runs": swap}, summary, settings, config_keys, scope)
                result.beside = {"runs": _selector_text(swap), "outcome": other.outcome,
                                 "numbers": other.numbers, "reason": other.reason}
            conditions.append(result)
        verdict, note = _verdict(conditions)
        seeds = [c.seeds for c in conditions if c.seeds is not None]
        few = min(seeds) if seeds and min(seeds) < settings["min_seeds"] else None
        results.append(ClaimResult(id=str(claim["id"]), source=str(claim.get("source", "")),
                                   claim=str(claim["claim"]), verdict=verdict, conditions=conditions,
                                   flag=f"{few} seed{'s' if few != 1 else ''}" if few else "", note=note))
    return results


def _verdict(conditions: list) -> tuple[str, str]:
    """The verdict of a claim's conditions and, when inconclusive, the runs that make it so."""
    failing = [c for c in conditions if c.outcome == FAIL]
    if failing and all(c.inconclusive for c in failing):
        runs = list(dict.fromkeys(text for c in failing for text in c.still_improving))
        return INCONCLUSIVE, "; ".join(runs)
    if failing:
        return NOT_REPRODUCED, ""
    return (NOT_TESTED if any(c.outcome == UNTESTED for c in conditions) else REPRODUCED), ""


@dataclass
class _Part:
    """The number(s) of one configuration (one group of seeds) in a condition."""

    outcome: str
    number: str
    seeds: int
    notes: list = field(default_factory=list)
    fails: list = field(default_factory=list)     # per failing run (each_run) or mean: its improving runs' text


def check(cond: dict, summary: pd.DataFrame, settings: Optional[dict] = None, config_keys: Optional[list] = None,
          scope: str = "this sweep") -> ConditionResult:
    """Judge one condition on the runs its selector picks."""
    if any(k in cond for k in COMPARE):
        return _check_comparison(cond, summary, settings, scope)
    if "*" in cond["metric"]:
        return _check_each_column(cond, summary, settings, config_keys, scope)
    return _check_column(cond, summary, settings, config_keys, scope)


def condition_text(cond: dict) -> str:
    """e.g. "model=dcgan, loss=wgan: fid_rel <= 0.2 (mean over seeds)"."""
    for key in COMPARE:
        if key in cond:
            by = f" by more than {cond['by']}" if cond.get("by") else ""
            return (f"{_selector_text(cond['runs'])}: mean {cond['metric']} {key.replace('_', ' ')} "
                    f"{_selector_text(cond[key])}'s{by}")
    return f"{_selector_text(cond['runs'])}: {cond['metric']} {threshold_text(cond)}" + (
        " for every run" if cond.get("over", "each_run") == "each_run" else " (mean over seeds)")


def _check_column(cond: dict, summary: pd.DataFrame, settings: Optional[dict], config_keys: Optional[list],
                  scope: str) -> ConditionResult:
    """Judge one condition whose metric names one column."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    metric, over, text = cond["metric"], cond.get("over", "each_run"), condition_text(cond)
    selected = summary[_select(summary, cond["runs"])]
    if selected.empty:
        return ConditionResult(text, UNTESTED, "", f"no run with {_selector_text(cond['runs'])} in {scope}")
    on_diverged = cond.get("diverged", "skip")
    judged_status = ["finished"] if on_diverged == "skip" else ["finished", "diverged"]
    usable = selected[selected["status"].isin(judged_status)]
    if usable.empty:
        states = ", ".join(f"{n} {s}" for s, n in selected["status"].value_counts().items())
        return ConditionResult(text, UNTESTED, "", f"no finished run with {_selector_text(cond['runs'])} ({states})")
    if metric not in summary:
        return ConditionResult(text, UNTESTED, "", f"the runs with {_selector_text(cond['runs'])} recorded no "
                                                   f"{metric} (their summary has no such number)")

    fixed = {k for k, v in cond["runs"].items() if not isinstance(v, list) or len(v) == 1}
    config_keys = group_keys(summary) if config_keys is None else [k for k in config_keys if k in summary]
    keys = [k for k in config_keys if k not in fixed and usable[k].nunique(dropna=False) > 1]
    # a number without a label of its own is named by the selector's keys that vary in the sweep
    # (the group axes; a dotted key such as loss.optim.lr is named in the condition's text already)
    default_label = _selector_text({k: v for k, v in cond["runs"].items()
                                    if "." not in k and k in config_keys and summary[k].nunique(dropna=False) > 1})
    judge_part = _each_run if over == "each_run" else _group_mean
    parts, labels = [], []
    for label, group in _groups(usable, keys):
        part = judge_part(group, cond, summary)
        if part.seeds < settings["min_seeds"]:
            part.notes.append(f"fewer than {settings['min_seeds']} seeds")
        if part.fails and all(part.fails):
            part.notes.append("still improving")
        parts.append(part)
        labels.append(label or default_label)
    numbers = "; ".join(_part_text(label, part) for label, part in zip(labels, parts))
    judged = [p for p in parts if p.outcome != UNTESTED]
    if not judged:
        reason = f"no {metric} for the selected runs" + _why_missing(metric)
        return ConditionResult(text, UNTESTED, numbers, reason)
    seeds = min(p.seeds for p in judged)
    if any(p.outcome == FAIL for p in judged):
        fails = [f for p in judged for f in p.fails]
        return ConditionResult(text, FAIL, numbers, seeds=seeds, inconclusive=all(fails),
                               still_improving=list(dict.fromkeys(t for f in fails for t in f)))
    untested = sum(p.outcome == UNTESTED for p in parts)
    reason = f"{untested} of {len(parts)} without a value, not judged" if untested else ""
    return ConditionResult(text, PASS, numbers, reason, seeds=seeds)


def _check_comparison(cond: dict, summary: pd.DataFrame, settings: Optional[dict], scope: str) -> ConditionResult:
    """Judge a `more_than` / `less_than` condition: the two selections' means over their finished runs."""
    key = next(k for k in COMPARE if k in cond)
    metric, text, by = cond["metric"], condition_text(cond), float(cond.get("by", 0))
    sides = []
    for selector in (cond["runs"], cond[key]):
        selected = summary[_select(summary, selector)]
        done = selected[selected["status"] == "finished"]
        if done.empty:
            return ConditionResult(text, UNTESTED, "", f"no finished run with {_selector_text(selector)} in {scope}")
        if metric not in summary:
            return ConditionResult(text, UNTESTED, "", f"the runs recorded no {metric}")
        mean, std, n = mean_std(done[metric].tolist())
        if not n:
            return ConditionResult(text, UNTESTED, "", f"no {metric} for the runs with {_selector_text(selector)}"
                                   + _why_missing(metric))
        sides.append((selector, mean, std, n))
    (_, a, sa, na), (_, b, sb, nb) = sides
    numbers = " vs ".join(f"{_selector_text(sel)}: {fmt(m)}" + (f" ± {fmt(s)} (mean of {n} seeds)" if n > 1 else "")
                          for sel, m, s, n in sides)
    passed = a - b > by if key == "more_than" else b - a > by
    seeds = min(na, nb)
    return ConditionResult(text, PASS if passed else FAIL, numbers, seeds=seeds)


def _check_each_column(cond: dict, summary: pd.DataFrame, settings: Optional[dict], config_keys: Optional[list],
                       scope: str) -> ConditionResult:
    """A condition whose metric holds `*`: each matching column judged on its own (its number
    named by what the `*` stood for, e.g. the stage), passing only when every one passes."""
    pattern, text = cond["metric"], condition_text(cond)
    columns = [c for c in summary.columns if fnmatch.fnmatchcase(str(c), pattern)]
    if not columns:                     # no run recorded such a number: said as for one column
        return _check_column(cond, summary, settings, config_keys, scope)
    results = [_check_column({**cond, "metric": c}, summary, settings, config_keys, scope) for c in columns]
    if all(r.outcome == UNTESTED for r in results):
        return ConditionResult(text, UNTESTED, "", results[0].reason)
    names = _wildcard_names(pattern, columns)
    numbers = "; ".join(f"{name}: {r.numbers if r.outcome == UNTESTED and r.numbers else r.short()}"
                        for name, r in zip(names, results))
    seeds = min((r.seeds for r in results if r.seeds is not None), default=None)
    failing = [r for r in results if r.outcome == FAIL]
    if failing:
        return ConditionResult(text, FAIL, numbers, seeds=seeds, inconclusive=all(r.inconclusive for r in failing),
                               still_improving=list(dict.fromkeys(t for r in failing for t in r.still_improving)))
    untested = sum(r.outcome == UNTESTED for r in results)
    reason = f"{untested} of {len(results)} without a value, not judged" if untested else ""
    return ConditionResult(text, PASS, numbers, reason, seeds=seeds)


def _wildcard_names(pattern: str, columns: list) -> list:
    """What the `*` of `pattern` stood for in each column ("stages.*.x", "stages.100.x" -> "100")."""
    regex = re.compile("^" + "(.*?)".join(re.escape(part) for part in pattern.split("*")) + "$")
    return [", ".join(g for g in regex.match(str(c)).groups()) for c in columns]


def _each_run(group: pd.DataFrame, cond: dict, summary: pd.DataFrame) -> _Part:
    """Every run of one configuration judged on its own; with several seeds, how many pass."""
    diverged_outcome = PASS if cond.get("diverged", "skip") == "pass" else FAIL
    outcomes, values, fails = [], [], []
    for _, row in group.iterrows():
        if row["status"] == "diverged":
            outcome, number = diverged_outcome, "diverged"
        else:
            outcome, number = _judge_value(row[cond["metric"]], cond)
        if outcome == FAIL:
            fails.append(_improving(pd.DataFrame([row]), cond, row[cond["metric"]], summary))
        outcomes.append(outcome)
        values.append(number)
    if len(group) == 1:
        return _Part(outcomes[0], values[0], 1, fails=fails)
    judged = [o for o in outcomes if o != UNTESTED]
    outcome = UNTESTED if not judged else FAIL if FAIL in judged else PASS
    runs = ", ".join(f"{_seed_name(row)}: {v}" for (_, row), v in zip(group.iterrows(), values))
    return _Part(outcome, f"{judged.count(PASS)} of {len(judged)} seeds pass", len(group), [runs], fails)


def _group_mean(group: pd.DataFrame, cond: dict, summary: pd.DataFrame) -> _Part:
    """The mean over the seeds of one configuration, ± their standard deviation."""
    on_diverged, metric = cond.get("diverged", "skip"), cond["metric"]
    done = group[group["status"] == "finished"]
    n_diverged = int((group["status"] == "diverged").sum())
    mean, std, n = mean_std(done[metric].tolist())
    if n_diverged and (on_diverged == "fail" or not len(done)):
        outcome = PASS if on_diverged == "pass" else FAIL
        return _Part(outcome, f"{n_diverged} of {len(group)} diverged", len(group),
                     fails=[[]] if outcome == FAIL else [])
    if not n:
        return _Part(UNTESTED, "no value", len(group))
    outcome, number = _judge_value(mean, cond)
    notes = ([f"mean of {n} seeds"] if n > 1 else []) + ([f"+{n_diverged} diverged"] if n_diverged else [])
    part = _Part(outcome, number + (f" ± {fmt(std)}" if n > 1 else ""), len(group), notes)
    if outcome == FAIL:
        part.fails = [_improving(done, cond, mean, summary)]
    return part


def _part_text(label: str, part: _Part) -> str:
    text = part.number + (f" ({'; '.join(part.notes)})" if part.notes else "")
    return f"{label}: {text}" if label else text


def _improving(runs: pd.DataFrame, cond: dict, value: float, summary: pd.DataFrame) -> list:
    """For a failing value: the runs behind it still improving at their end, when more training
    would move it towards passing (a failing max on a "down" number, a failing min on an "up"
    one); an empty list otherwise."""
    direction = IMPROVES.get(cond["metric"])
    above = "max" in cond and float(value) > cond["max"]
    below = "min" in cond and float(value) < cond["min"]
    if not ((direction == "down" and above) or (direction == "up" and below)):
        return []
    return [_improving_text(row, summary) for _, row in runs.iterrows()
            if row["status"] == "finished" and _is_true(row["still_improving"])]


def _is_true(value) -> bool:
    """True for a true flag, False for false, missing (NA) or anything else."""
    return value is not pd.NA and value is not None and not (isinstance(value, float) and math.isnan(value)) \
        and bool(value)


def _improving_text(row: pd.Series, summary: pd.DataFrame) -> str:
    """e.g. "still improving at iteration 8000 (model=dcgan_nobn, loss=wgan, seed=1: FID fell 6.1 %
    of the floor-ceiling range over its last 5 evaluations)"."""
    keys = [k for k in group_keys(summary) if summary[k].nunique(dropna=False) > 1
            and ("." not in k or f"{k}=" in str(row["run"]))]     # a dotted key only where the run overrode it
    keys += ["seed"] if "seed" in summary else []
    name = ", ".join(f"{k}={row[k]}" for k in keys) or row["run"]
    metric = QUALITY_NAMES.get(row["quality_metric"], row["quality_metric"])
    scale = "of the floor-ceiling range" if row["improvement_basis"] == "range" else "of its value"
    return (f"still improving at iteration {fmt(row['iter'])} ({name}: {metric} fell "
            f"{100 * row['improvement_last_window']:.1f} % {scale} over its last "
            f"{fmt(row['improvement_points'])} evaluations)")


def _seed_name(row: pd.Series) -> str:
    seed = row.get("seed")
    return f"seed {seed}" if seed is not None and pd.notna(seed) else str(row["run"])


def _why_missing(metric: str) -> str:
    if metric.startswith("spearman"):
        return " (the runs logged no quality metric, or fewer evaluation points than settings.min_eval_points)"
    if metric == "fid_rel":
        return " (needs a final FID and final_eval.json's reference floor and ceiling)"
    if metric == "coverage_share":
        return " (needs classes_covered or modes_captured and the number of classes or modes)"
    return " (the runs logged no quality metric)" if metric in NUMBERS else " (not in their summary, or null there)"


def _judge_value(value, cond: dict) -> tuple[str, str]:
    """A number judged against the bounds. Missing (None, NaN) is no value; an infinity is judged
    like any number (a gradient ratio of +inf passes a `min`, fails a `max`)."""
    if value is None or pd.isna(value):
        return UNTESTED, "no value"
    value = float(value)
    return (PASS if _within(value, cond) else FAIL), fmt(value) if math.isfinite(value) else str(value)


def _within(value: float, cond: dict) -> bool:
    return ("min" not in cond or value >= cond["min"]) and ("max" not in cond or value <= cond["max"])


def threshold_text(cond: dict) -> str:
    if "min" in cond and "max" in cond:
        return f"in [{cond['min']}, {cond['max']}]"
    return f">= {cond['min']}" if "min" in cond else f"<= {cond['max']}"


def _select(summary: pd.DataFrame, selector: dict) -> pd.Series:
    mask = pd.Series(True, index=summary.index)
    for key, wanted in selector.items():
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if key not in summary:
            return pd.Series(False, index=summary.index)
        mask &= summary[key].map(lambda value: any(_same(value, w) for w in wanted)).astype(bool)
    return mask


def _same(value, wanted) -> bool:
    """A summary cell matches a selector's value: as text, or as numbers, since an override may
    spell a number otherwise than the YAML (`loss.optim.lr=0.0005` is selected by `5.0e-4`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if str(value) == str(wanted):
        return True
    a, b = _number(value), _number(wanted)
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)


def _beside(cond: dict, beside: Optional[dict]) -> Optional[dict]:
    """The condition's selector with `beside`'s value swapped in, when it applies."""
    if not beside:
        return None
    runs = dict(cond["runs"])
    for key, mapping in beside.items():
        if isinstance(mapping, dict) and str(runs.get(key)) in {str(k) for k in mapping}:
            runs[key] = {str(k): v for k, v in mapping.items()}[str(runs[key])]
            return runs
    return None


def _groups(frame: pd.DataFrame, keys: list):
    if not keys:
        yield "", frame
        return
    for values, group in frame.fillna({k: "" for k in keys}).groupby(keys, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        yield ", ".join(f"{k}={v}" for k, v in zip(keys, values)), group


def _selector_text(selector: dict) -> str:
    return ", ".join(f"{k}={'|'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in selector.items())


# --------------------------------------------------------------------------- output
def claims_name(config_path: Path, sweep_path: Path) -> str:
    """The claims file as the report names it, with no folder of this machine: the package's own
    file by its place in the package, a file inside the sweep by its path there, any other by name."""
    config_path = Path(config_path).resolve()
    if config_path == DEFAULT_CLAIMS:
        return str(DEFAULT_CLAIMS.relative_to(DEFAULT_CLAIMS.parents[2]))
    try:
        return str(config_path.relative_to(Path(sweep_path).resolve()))
    except ValueError:
        return config_path.name


def claims_markdown(results: list, sweep_path: Path, config_path: Path) -> str:
    """claims.md: a table of verdicts, then each claim's conditions and numbers."""
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    lines = ["# The papers' claims checked against this sweep", "",
             f"Sweep: `{Path(sweep_path).resolve().name}`. Thresholds: `{claims_name(config_path, sweep_path)}`. "
             + ", ".join(f"{counts[v]} {v}" for v in VERDICTS) + ".", "",
             "| claim | source | number that tests it | threshold | verdict |", "|---|---|---|---|---|"]
    for r in results:
        numbers = "<br>".join(c.short() for c in r.conditions)
        thresholds = "<br>".join(c.text for c in r.conditions)
        verdict = f"**{r.verdict}**" + (f" ({r.flag})" if r.flag else "") + (f": {r.note}" if r.note else "")
        lines.append("| " + " | ".join(_cell(x) for x in (r.claim, r.source, numbers, thresholds, verdict)) + " |")
    lines += ["", "## Details", ""]
    for r in results:
        lines += [f"### {r.id}: {r.verdict}" + (f" ({r.flag})" if r.flag else ""), "", f"{r.claim} ({r.source})", ""]
        if r.note:
            lines += [f"Inconclusive: {r.note}.", ""]
        for c in r.conditions:
            outcome = c.outcome + (", but still improving" if c.inconclusive else "")
            lines.append(f"- `{c.text}`: **{outcome}**" + (f"; {c.numbers}" if c.numbers else "")
                         + (f" ({c.reason})" if c.reason else ""))
            if c.beside:
                b = c.beside
                lines.append(f"  - beside, not judged: {b['runs']}: {b['outcome']}"
                             + (f"; {b['numbers']}" if b["numbers"] else "") + (f" ({b['reason']})" if b["reason"] else ""))
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_claims(out: Path, results: list, sweep_path: Path, config_path: Path) -> None:
    (out / "claims.md").write_text(claims_markdown(results, sweep_path, config_path))
    (out / "claims.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
