"""The theory experiments' claims (wgan_repro/conf/theory_claims.yaml) judged on their run
folders, with the sweep report's judge (report/claims.py).

A theory folder holds one run folder per experiment (`<theory_dir>/<name>/`: summary.json,
status.json, figure.png), written by `python run.py experiment=<name>`. `theory_summary`
makes one row of each: `run` (the folder), `task`, `status`, and every number of its
summary.json, nested keys joined by dots (`final_abs_theta.wgan`, `stages.100.final_accuracy`).
A theory experiment is one run with no seeds, so each claim is judged on that one run. Like
the rest of the report it reads files only and never imports the experiments.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import pandas as pd

from wgan_repro.report.claims import NOT_TESTED, judge, load_config
from wgan_repro.report.collect import STATUSES, ReportError, _read_json, _read_yaml

THEORY_CLAIMS = Path(__file__).resolve().parents[1] / "conf" / "theory_claims.yaml"
FIRST_COLUMNS = ["run", "task", "status", "message"]
RUN_MARKERS = ("summary.json", "status.json")
PART_STATUSES = ("pending", *STATUSES)      # parts.json's "pending": a part not started yet


def theory_summary(theory_dir, statuses: Optional[dict] = None) -> pd.DataFrame:
    """One row per theory run folder under `theory_dir` (none when it does not exist yet).

    `statuses` ({run folder name: status}) overrides what a folder's status.json says, for a
    run that the reproduction has (re)started or not started yet: its old numbers must not be
    judged. A name without a folder gets a row of its own, so that its claims say "1 pending"
    rather than "no run"."""
    theory_dir = Path(theory_dir)
    if theory_dir.exists() and not theory_dir.is_dir():
        raise ReportError(f"{theory_dir} is a file, not a folder of theory runs: pass the folder holding "
                          "<name>/summary.json for each experiment")
    folders = sorted(p for p in theory_dir.iterdir() if p.is_dir() and _is_theory_run(p)) if theory_dir.is_dir() else []
    rows = [theory_row(folder) for folder in folders]
    for row in rows:
        if statuses and statuses.get(row["run"], "finished") != "finished":
            row.update(status=statuses[row["run"]], message=f"its part is {statuses[row['run']]}")
    seen = {row["run"] for row in rows}
    rows += [{"run": name, "task": name, "status": status, "message": f"its part is {status}"}
             for name, status in (statuses or {}).items() if name not in seen and status != "finished"]
    frame = pd.DataFrame(rows, columns=None if rows else FIRST_COLUMNS)
    numbers = [c for c in frame.columns if c not in FIRST_COLUMNS]
    frame = frame[FIRST_COLUMNS + numbers]
    for column in numbers:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _is_theory_run(path: Path) -> bool:
    return any((path / m).is_file() for m in RUN_MARKERS)


def theory_row(folder: Path) -> dict:
    """The row of one theory run folder. Its task comes from summary.json, else from the run's
    Hydra config (a run still going has no summary yet), else from the folder's name."""
    summary = _read_json(folder / "summary.json")
    status = _read_json(folder / "status.json")
    config = _read_yaml(folder / ".hydra" / "config.yaml")
    task = (summary or {}).get("task") or (config.get("task") if isinstance(config, dict) else None) or folder.name
    if status is None:
        state, message = ("finished", "no status.json") if summary else ("failed", "no readable status.json")
    else:
        state, message = str(status.get("status", "failed")), str(status.get("message") or "")
        if state not in STATUSES:
            state, message = "failed", f"unknown status {state!r}"
    if state == "finished" and summary is None:
        message = "finished, but no readable summary.json"
    row = {"run": folder.name, "task": str(task), "status": state, "message": message}
    row.update(flatten_numbers(summary or {}))
    return row


def flatten_numbers(data: dict, prefix: str = "") -> dict:
    """Every number of a nested dict, its keys joined by dots; null becomes NaN (a number the run
    could not give, e.g. the iteration at which an accuracy that was never reached was
    reached). Text, lists and booleans are left out: claims judge numbers."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_numbers(value, f"{name}."))
        elif value is None:
            out[name] = math.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def judge_theory(theory_dir, claims_file=None, statuses: Optional[dict] = None) -> list:
    """A ClaimResult for every claim of the theory claims file, judged on the runs under
    `theory_dir`; `statuses` as in theory_summary. A claim left untested because its
    experiment's run is missing or unfinished says so in its note ("the instance_noise run is
    running"): its conditions alone may only say that no run matched a selector on a number the
    unfinished run has not written yet."""
    settings, claims = load_config(claims_file or THEORY_CLAIMS, metrics=None)
    summary = theory_summary(theory_dir, statuses)
    scope = f"{Path(theory_dir).name}/"
    results = judge(claims, summary, settings, config_keys=["run"], scope=scope)
    for claim, result in zip(claims, results):
        why = not_run(summary, _task(claim), scope)
        if result.verdict == NOT_TESTED and why:
            result.note = why
    return results


def not_run(summary: pd.DataFrame, task: str, scope: str) -> str:
    """Why the experiment `task` has no finished run in the table, or "" when it has one."""
    runs = summary[summary["task"] == task]
    if runs.empty:
        return f"no {task} run in {scope}"
    if (runs["status"] == "finished").any():
        return ""
    return f"the {task} run is " + " and ".join(dict.fromkeys(runs["status"]))


def _task(claim: dict) -> str:
    return next((str(cond["runs"]["task"]) for cond in claim["conditions"] if "task" in cond["runs"]), "")


def claim_tasks(claims_file=None) -> dict:
    """{claim id: the theory task its conditions select}, e.g. for placing each on the page."""
    _, claims = load_config(claims_file or THEORY_CLAIMS, metrics=None)
    return {str(c["id"]): _task(c) for c in claims}
