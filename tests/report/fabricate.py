"""Small fabricated sweep folders, written the way the training runs write them (metrics.csv,
status.json, run.json, final_eval.json, samples/*.png, .hydra/overrides.yaml), with numbers
chosen by the test so that the expected report is known."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from PIL import Image

BASE = ["iter", "critic_steps", "loss_critic", "loss_generator", "critic_real", "critic_fake", "estimate",
        "wall_time"]
IMAGE_Q = ["fid", "kid", "classifier_score", "classes_covered", "class_kl", "intra_diversity"]
POINT_Q = ["w1_exact", "modes_captured", "high_quality_share"]
# what a real run's run.json holds by default: each objective's paper optimizer (conf/loss/*.yaml)
PAPER_OPTIM = {"wgan": {"name": "rmsprop", "lr": 5e-5}, "gan": {"name": "adam", "lr": 2e-4},
               "nsgan": {"name": "adam", "lr": 2e-4}}
REFERENCE = {"floor": {"fid": 2.0, "kid": 0.0}, "ceiling": {"fid": 402.0, "kid": 0.5}}


def write_png(path: Path, size=(34, 34), value: int = 128, color: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    array = rng.integers(0, 255, (size[1], size[0], 3) if color else (size[1], size[0]), dtype=np.uint8)
    Image.fromarray(array).save(path)


def write_run(sweep: Path, *, model: str, loss: str, seed: Optional[int] = None, critic: str = "dcgan",
              data: str = "fashion_mnist", status: str = "finished", iters: int = 100,
              estimate: Optional[Sequence[float]] = None, quality: Optional[dict] = None, eval_every: int = 10,
              final_eval: Optional[dict] = None, message: str = "", stop_at: Optional[int] = None,
              log_lines: Sequence[str] = (), samples: bool = True, surface: bool = False,
              extra_overrides: Sequence[str] = (), optim: Optional[dict] = None,
              cpu_kernels: Optional[str] = None) -> Path:
    """One run folder named like Hydra names it. `estimate` has one value per logged iteration
    (1..stop_at or iters); `quality` maps a quality column to one value per evaluation point
    (every `eval_every` iterations); None leaves the quality columns out entirely. `optim` goes
    to run.json's config as loss.optim (what the run ran with, overridden or not); `cpu_kernels`
    to run.json's cpu_kernels.onednn (None: not recorded, as in runs before it was)."""
    overrides = [f"model={model}", f"loss={loss}", *([f"seed={seed}"] if seed is not None else []),
                 *([f"data={data}"] if data != "fashion_mnist" else []), *extra_overrides, "train.threads=1"]
    name = ",".join(sorted(o for o in overrides if not o.startswith("train.threads")))
    run = sweep / name
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    last = stop_at or iters
    its = np.arange(1, last + 1)
    est = np.asarray(estimate if estimate is not None else np.linspace(1.0, 0.1, last), dtype=float)
    assert len(est) == last, (len(est), last)
    columns = BASE + ([] if quality is None else (POINT_Q if data in POINT_SETS else IMAGE_Q))
    lines = [",".join(columns)]
    for k, it in enumerate(its):
        row = {"iter": int(it), "critic_steps": int(it) * 5, "loss_critic": -est[k], "loss_generator": 0.1,
               "critic_real": 0.5, "critic_fake": 0.5 - est[k], "estimate": est[k], "wall_time": round(0.1 * it, 3)}
        if quality is not None and it % eval_every == 0:
            j = it // eval_every - 1
            for column, values in quality.items():
                if j < len(values):
                    row[column] = values[j]
        lines.append(",".join(_cell(row.get(c)) for c in columns))
    (run / "metrics.csv").write_text("\n".join(lines) + "\n")
    state = {"status": status, "updated": 0.0, "iter": int(last), "iters": iters}
    if message:
        state["message"] = message
    if status == "finished":
        state["wall_time"] = round(0.1 * last, 3)
    (run / "status.json").write_text(json.dumps(state))
    optim = optim or PAPER_OPTIM.get(loss)
    config = {"model": {"name": "dcgan" if model.startswith("dcgan") else model},
              "critic": {"name": critic}, "loss": {"name": loss, **({"optim": optim} if optim else {})},
              "data": {"name": data},
              "seed": seed if seed is not None else 0, "train": {"iters": iters}}
    (run / "run.json").write_text(json.dumps({
        "device": "cpu", "choices": {"model": model, "critic": critic, "loss": loss, "data": data,
                                     "experiment": None}, "config": config,
        **({"cpu_kernels": {"aten": cpu_kernels, "onednn": cpu_kernels}} if cpu_kernels else {})}))
    if final_eval is not None:
        (run / "final_eval.json").write_text(json.dumps(final_eval))
    if samples:
        write_png(run / "samples" / "real.png", value=1)
        write_png(run / "samples" / f"iter_{last:06d}.png", value=2)
        if status == "finished":
            write_png(run / "samples" / "final.png", value=3)
    if log_lines:
        (run / "run.log").write_text("\n".join(log_lines) + "\n")
    if surface:
        grid = np.linspace(-3, 3, 25)
        xx, yy = np.meshgrid(grid, grid)
        rng = np.random.default_rng(0)
        np.savez(run / "critic_surface.npz", x=grid, y=grid, values=xx + 0.5 * yy,
                 real=rng.normal(size=(200, 2)), fake=rng.normal(size=(200, 2)) + 1, iter=np.int64(last))
    return run


POINT_SETS = ("eight_gaussians", "twentyfive_gaussians", "swiss_roll")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def falling(start: float, end: float, n: int, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A noisy line from start to end."""
    rng = np.random.default_rng(seed)
    return np.linspace(start, end, n) + noise * rng.standard_normal(n)


def settling(start: float, end: float, n: int, rate: float = 0.5) -> np.ndarray:
    """From start to end, each step `rate` times the one before: a curve that keeps falling but has
    flattened out by its end (160 FID units over 10 points: the last 4 periodic ones fall 1.1 %
    of a 400-unit range), as a run that trained long enough ends."""
    steps = rate ** np.arange(n)
    return end + (start - end) * (steps - steps[-1]) / (steps[0] - steps[-1])


def rebounding(start: float, best: float, end: float, n: int, best_at: int) -> np.ndarray:
    """Falls in a line from start to best at point `best_at`, then rises in a line to end: a run
    that got worse after its best."""
    return np.concatenate([np.linspace(start, best, best_at + 1), np.linspace(best, end, n - best_at)[1:]])


def image_quality(fid: Sequence[float], covered: float = 10, kl: float = 0.02) -> dict:
    fid = list(fid)
    return {"fid": fid, "kid": [f / 1000 for f in fid], "classifier_score": [9.0 - f / 100 for f in fid],
            "classes_covered": [covered] * len(fid), "class_kl": [kl] * len(fid),
            "intra_diversity": [0.9] * len(fid)}


def final_eval_file(metrics: dict, floor: dict, ceiling: Optional[dict] = None) -> dict:
    """final_eval.json in the shape wgan_repro.metrics.evaluator writes it."""
    return {"iter": 100, "metrics": metrics, "n_generated": 1000, "floor": floor, "ceiling": ceiling or {},
            "protocol": {"features": "classifier penultimate layer", "n_real": 1000, "n_generated": 1000}}


def final_image_eval(fid: float, covered: float = 10, kl: float = 0.02) -> dict:
    return final_eval_file({"fid": fid, "kid": fid / 1000, "classifier_score": 9.0 - fid / 100,
                            "classes_covered": covered, "class_kl": kl, "intra_diversity": 0.9},
                           REFERENCE["floor"], REFERENCE["ceiling"])


def paper_sweep(sweep: Path, *, mlp_wgan_covered: float = 10, mlp_nsgan_covered: float = 3,
                nobn_nsgan_status: str = "diverged", dcgan_nsgan_fid: float = 50.0,
                still_improving: Sequence[tuple] = ()) -> dict:
    """A 3 x 3 paper sweep (model x loss) with two seeds of dcgan/wgan, a diverged run, a failed
    run, a still running one and a run with no quality columns. The finished runs' FID settles
    by the end (`settling`), except for the (model, loss) keys in `still_improving`, whose FID
    falls in a straight line to the end. Returns the run folders by key."""
    def curve(model, loss, start, end, n):
        return falling(start, end, n) if (model, loss) in still_improving else settling(start, end, n)

    sweep.mkdir(parents=True, exist_ok=True)
    (sweep / "multirun.yaml").write_text("hydra:\n  overrides:\n    task:\n    - model=dcgan,dcgan_nobn,mlp\n"
                                         "    - loss=wgan,nsgan,gan\n    - seed=0,1\n")
    n, k = 100, 10                                # 100 iterations, an evaluation every 10 -> 10 points
    runs = {}
    # WGAN: the estimate falls with FID (the paper's Fig. 3).
    for seed, end_fid in ((0, 40.0), (1, 44.0)):
        fid = curve("dcgan", "wgan", 200, end_fid, k)
        runs[("dcgan", "wgan", seed)] = write_run(
            sweep, model="dcgan", loss="wgan", seed=seed, estimate=falling(2.0, 0.4, n, 0.02, seed),
            quality=image_quality(fid), final_eval=final_image_eval(end_fid))
    runs[("dcgan_nobn", "wgan", 0)] = write_run(
        sweep, model="dcgan_nobn", loss="wgan", seed=0, estimate=falling(2.5, 0.6, n, 0.02, 2),
        quality=image_quality(curve("dcgan_nobn", "wgan", 220, 60, k)), final_eval=final_image_eval(60.0))
    runs[("mlp", "wgan", 0)] = write_run(
        sweep, model="mlp", loss="wgan", seed=0, estimate=falling(3.0, 1.0, n, 0.02, 3),
        quality=image_quality(curve("mlp", "wgan", 250, 90, k), covered=mlp_wgan_covered),
        final_eval=final_image_eval(90.0, covered=mlp_wgan_covered))
    # nsgan: the JS estimate rises towards log 2 while FID falls (Fig. 4).
    runs[("dcgan", "nsgan", 0)] = write_run(
        sweep, model="dcgan", loss="nsgan", seed=0, estimate=falling(0.3, 0.65, n, 0.01, 4),
        quality=image_quality(curve("dcgan", "nsgan", 200, dcgan_nsgan_fid, k)),
        final_eval=final_image_eval(dcgan_nsgan_fid))
    if nobn_nsgan_status == "diverged":
        runs[("dcgan_nobn", "nsgan", 0)] = write_run(
            sweep, model="dcgan_nobn", loss="nsgan", seed=0, status="diverged", iters=n, stop_at=37,
            estimate=[*falling(0.3, 0.6, 36, 0.01, 5), float("nan")], quality=image_quality([300, 310, 320]),
            message="non-finite loss at generator iteration 37",
            log_lines=["[INFO] iter 35/100 estimate 0.6", "[ERROR] run diverged: non-finite loss at generator iteration 37"])
    else:
        runs[("dcgan_nobn", "nsgan", 0)] = write_run(
            sweep, model="dcgan_nobn", loss="nsgan", seed=0, estimate=falling(0.3, 0.6, n, 0.01, 5),
            quality=image_quality(curve("dcgan_nobn", "nsgan", 300, 30, k)), final_eval=final_image_eval(30.0))
    runs[("mlp", "nsgan", 0)] = write_run(
        sweep, model="mlp", loss="nsgan", seed=0, estimate=falling(0.4, 0.69, n, 0.01, 6),
        quality=image_quality(curve("mlp", "nsgan", 260, 150, k), covered=mlp_nsgan_covered, kl=1.2),
        final_eval=final_image_eval(150.0, covered=mlp_nsgan_covered, kl=1.2))
    # gan: a failed run, a run without quality columns, a run still going.
    runs[("dcgan", "gan", 0)] = write_run(
        sweep, model="dcgan", loss="gan", seed=0, status="failed", iters=n, stop_at=20,
        estimate=falling(0.3, 0.4, 20), quality=image_quality([210, 205]),
        message="RuntimeError: CUDA out of memory", log_lines=["Traceback (most recent call last):",
                                                                "RuntimeError: CUDA out of memory"])
    runs[("dcgan_nobn", "gan", 0)] = write_run(
        sweep, model="dcgan_nobn", loss="gan", seed=0, estimate=falling(0.5, 0.69, n, 0.01, 7), quality=None)
    runs[("mlp", "gan", 0)] = write_run(
        sweep, model="mlp", loss="gan", seed=0, status="running", iters=n, stop_at=55,
        estimate=falling(0.5, 0.6, 55), quality=image_quality(falling(260, 200, 5)))
    return runs


def points_sweep(sweep: Path, *, w1_end: float = 0.05, nsgan_modes: int = 6) -> dict:
    """A 2-D sweep: wgan (8 of 8 modes) and nsgan (`nsgan_modes` of 8) on eight_gaussians with the
    exact W1 and critic surfaces; final_eval.json has a W1 floor but no ceiling."""
    sweep.mkdir(parents=True, exist_ok=True)
    n, k = 100, 10
    runs = {}
    for loss, est, seed, modes in (("wgan", falling(1.0, 0.05, n, 0.005, 1), 0, 8),
                                   ("nsgan", falling(0.2, 0.6, n, 0.01, 2), 0, nsgan_modes)):
        w1 = falling(1.5, w1_end, k)
        runs[loss] = write_run(
            sweep, model="mlp", critic="mlp", loss=loss, data="eight_gaussians", seed=seed, estimate=est,
            quality={"w1_exact": w1, "modes_captured": [modes] * k, "high_quality_share": [0.9] * k},
            final_eval=final_eval_file({"w1_exact": float(w1[-1]), "modes_captured": modes,
                                        "high_quality_share": 0.92}, {"w1_exact": 0.01, "modes_captured": 8}),
            surface=(loss == "wgan"))
    return runs


def seeds_sweep(sweep: Path, *, seeds: Sequence[int] = (0, 1, 2), wgan_fid: Sequence[float] = (38.0, 42.0, 46.0),
                nsgan_fid: Sequence[float] = (30.0, 34.0, 38.0), rising_estimate_seed: Optional[int] = None,
                improving: bool = False) -> dict:
    """dcgan with wgan and nsgan over several seeds, FID settling to the given finals (one per
    seed; with `improving`, falling in a line to them). The WGAN estimate falls with FID, except
    for `rising_estimate_seed`, where it rises."""
    sweep.mkdir(parents=True, exist_ok=True)
    n, k = 100, 10
    runs = {}
    for loss, finals in (("wgan", wgan_fid), ("nsgan", nsgan_fid)):
        for seed, end_fid in zip(seeds, finals):
            est = (falling(2.0, 0.4, n, 0.02, seed) if loss == "wgan" and seed != rising_estimate_seed
                   else falling(0.3, 0.65, n, 0.01, seed))
            runs[(loss, seed)] = write_run(
                sweep, model="dcgan", loss=loss, seed=seed, estimate=est,
                quality=image_quality((falling if improving else settling)(200, end_fid, k)),
                final_eval=final_image_eval(end_fid))
    return runs


RMSPROP = {"name": "rmsprop", "lr": 5e-05, "betas": [0.5, 0.999]}


def optimizer_sweep(sweep: Path, *, rmsprop_fid: Optional[Sequence[float]] = None) -> dict:
    """WGAN (dcgan generator and critic) with three seeds each of RMSProp at the paper's 5e-5 (no
    override: run.json says rmsprop), Adam (`loss.optim.name=adam`) and RMSProp at 5e-4
    (`loss.optim.lr=0.0005`), plus an MLP critic at 5e-4 that never leaves noise. FID is
    evaluated every 10 of 100 iterations; the periodic points are 9, the tenth is the final
    evaluation. RMSProp settles at its best, unless `rmsprop_fid` gives its periodic curve; Adam
    reaches FID 60 at the 5th point and climbs to 120 (rebound (120 - 60) / 400 = 0.15); the high
    learning rate reaches 50 and climbs to 90, 100 or 110 (0.1, 0.125, 0.15), or diverges for seed 2."""
    sweep.mkdir(parents=True, exist_ok=True)
    n, k = 100, 10
    runs = {}

    def run(key, seed, periodic, final_fid, overrides=(), optim=RMSPROP, critic="dcgan", model="dcgan", **kw):
        fid = [*periodic, final_fid]
        runs[(key, seed)] = write_run(
            sweep, model=model, critic=critic, loss="wgan", seed=seed, estimate=falling(2.0, 0.5, n, 0.02, seed),
            quality=image_quality(fid), final_eval=final_image_eval(final_fid), extra_overrides=overrides,
            optim=optim, **kw)

    adam, fast = {**RMSPROP, "name": "adam"}, {**RMSPROP, "lr": 0.0005}
    for seed in range(3):
        stable = list(rmsprop_fid) if rmsprop_fid is not None else list(settling(200, 40, k - 1))
        run("rmsprop", seed, stable, stable[-1] - 2)
        run("adam", seed, rebounding(200, 60, 120, k - 1, 4), 118.0, ["loss.optim.name=adam"], adam)
        if seed < 2:
            run("fast", seed, rebounding(200, 50, 90 + 10 * seed, k - 1, 3), 88.0 + 10 * seed,
                ["loss.optim.lr=0.0005"], fast)
        else:
            runs[("fast", seed)] = write_run(
                sweep, model="dcgan", loss="wgan", seed=seed, status="diverged", stop_at=42,
                estimate=[*falling(2.0, 1.0, 41), float("nan")], quality=image_quality([200, 150, 90, 80]),
                extra_overrides=["loss.optim.lr=0.0005"], optim=fast,
                message="non-finite loss at generator iteration 42")
        run("mlp_critic", seed, [300.0 + seed] * (k - 1), 301.0 + seed, ["model=mlp", "critic=mlp", "loss.optim.lr=5e-4"],
            fast, critic="mlp", model="mlp")       # the paper's Fig. 3 (lower half): MLPs for both networks
    return runs
