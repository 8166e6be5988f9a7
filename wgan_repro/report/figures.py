"""The report's figures (Matplotlib, Agg backend), each a grid of model (rows) x objective
(columns): curves.png, loss_vs_quality.png, samples.png and, for 2-D runs that saved one,
critic.png. Runs that differ only by seed share a panel."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from PIL import Image  # noqa: E402

from wgan_repro.report.collect import Run, load_surface, objective_ranks  # noqa: E402
from wgan_repro.report.collect import rank as _rank
from wgan_repro.report.stats import spearman  # noqa: E402
from wgan_repro.report.tables import eval_points, smoothed_estimate  # noqa: E402

# the colorbar label of a critic surface, by what the critic outputs (run.json's objective.output)
OUTPUT_LABEL = {"value": "critic value f(x)", "logit": "discriminator logit", "energy": "critic energy D(x)"}

QUALITY_LABEL = {"fid": "FID (lower is better)", "w1_exact": "exact W1 (lower is better)"}
STYLE = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 7.5,
         "xtick.labelsize": 8, "ytick.labelsize": 8, "figure.dpi": 150, "savefig.dpi": 150,
         "axes.spines.top": False}
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
STATUS_COLOR = {"diverged": "firebrick", "failed": "firebrick", "running": "darkorange"}
# a panel title is wrapped to its panel's width: at axes.titlesize 9.5 pt a character of
# DejaVu Sans is about 0.075 in wide on average (13 per inch), a line about 0.16 in high
TITLE_CHARS_PER_INCH = 13
TITLE_LINE_INCHES = 0.16


# --------------------------------------------------------------------------- layout
def _value(run: Run, key: str) -> str:
    return str(run.params.get(key, ""))


def _objective_keys(runs: list, varying: list) -> list:
    """Swept keys that belong with the objective: a `loss.*` key that the runs of one objective
    alone set (BEGAN's loss.gamma beside a GAN that has none) and a key with one value per
    objective (critic=autoencoder, which loss=began brings): candidates to label the objective's
    columns instead of adding rows."""
    bound = []
    for key in varying:
        if key == "model":
            continue
        setters = {_value(r, "loss") for r in runs if _value(r, key) != ""}
        one_objective = key.startswith("loss.") and len(setters) == 1 and any(_value(r, "loss") not in setters for r in runs)
        per_objective = {}
        for r in runs:
            per_objective.setdefault(_value(r, "loss"), set()).add(_value(r, key))
        if one_objective or all(len(values) == 1 for values in per_objective.values()):
            bound.append(key)
    return bound


class Grid:
    """Rows: the swept parameters other than the objective and the seed (the generator first);
    columns: the objective, labelled with the keys that belong to it (_objective_keys) where that
    leaves fewer empty panels (BEGAN's gammas beside a GAN: one row of four panels, not four rows of
    two with four "no run"). `cells[(row, col)]` lists the runs of a panel, by seed."""

    def __init__(self, runs: list):
        varying = [k for k in sorted({k for r in runs for k in r.params})
                   if k not in ("loss", "seed") and len({_value(r, k) for r in runs}) > 1]
        ranks = objective_ranks(runs)
        layouts = [self._layout(runs, varying, col_extra, ranks) for col_extra in ([], _objective_keys(runs, varying))]
        empty = [len(rows) * len(cols) - len(cells) for _, rows, cols, cells in layouts]
        self.row_keys, self.rows, self.cols, self.cells = layouts[1 if empty[1] < empty[0] else 0]
        self.panel_width: Optional[float] = None      # inches, set by _figure: titles wrap to it

    @staticmethod
    def _layout(runs: list, varying: list, col_extra: list, ranks: dict):
        row_keys = ["model"] + [k for k in varying if k != "model" and k not in col_extra]

        def col(run):
            return " · ".join([_value(run, "loss")] + [f"{k}={_value(run, k)}" for k in col_extra if _value(run, k)])

        rows = sorted({tuple(_value(r, k) for k in row_keys) for r in runs},
                      key=lambda row: [_rank(k, v) for k, v in zip(row_keys, row)])
        order = {}
        for r in runs:
            order[col(r)] = [_rank("loss", _value(r, "loss"), ranks.get(_value(r, "loss")))] + \
                [_rank(k, _value(r, k)) for k in col_extra]
        cols = sorted(order, key=order.get)
        cells: dict = {}
        for run in sorted(runs, key=lambda r: _rank("seed", _value(r, "seed"))):
            cells.setdefault((tuple(_value(run, k) for k in row_keys), col(run)), []).append(run)
        return row_keys, rows, cols, cells

    def row_label(self, row: tuple) -> str:
        """The row's generator and every other swept key its runs set (a key they leave at its
        default is left out, rather than shown as `key=`)."""
        extra = [f"{k}={v}" for k, v in zip(self.row_keys[1:], row[1:]) if v != ""]
        return " · ".join([row[0] or "?"] + extra)

    def title(self, row: tuple, col: str, suffix: str = "") -> str:
        """A panel's title, wrapped at its separators to the panel's width once _figure set it."""
        text = f"{self.row_label(row)} · {col or '?'}{suffix}"
        return text if self.panel_width is None else wrap(text, self.panel_width)

    def title_lines(self) -> int:
        return max((len(self.title(row, col).splitlines()) for row in self.rows for col in self.cols), default=1)


def wrap(text: str, inches: float, points: float = 9.5) -> str:
    """`text` in lines that fit `inches` at a font of `points`, broken at spaces only."""
    chars = max(16, int(inches * TITLE_CHARS_PER_INCH * 9.5 / points))
    return "\n".join(textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False))


def _figure(grid: Grid, width: float, height: float, extra_cols: int = 0, left: float = 0.75,
            right: float = 0.75, gap_w: float = 1.45, gap_h: float = 0.85, top: float = 0.35, bottom: float = 0.55,
            grid_titles: bool = True):
    """A grid of axes of `width` x `height` inches each, with fixed margins (in inches): faster
    than an automatic layout and the same for every panel. The panel titles wrap to `width`, and
    the space above each row grows by their extra lines (with `grid_titles`: the panels are
    titled by grid.title)."""
    grid.panel_width = width
    extra = (grid.title_lines() - 1) * TITLE_LINE_INCHES if grid_titles else 0.0
    gap_h, top = gap_h + extra, top + extra
    nrows, ncols = len(grid.rows), len(grid.cols) + extra_cols
    fig_w = left + ncols * width + (ncols - 1) * gap_w + right
    fig_h = top + nrows * height + (nrows - 1) * gap_h + bottom
    fig, axes = plt.subplots(nrows, ncols, figsize=(fig_w, fig_h), squeeze=False)
    fig.subplots_adjust(left=left / fig_w, right=1 - right / fig_w, bottom=bottom / fig_h, top=1 - top / fig_h,
                        wspace=gap_w / width, hspace=gap_h / height)
    return fig, axes


def _panels(grid: Grid, axes):
    """(axis, runs) for every model x objective cell that has runs; titles every cell and
    marks the empty ones."""
    for i, row in enumerate(grid.rows):
        for j, col in enumerate(grid.cols):
            ax, runs = axes[i][j], grid.cells.get((row, col), [])
            ax.set_title(grid.title(row, col))
            if runs:
                yield ax, runs
            else:
                _empty(ax, "no run")


def _empty(ax, text: str, color: str = "0.4") -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    label = ax.text(0.5, 0.5, text, ha="center", va="center", color=color, transform=ax.transAxes, fontsize=8)
    label.set_in_layout(False)


def _status_note(run: Run) -> str:
    if run.finished:
        return ""
    where = f" at iter {run.iter}" if run.iter is not None else ""
    return f"{run.status}{where}"


def _seed_label(run: Run, many: bool) -> str:
    return f"seed {run.params.get('seed', '?')}" if many else ""


# --------------------------------------------------------------------------- curves
def plot_curves(grid: Grid, settings: dict, path: Path) -> None:
    """Estimate (raw, faint; median-filtered, solid) against generator iterations, with the
    run's quality metric (FID or exact W1) on a twin axis."""
    with plt.rc_context(STYLE):
        fig, axes = _figure(grid, width=3.0, height=2.1)
        for ax, runs in _panels(grid, axes):
            _draw_curves(ax, runs, settings)
        fig.savefig(path)
        plt.close(fig)


def _draw_curves(ax, runs: list, settings: dict) -> None:
    many = len(runs) > 1
    twin, notes, drawn = None, [], False
    for k, run in enumerate(runs):
        color = f"C{k % 10}"
        quality_color = color if many else "C3"
        label = _seed_label(run, many)
        note = _status_note(run)
        if note:
            notes.append((f"{label}: " if label else "") + note)
        frame = run.metrics
        if frame.empty or "estimate" not in frame:
            continue
        drawn = True
        ax.plot(frame["iter"], frame["estimate"], color=color, alpha=0.2, linewidth=0.6)
        ax.plot(frame["iter"], smoothed_estimate(run, settings), color=color, linewidth=1.4,
                label=(label + " estimate") if many else "estimate (median-filtered)")
        metric = run.quality_metric
        points = frame[["iter", metric]].dropna() if metric and metric in frame else None
        if points is not None and len(points):
            twin = twin or ax.twinx()
            twin.plot(points["iter"], points[metric], color=quality_color, linestyle="--", marker="o", markersize=2.5,
                      linewidth=1.0, label=(label + " " if many else "") + metric.replace("_exact", "").upper())
            twin.set_ylabel(QUALITY_LABEL[metric])
        finite = frame[["iter", "estimate"]].replace([np.inf, -np.inf], np.nan).dropna()
        if not run.finished and len(finite):
            ax.plot(finite["iter"].iloc[-1], finite["estimate"].iloc[-1], marker="x", color="firebrick",
                    markersize=7)
    if not drawn:
        _empty(ax, "nothing logged\n" + "\n".join(notes) + _message(runs), color="firebrick")
        return
    reference, reference_label = runs[0].reference_line
    if reference is not None:
        ax.axhline(reference, color="0.5", linestyle=":", linewidth=0.8)
        ax.annotate(reference_label, (0.0, reference), xycoords=("axes fraction", "data"), fontsize=7, color="0.4",
                    va="bottom")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(runs[0].estimate_name)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best", frameon=True, framealpha=0.8, edgecolor="none")
    if notes:
        ax.text(0.02, 0.02, "\n".join(notes), color="firebrick", fontsize=7.5, transform=ax.transAxes,
                va="bottom").set_in_layout(False)


def _message(runs: list) -> str:
    messages = [r.message for r in runs if r.message]
    return ("\n" + messages[0][:80]) if messages else ""


# --------------------------------------------------------------------------- estimate vs quality
def plot_loss_vs_quality(grid: Grid, settings: dict, path: Path) -> dict:
    """The median-filtered estimate against the quality metric at every evaluation point,
    coloured by training progress, with Spearman's rho on each panel. Returns {run name: rho}."""
    rhos = {}
    with plt.rc_context(STYLE):
        fig, axes = _figure(grid, width=2.8, height=2.3, gap_w=0.9, right=1.2)
        cmap, norm = plt.get_cmap("viridis"), Normalize(0, 1)
        for ax, runs in _panels(grid, axes):
            lines, metric_shown = [], None
            for k, run in enumerate(runs):
                points = eval_points(run, settings)
                metric = run.quality_metric
                label = _seed_label(run, len(runs) > 1)
                marker = MARKERS[k % len(MARKERS)]
                prefix = f"{label} ({marker}): " if label else ""
                note = f"\n   {_status_note(run)}" if _status_note(run) else ""
                if metric is None or points.empty:
                    lines.append(f"{prefix}no quality metric logged{note}")
                    continue
                metric_shown = metric_shown or metric
                total = run.iters or points["iter"].max()
                ax.scatter(points[metric], points["estimate"], c=cmap(norm(points["iter"] / total)),
                           marker=marker, s=16, edgecolors="none")
                rho = spearman(points["estimate"], points[metric])
                rhos[run.name] = rho
                few = ", too few to judge" if len(points) < settings["min_eval_points"] else ""
                lines.append(f"{prefix}Spearman ρ = {_rho_text(rho)} (n = {len(points)}{few}){note}")
            if metric_shown is None:
                _empty(ax, "\n".join(lines))
                continue
            text = ax.text(0.03, 0.97, "\n".join(lines), transform=ax.transAxes, va="top", fontsize=7.5,
                           bbox=dict(boxstyle="round", facecolor="white", alpha=0.85, edgecolor="0.8"))
            text.set_in_layout(False)
            ax.margins(x=0.08, y=0.08)
            low, high = ax.get_ylim()
            ax.set_ylim(low, high + 0.12 * len(lines) * (high - low))     # room for the text box
            ax.set_xlabel(QUALITY_LABEL[metric_shown])
            ax.set_ylabel(f"{runs[0].estimate_name} (median-filtered)")
        fig_w, fig_h = fig.get_size_inches()
        bar = fig.add_axes([1 - 0.75 / fig_w, 0.25, 0.15 / fig_w, 0.5])
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar, label="fraction of training")
        fig.savefig(path)
        plt.close(fig)
    return rhos


def _rho_text(rho: float) -> str:
    return "n/a" if rho is None or not math.isfinite(rho) else f"{rho:.2f}"


# --------------------------------------------------------------------------- samples
def plot_samples(grid: Grid, path: Path) -> None:
    """The final sample grid (or scatter) of the first seed of every panel, real data on the left."""
    with plt.rc_context(STYLE):
        fig, _ = samples_figure(grid)
        fig.savefig(path, dpi=200)          # 560 px a panel: a 64-image grid of 64x64 images stays legible
        plt.close(fig)


def samples_figure(grid: Grid, width: float = 2.8):
    """plot_samples' figure and axes: a panel's title (objective, seed, status) wraps to the
    panel's `width` in inches, and the space above each row grows by its extra lines."""
    labels = [wrap(grid.row_label(row), width, points=10) for row in grid.rows]
    left = 0.45 + (max(len(label.splitlines()) for label in labels) - 1) * TITLE_LINE_INCHES
    panels = {}
    for row in grid.rows:
        for col in grid.cols:
            runs = grid.cells.get((row, col), [])
            run = next((r for r in runs if r.finished and r.samples), None) or next(
                (r for r in runs if r.samples), None) or (runs[0] if runs else None)
            title = wrap(col + (f" (seed {run.params['seed']})" if run is not None and len(runs) > 1
                                and "seed" in run.params else ""), width)
            note = _status_note(run) if run is not None else ""
            panels[row, col] = run, title + (f"\n{note}" if note else ""), note
    lines = max((len(title.splitlines()) for _, title, _ in panels.values()), default=1)
    extra = (lines - 1) * TITLE_LINE_INCHES
    fig, axes = _figure(grid, width=width, height=width, extra_cols=1, left=left, right=0.15, gap_w=0.25,
                        gap_h=0.65 + extra, top=0.55 + extra, bottom=0.15, grid_titles=False)
    for i, row in enumerate(grid.rows):
        runs_in_row = [r for col in grid.cols for r in grid.cells.get((row, col), [])]
        real = next((r.real_samples for r in runs_in_row if r.real_samples), None)
        _show_image(axes[i][0], real, "real data", "no real.png")
        axes[i][0].set_ylabel(labels[i], fontsize=10)
        axes[i][0].yaxis.set_visible(True)
        for j, col in enumerate(grid.cols, start=1):
            run, title, note = panels[row, col]
            if run is None:
                _show_image(axes[i][j], None, title, "no run")
            else:
                _show_image(axes[i][j], run.samples, title, f"no samples\n{note}",
                            color=STATUS_COLOR.get(run.status))
    return fig, axes


def _show_image(ax, image: Optional[Path], title: str, missing: str, color: Optional[str] = None) -> None:
    ax.set_title(title, color=color or "black")
    ax.set_xticks([])
    ax.set_yticks([])
    if image is None:
        _empty(ax, missing, color=color or "0.4")
        return
    try:
        with Image.open(image) as img:
            array = np.asarray(img.convert("RGB"))
    except OSError:
        _empty(ax, f"unreadable {image.name}", color="firebrick")
        return
    ax.imshow(array, interpolation="nearest")
    if color:
        for spine in ax.spines.values():
            spine.set_edgecolor(color)
            spine.set_linewidth(2)


# --------------------------------------------------------------------------- critic surface
def plot_critic_surfaces(grid: Grid, path: Path) -> bool:
    """The critic's value over the plane (critic_surface.npz) with real and generated points;
    False (and no file) when no run saved a surface."""
    if not any(r.surface for runs in grid.cells.values() for r in runs):
        return False
    with plt.rc_context(STYLE):
        fig, axes = _figure(grid, width=2.6, height=2.6, right=0.9, gap_w=1.5)
        for i, row in enumerate(grid.rows):
            for j, col in enumerate(grid.cols):
                ax, runs = axes[i][j], grid.cells.get((row, col), [])
                run = next((r for r in runs if r.surface), None)
                ax.set_title(grid.title(row, col))
                surface = load_surface(run.surface) if run else None
                if surface is None:
                    _empty(ax, "no critic_surface.npz" if run is None or run.surface is None else "unreadable critic_surface.npz")
                    continue
                mesh = ax.contourf(surface["x"], surface["y"], surface["values"], levels=20, cmap="coolwarm")
                fig.colorbar(mesh, ax=ax, label=OUTPUT_LABEL.get(run.critic_output, "critic value f(x)"))
                for key, color, name in (("real", "black", "real"), ("fake", "tab:orange", "generated")):
                    if key in surface and surface[key].ndim == 2 and surface[key].shape[1] == 2:
                        ax.scatter(surface[key][:, 0], surface[key][:, 1], s=1.5, c=color, alpha=0.5, label=name)
                if "iter" in surface:
                    ax.set_title(grid.title(row, col, f" (iter {int(surface['iter'])})"))
                ax.set_aspect("equal")
                ax.set_xlabel("x1")
                ax.set_ylabel("x2")
                ax.legend(loc="lower right", markerscale=5, frameon=True)
        fig.savefig(path)
        plt.close(fig)
    return True
