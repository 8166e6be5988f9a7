"""Read a sweep folder into one `Run` per run folder, from the files the runs wrote
(metrics.csv, status.json, run.json, final_eval.json, samples/, critic_surface.npz,
.hydra/overrides.yaml, run.log). It never imports the training code."""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import yaml

from wgan_repro.run_layout import (
    AXES,
    FINAL_EVAL_FILE,
    IMAGE_METRICS,
    METRICS_FILE,
    MIXTURE_METRICS,
    NON_IDENTITY_OVERRIDES,
    RUN_FILE,
    RUN_MARKERS,
    STATUS_FILE,
    SURFACE_FILE,
    TRAIN_COLUMNS,
    identity_overrides,
)
from wgan_repro.run_layout import STATUSES as RUN_STATUSES

BASE_COLUMNS = list(TRAIN_COLUMNS)
POINT_METRICS = list(MIXTURE_METRICS)
QUALITY_METRICS = list(IMAGE_METRICS) + POINT_METRICS
# The statuses in the report's order (finished first).
STATUSES = ["finished", "diverged", "running", "failed"]
assert set(STATUSES) == set(RUN_STATUSES)
REPORT_DIR = "report"
# Overrides that change where or how fast a run goes, not what it is (data.download: older runs).
IGNORED_OVERRIDES = set(NON_IDENTITY_OVERRIDES) | {"data.download"}
# Number of classes or modes when final_eval.json does not say (the data config's name).
KNOWN_CLASSES = {"fashion_mnist": 10, "mnist": 10, "cifar10": 10}
KNOWN_MODES = {"eight_gaussians": 8, "twentyfive_gaussians": 25}


# Display order of the networks: the paper's figures (DCGAN, without BatchNorm, MLP). Objectives
# are ordered by the `rank` their run.json records (the objectives registry's order: WGAN first).
ORDER = {"model": ["dcgan", "dcgan_nobn", "mlp"], "critic": ["dcgan", "dcgan_nobn", "mlp"]}


def rank(key: str, value: str, objective_rank: Optional[int] = None):
    """Sort key of a parameter's value: the paper's order (for an objective, the `rank` its runs
    record), then numbers, then text."""
    order = ORDER.get(key, [])
    if value in order:
        return (0, order.index(value), "")
    if key == "loss" and isinstance(objective_rank, int):
        return (0, objective_rank, "")
    try:
        return (1, float(value), "")
    except ValueError:
        return (2, 0.0, value)


def run_order(run: "Run"):
    """Runs sorted by generator, objective, the other axes, then seed."""
    keys = ["model", "loss", *sorted(k for k in run.params if k not in ("model", "loss", "seed")), "seed"]
    return [rank(k, str(run.params.get(k, "")), objective_ranks([run]).get(str(run.params.get("loss"))))
            for k in keys] + [run.name]


def objective_ranks(runs) -> dict:
    """Objective name -> the display rank its runs' run.json records."""
    return {str(r.objective["name"]): r.objective["rank"] for r in runs
            if r.objective.get("name") is not None and isinstance(r.objective.get("rank"), int)}


class ReportError(Exception):
    """A problem with the report's input, told in one line that names it and the fix."""


class NoFinishedRun(ReportError):
    """The sweep holds runs, but none has finished."""


@dataclass
class Run:
    """One run folder of a sweep, as its files describe it."""

    path: Path
    name: str                                 # the folder, relative to the sweep
    params: dict                              # model, critic, loss, data, experiment, seed, other overrides
    status: str                               # finished | diverged | running | failed
    message: str = ""
    iter: Optional[int] = None                # last generator iteration reached
    iters: Optional[int] = None               # generator iterations asked for
    wall_time: Optional[float] = None         # seconds
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    final_eval: dict = field(default_factory=dict)
    samples: Optional[Path] = None            # final.png, else the latest iter_*.png
    real_samples: Optional[Path] = None
    surface: Optional[Path] = None            # critic_surface.npz (2-D sets), when the run wrote one
    log_tail: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # problems met reading the folder
    config: dict = field(default_factory=dict)  # the resolved config (run.json, else .hydra/config.yaml)
    objective: dict = field(default_factory=dict)  # run.json's `objective`: estimate name, reference line, ...
    overrides: frozenset = frozenset()        # its identifying (key, value) overrides, as a sweep expands them
    cpu_kernels: str = ""                     # oneDNN's kernels (run.json's cpu_kernels.onednn); "" if not recorded

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def quality_metric(self) -> Optional[str]:
        """`fid` for image runs, `w1_exact` for 2-D runs: the first one with a logged value."""
        for name in ("fid", "w1_exact"):
            if name in self.metrics and self.metrics[name].notna().any():
                return name
            if _number(self.final_eval.get(name)) is not None:
                return name
        return None

    @property
    def estimate_name(self) -> str:
        """The objective's name for its estimate (run.json), e.g. "W-estimate"."""
        return str(self.objective.get("estimate") or "estimate")

    @property
    def reference_line(self) -> tuple[Optional[float], str]:
        """A value worth a line on the estimate's axis and its label (log 2 for the JS estimate)."""
        return _number(self.objective.get("reference")), str(self.objective.get("reference_label") or "")

    @property
    def critic_output(self) -> str:
        """What the critic's raw output is: "value" (a critic) or "logit" (a discriminator)."""
        return str(self.objective.get("output") or "value")


@dataclass
class Sweep:
    path: Path
    runs: list
    command: str = ""                          # the sweep's overrides, from multirun.yaml
    # how many of `runs` that command makes (Hydra's expansion of it); None when it cannot be told.
    # Hydra rewrites multirun.yaml at every sweep, so a folder that several commands filled names
    # only the last of them, and the report must not present it as the command of every run.
    command_runs: Optional[int] = None

    def counts(self) -> dict:
        return {s: sum(r.status == s for r in self.runs) for s in STATUSES if any(r.status == s for r in self.runs)}

    def relative(self, text: str) -> str:
        """`text` with the sweep's own path written relative to it (`<sweep>/a/run.log` -> `a/run.log`),
        so that a report moved or shared with its sweep names no folder of this machine."""
        for prefix in sorted({str(self.path.resolve()), str(self.path)}, key=len, reverse=True):
            if prefix not in (".", ""):
                text = re.sub(re.escape(prefix + os.sep), "", text)
                text = re.sub(re.escape(prefix) + r"(?![\w.-])", ".", text)
        return text


# --------------------------------------------------------------------------- discovery
def load_sweep(path) -> Sweep:
    """Every run under a sweep folder; ReportError when the folder is not a sweep."""
    path = Path(path)
    fix = "pass a sweep folder made by `python run.py -m ...`, e.g. results/multirun/<sweep>"
    if not path.exists():
        raise ReportError(f"{path} does not exist: {fix}")
    if not path.is_dir():
        raise ReportError(f"{path} is a file, not a folder: {fix}")
    if _is_run_dir(path):
        raise ReportError(f"{path} is one run's folder, not a sweep: {fix}")
    run_dirs = find_run_dirs(path)
    if not run_dirs:
        raise ReportError(f"{path} holds no run folders (none with metrics.csv, status.json or run.json): {fix}")
    runs = sorted((read_run(d, path) for d in run_dirs), key=run_order)
    task = _sweep_task(path)
    jobs = _expand_sweep(task)
    made = None if jobs is None else sum(r.overrides in jobs for r in runs)
    return Sweep(path=path, runs=runs, command=" ".join(task), command_runs=made)


def find_run_dirs(sweep: Path, max_depth: int = 3) -> list:
    """Run folders under `sweep` (not inside one another), sorted by name; skips report/."""
    found = []
    for dirpath, dirnames, _ in os.walk(sweep):
        here = Path(dirpath)
        depth = len(here.relative_to(sweep).parts)
        if depth and _is_run_dir(here):
            found.append(here)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (depth == 0 and d == REPORT_DIR))
        if depth >= max_depth:
            dirnames[:] = []
    return sorted(found)


def _is_run_dir(path: Path) -> bool:
    return any((path / m).is_file() for m in RUN_MARKERS)


def _sweep_task(sweep: Path) -> list:
    """The overrides of the last `python run.py -m` written into the folder (multirun.yaml)."""
    data = _read_yaml(sweep / "multirun.yaml") or {}
    try:
        return [str(t) for t in data["hydra"]["overrides"]["task"]]
    except (KeyError, TypeError):
        return []


def _expand_sweep(task: list) -> Optional[set]:
    """The runs `task` makes, each as its identifying overrides, expanded as Hydra's basic sweeper
    expands a command line (so values are written as in each run's .hydra/overrides.yaml); None
    when there is no command or Hydra cannot parse or expand it here (a glob() sweep needs Hydra's
    config loader)."""
    if not task:
        return None
    try:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        batches = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(task), None)
    except Exception:                            # a Hydra without these internals, or a malformed file
        return None
    return {frozenset(_identity(job)) for batch in batches for job in batch}


def _override_items(run_dir: Path) -> list:
    """The run's command-line overrides: .hydra/overrides.yaml, else its folder's name (Hydra's
    override_dirname)."""
    items = _read_yaml(run_dir / ".hydra" / "overrides.yaml")
    return items if isinstance(items, list) else run_dir.name.split(",")


def _identity(items) -> list:
    """(key, value) of the overrides that say what a run is (not where it writes or how fast it
    goes), in their order."""
    return [(key, value) for key, value, _ in identity_overrides(items, IGNORED_OVERRIDES)]


# --------------------------------------------------------------------------- one run
def read_run(run_dir: Path, sweep: Path) -> Run:
    """A Run from one folder; missing or unreadable files become notes, never exceptions."""
    notes = []
    status = _read_json(run_dir / STATUS_FILE)
    meta = _read_json(run_dir / RUN_FILE) or {}
    kernels = meta.get("cpu_kernels")
    config = meta.get("config") or _read_yaml(run_dir / ".hydra" / "config.yaml") or {}
    overrides = _identity(_override_items(run_dir))
    final_eval = flatten_final_eval(_read_json(run_dir / FINAL_EVAL_FILE) or {})
    metrics = read_metrics(run_dir / METRICS_FILE, notes)
    log_tail = _tail(run_dir / "run.log", 12)

    if status is None:
        state, message = "failed", "no status.json: the run stopped before training began"
        if (run_dir / METRICS_FILE).exists():
            message = "no readable status.json"
    else:
        state = str(status.get("status", "failed"))
        message = str(status.get("message") or "")
        if state not in STATUSES:
            notes.append(f"unknown status {state!r}")
            state = "failed"
    last_iter = _number(status.get("iter")) if status else None
    if last_iter is None and len(metrics):
        last_iter = _number(metrics["iter"].iloc[-1]) if "iter" in metrics else None
    wall_time = _number(status.get("wall_time")) if status else None
    if wall_time is None and "wall_time" in metrics and metrics["wall_time"].notna().any():
        wall_time = float(metrics["wall_time"].dropna().iloc[-1])
    return Run(
        path=run_dir,
        name=str(run_dir.relative_to(sweep)),
        params=run_params(run_dir, meta, overrides),
        overrides=frozenset(overrides),
        status=state,
        message=message,
        iter=int(last_iter) if last_iter is not None else None,
        iters=_int_or_none(status.get("iters")) if status else _int_or_none(_config_get(meta, "train", "iters")),
        wall_time=wall_time,
        metrics=metrics,
        final_eval=final_eval,
        samples=_latest_samples(run_dir / "samples"),
        real_samples=_file_or_none(run_dir / "samples" / "real.png"),
        surface=_file_or_none(run_dir / SURFACE_FILE),
        log_tail=log_tail,
        notes=notes,
        config=config if isinstance(config, dict) else {},
        objective=meta.get("objective") or _objective_of_older_run(config),
        cpu_kernels=str(kernels.get("onednn") or "") if isinstance(kernels, dict) else "",
    )


def _objective_of_older_run(config) -> dict:
    """A run.json written before runs recorded their objective's info: the info of the objective
    of that name in this version (empty when it is not registered any more)."""
    name = config.get("loss", {}).get("name") if isinstance(config, dict) and isinstance(config.get("loss"), dict) else None
    if not name:
        return {}
    from wgan_repro.objectives import OBJECTIVES, build_objective, loss_preset, objective_record
    from wgan_repro.registry import ConfigError

    if name not in OBJECTIVES.names():
        return {}
    # options added since: the values that reproduce the older runs, else this version's defaults
    for fill in (OBJECTIVES.compat(name).get("added", {}), loss_preset(name)):
        try:
            return objective_record(build_objective({**fill, **config["loss"]}))
        except (ConfigError, TypeError, ValueError):
            continue
    return {}


def read_metrics(path: Path, notes: list) -> pd.DataFrame:
    """metrics.csv as numbers (empty cells -> NaN); an empty frame when absent or unreadable."""
    if not path.exists():
        return pd.DataFrame(columns=BASE_COLUMNS)
    try:
        frame = pd.read_csv(path, on_bad_lines="skip")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        notes.append(f"metrics.csv unreadable ({type(err).__name__})")
        return pd.DataFrame(columns=BASE_COLUMNS)
    frame = frame.apply(pd.to_numeric, errors="coerce")
    if "iter" in frame:
        frame = frame.dropna(subset=["iter"]).sort_values("iter").reset_index(drop=True)
    return frame


def run_params(run_dir: Path, meta: dict, overrides: list) -> dict:
    """What identifies the run in its sweep: the config group choices, the seed and every other
    override (`overrides`: from .hydra/overrides.yaml, else the folder name)."""
    params = dict(overrides)
    for axis, value in (meta.get("choices") or {}).items():
        if axis in AXES and value is not None:
            params[axis] = str(value)
    config = meta.get("config") or _read_yaml(run_dir / ".hydra" / "config.yaml") or {}
    for axis in AXES:                           # older or partial run.json: the sections' names
        section = config.get(axis) if isinstance(config, dict) else None
        if axis not in params and isinstance(section, dict) and section.get("name"):
            params[axis] = str(section["name"])
    if isinstance(config, dict) and config.get("seed") is not None:
        params["seed"] = str(config["seed"])
    return params


# --------------------------------------------------------------------------- helpers
def read_json_value(path: Path):
    """The parsed JSON of `path`, or None when it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _read_json(path: Path) -> Optional[dict]:
    data = read_json_value(path)
    return data if isinstance(data, dict) else None


def _read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _tail(path: Path, n: int) -> list:
    try:
        return path.read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return []


def _latest_samples(folder: Path) -> Optional[Path]:
    if (folder / "final.png").is_file():
        return folder / "final.png"
    grids = sorted(folder.glob("iter_*.png")) if folder.is_dir() else []
    return grids[-1] if grids else None


def _file_or_none(path: Path) -> Optional[Path]:
    return path if path.is_file() else None


def _number(value) -> Optional[float]:
    """A finite float, or None (for missing, text, NaN and infinity)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int_or_none(value) -> Optional[int]:
    number = _number(value)
    return int(number) if number is not None else None


def config_value(config: dict, key: str) -> Optional[str]:
    """The value at a dotted key of a run's config (`loss.optim.lr`) as override text, or None when
    the config has no scalar there: what a run that did not override the key ran with."""
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if node is None or isinstance(node, (dict, list)):
        return None
    return str(node).lower() if isinstance(node, bool) else str(node)


def _config_get(meta: dict, *keys):
    node = meta.get("config") or {}
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def flatten_final_eval(raw: dict) -> dict:
    """final_eval.json as the evaluator writes it ({"metrics": {...}, "floor": {...}, "ceiling":
    {...}, "protocol": ...}) as one flat dict: the metric values at the top, floor and ceiling
    under "reference"."""
    if not isinstance(raw.get("metrics"), dict):
        return raw
    flat = {k: v for k, v in raw.items() if k not in ("metrics", "floor", "ceiling")}
    flat.update(raw["metrics"])
    flat["reference"] = {"floor": raw.get("floor") or {}, "ceiling": raw.get("ceiling") or {}}
    return flat


def reference(final_eval: dict, metric: str) -> tuple[Optional[float], Optional[float]]:
    """The (floor, ceiling) of `metric` in final_eval.json's `reference`, either shape:
    {"floor": {metric: x}, "ceiling": {metric: y}} or {metric: {"floor": x, "ceiling": y}}
    ("real" and "noise" are read as floor and ceiling)."""
    ref = final_eval.get("reference")
    if not isinstance(ref, dict):
        return None, None

    def pick(node, names):
        for name in names:
            if isinstance(node, dict) and name in node:
                return node[name]
        return None

    floor_names, ceiling_names = ("floor", "real"), ("ceiling", "noise")
    per_metric = ref.get(metric)
    if isinstance(per_metric, dict):
        return _number(pick(per_metric, floor_names)), _number(pick(per_metric, ceiling_names))
    floor, ceiling = pick(ref, floor_names), pick(ref, ceiling_names)
    return (_number(floor.get(metric)) if isinstance(floor, dict) else None,
            _number(ceiling.get(metric)) if isinstance(ceiling, dict) else None)


def load_surface(path: Path) -> Optional[dict]:
    """critic_surface.npz as arrays (x, y, values and optionally real, fake, iter); None if unusable."""
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError):
        return None
    x, y, values = arrays.get("x"), arrays.get("y"), arrays.get("values")
    if x is None or y is None or values is None or values.shape != (len(y), len(x)):
        return None
    return arrays
