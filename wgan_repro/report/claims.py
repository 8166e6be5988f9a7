"""The papers' claims judged against a sweep's summary table, with the thresholds of a YAML
file (wgan_repro/conf/report_claims.yaml by default). A verdict is computed, never written down:
reproduced (every condition passes), not reproduced (one fails), or not tested by this sweep
(none fails, but one has no run or no number to judge)."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd
import yaml

from wgan_repro.report.collect import ReportError
from wgan_repro.report.stats import fmt, mean_std
from wgan_repro.report.tables import DEFAULT_SETTINGS, NUMBERS, group_keys

DEFAULT_CLAIMS = Path(__file__).resolve().parents[1] / "conf" / "report_claims.yaml"
REPRODUCED, NOT_REPRODUCED, NOT_TESTED = "reproduced", "not reproduced", "not tested by this sweep"
PASS, FAIL, UNTESTED = "pass", "fail", "untested"
OVER = ("each_run", "each_group_mean")
DIVERGED = ("skip", "pass", "fail")     # what a diverged run counts as


@dataclass
class ConditionResult:
    """One condition judged: its outcome, the numbers behind it and, when untested, why."""

    text: str                    # what was checked, e.g. "model=dcgan, loss=wgan: fid_rel <= 0.2"
    outcome: str                 # pass | fail | untested
    numbers: str                 # e.g. "0.12 (mean of 3 seeds)" or "dcgan: 0.81; mlp: 0.74"
    reason: str = ""
    beside: Optional[dict] = None

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


# --------------------------------------------------------------------------- config
def load_config(path=None) -> tuple[dict, list]:
    """(settings, claims) from the YAML file; ReportError naming the bad entry otherwise."""
    path = Path(path) if path else DEFAULT_CLAIMS
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
    for claim in data["claims"]:
        _check_claim(claim, path)
    return settings, data["claims"]


def _check_claim(claim, path: Path) -> None:
    where = f"the claims file {path}, claim {claim.get('id', '?') if isinstance(claim, dict) else claim!r}"
    if not isinstance(claim, dict) or not {"id", "claim", "conditions"} <= claim.keys():
        raise ReportError(f"{where}: every claim needs id, claim and conditions")
    if not isinstance(claim["conditions"], list) or not claim["conditions"]:
        raise ReportError(f"{where}: conditions must be a non-empty list")
    for cond in claim["conditions"]:
        if not isinstance(cond, dict) or not isinstance(cond.get("runs"), dict):
            raise ReportError(f"{where}: each condition needs `runs: {{key: value}}`")
        if cond.get("metric") not in NUMBERS:
            raise ReportError(f"{where}: unknown metric {cond.get('metric')!r}; use one of {', '.join(NUMBERS)}")
        if "min" not in cond and "max" not in cond:
            raise ReportError(f"{where}: a condition needs min and/or max")
        for bound in ("min", "max"):
            if bound in cond and not isinstance(cond[bound], (int, float)):
                raise ReportError(f"{where}: {bound} must be a number, not {cond[bound]!r}")
        if cond.get("diverged", "skip") not in DIVERGED:
            raise ReportError(f"{where}: diverged must be one of {', '.join(DIVERGED)}")
        if cond.get("over", "each_run") not in OVER:
            raise ReportError(f"{where}: over must be one of {', '.join(OVER)}")


# --------------------------------------------------------------------------- judging
def judge(claims: list, summary: pd.DataFrame) -> list:
    """A ClaimResult for every claim, from the summary table (one row per run)."""
    results = []
    for claim in claims:
        conditions = []
        for cond in claim["conditions"]:
            result = check(cond, summary)
            swap = _beside(cond, claim.get("beside"))
            if swap is not None:
                other = check({**cond, "runs": swap}, summary)
                result.beside = {"runs": _selector_text(swap), "outcome": other.outcome,
                                 "numbers": other.numbers, "reason": other.reason}
            conditions.append(result)
        outcomes = [c.outcome for c in conditions]
        verdict = NOT_REPRODUCED if FAIL in outcomes else NOT_TESTED if UNTESTED in outcomes else REPRODUCED
        results.append(ClaimResult(id=str(claim["id"]), source=str(claim.get("source", "")),
                                   claim=str(claim["claim"]), verdict=verdict, conditions=conditions))
    return results


def check(cond: dict, summary: pd.DataFrame) -> ConditionResult:
    """Judge one condition on the runs its selector picks."""
    metric, over = cond["metric"], cond.get("over", "each_run")
    text = f"{_selector_text(cond['runs'])}: {metric} {threshold_text(cond)}" + (
        " for every run" if over == "each_run" else " (mean over seeds)")
    selected = summary[_select(summary, cond["runs"])]
    if selected.empty:
        return ConditionResult(text, UNTESTED, "", f"no run with {_selector_text(cond['runs'])} in this sweep")
    on_diverged = cond.get("diverged", "skip")
    judged_status = ["finished"] if on_diverged == "skip" else ["finished", "diverged"]
    usable = selected[selected["status"].isin(judged_status)]
    if usable.empty:
        states = ", ".join(f"{n} {s}" for s, n in selected["status"].value_counts().items())
        return ConditionResult(text, UNTESTED, "", f"no finished run with {_selector_text(cond['runs'])} ({states})")

    fixed = {k for k, v in cond["runs"].items() if not isinstance(v, list) or len(v) == 1}
    keys = [k for k in group_keys(summary) if summary[k].nunique(dropna=False) > 1 and k not in fixed]
    seed_key = ["seed"] if "seed" in summary and summary["seed"].nunique() > 1 else []
    diverged_outcome = PASS if on_diverged == "pass" else FAIL
    # a number without a label of its own is named by the selector's keys that vary in the sweep
    default_label = ", ".join(f"{k}={v}" for k, v in cond["runs"].items()
                              if k in summary and summary[k].nunique(dropna=False) > 1)
    parts, outcomes = [], []
    if over == "each_run":
        for _, row in usable.iterrows():
            label = _label(row, keys + seed_key)
            if row["status"] == "diverged":
                outcome, number = diverged_outcome, "diverged"
            else:
                outcome, number = _judge_value(row[metric], cond)
            outcomes.append(outcome)
            label = label or default_label
            parts.append(f"{label}: {number}" if label else number)
    else:
        for label, group in _groups(usable, keys):
            done = group[group["status"] == "finished"]
            n_diverged = int((group["status"] == "diverged").sum())
            mean, std, n = mean_std(done[metric].tolist())
            if n_diverged and (on_diverged == "fail" or not len(done)):
                outcome, number = diverged_outcome, f"{n_diverged} of {len(group)} diverged"
            elif n:
                outcome, number = _judge_value(mean, cond)
                number += f" ± {fmt(std)} (mean of {n} seeds)" if n > 1 else ""
                number += f" (+{n_diverged} diverged)" if n_diverged else ""
            else:
                outcome, number = UNTESTED, "no value"
            outcomes.append(outcome)
            label = label or default_label
            parts.append(f"{label}: {number}" if label else number)
    numbers = "; ".join(parts)
    judged = [o for o in outcomes if o != UNTESTED]
    if not judged:
        reason = f"no {metric} for the selected runs" + _why_missing(metric)
        return ConditionResult(text, UNTESTED, numbers, reason)
    if FAIL in judged:
        return ConditionResult(text, FAIL, numbers)
    reason = f"{outcomes.count(UNTESTED)} of {len(outcomes)} without a value, not judged" if UNTESTED in outcomes else ""
    return ConditionResult(text, PASS, numbers, reason)


def _why_missing(metric: str) -> str:
    if metric.startswith("spearman"):
        return " (the runs logged no quality metric, or fewer evaluation points than settings.min_eval_points)"
    if metric == "fid_rel":
        return " (needs a final FID and final_eval.json's reference floor and ceiling)"
    if metric == "coverage_share":
        return " (needs classes_covered or modes_captured and the number of classes or modes)"
    return " (the runs logged no quality metric)"


def _judge_value(value, cond: dict) -> tuple[str, str]:
    if value is None or not math.isfinite(float(value)):
        return UNTESTED, "no value"
    return (PASS if _within(float(value), cond) else FAIL), fmt(float(value))


def _within(value: float, cond: dict) -> bool:
    return ("min" not in cond or value >= cond["min"]) and ("max" not in cond or value <= cond["max"])


def threshold_text(cond: dict) -> str:
    if "min" in cond and "max" in cond:
        return f"in [{cond['min']}, {cond['max']}]"
    return f">= {cond['min']}" if "min" in cond else f"<= {cond['max']}"


def _select(summary: pd.DataFrame, selector: dict) -> pd.Series:
    mask = pd.Series(True, index=summary.index)
    for key, wanted in selector.items():
        wanted = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
        if key not in summary:
            return pd.Series(False, index=summary.index)
        mask &= summary[key].astype(str).isin(wanted)
    return mask


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


def _label(row: pd.Series, keys: list) -> str:
    return ", ".join(f"{k}={row[k]}" for k in keys)


def _selector_text(selector: dict) -> str:
    return ", ".join(f"{k}={'|'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in selector.items())


# --------------------------------------------------------------------------- output
def claims_markdown(results: list, sweep_path: Path, config_path: Path) -> str:
    """claims.md: a table of verdicts, then each claim's conditions and numbers."""
    counts = {v: sum(r.verdict == v for r in results) for v in (REPRODUCED, NOT_REPRODUCED, NOT_TESTED)}
    lines = ["# The papers' claims checked against this sweep", "",
             f"Sweep: `{sweep_path}`. Thresholds: `{config_path}`. "
             f"{counts[REPRODUCED]} reproduced, {counts[NOT_REPRODUCED]} not reproduced, "
             f"{counts[NOT_TESTED]} not tested by this sweep.", "",
             "| claim | source | number that tests it | threshold | verdict |", "|---|---|---|---|---|"]
    for r in results:
        numbers = "<br>".join(c.short() for c in r.conditions)
        thresholds = "<br>".join(c.text for c in r.conditions)
        lines.append("| " + " | ".join(_cell(x) for x in (r.claim, r.source, numbers, thresholds, f"**{r.verdict}**"))
                     + " |")
    lines += ["", "## Details", ""]
    for r in results:
        lines += [f"### {r.id}: {r.verdict}", "", f"{r.claim} ({r.source})", ""]
        for c in r.conditions:
            lines.append(f"- `{c.text}`: **{c.outcome}**" + (f"; {c.numbers}" if c.numbers else "")
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
