"""The figures: one panel per model x objective, the correlations they print, the 2-D extras."""
import re

import numpy as np
import pytest
from PIL import Image

from tests.report.fabricate import final_image_eval, image_quality, write_run
from wgan_repro.report.claims import load_config
from wgan_repro.report.collect import load_sweep
from wgan_repro.report.figures import Grid, plot_loss_vs_quality
from wgan_repro.report.tables import summary_table


def picture(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("L"), dtype=float)


def test_the_grid_is_model_rows_by_objective_columns(paper):
    sweep, _, _ = paper
    grid = Grid(load_sweep(sweep).runs)
    assert grid.rows == [("dcgan",), ("dcgan_nobn",), ("mlp",)]
    assert grid.cols == ["wgan", "nsgan", "gan"]                  # WGAN left, GAN right, as in the paper
    assert [r.params["seed"] for r in grid.cells[(("dcgan",), "wgan")]] == ["0", "1"]   # seeds share a panel


def test_a_loss_key_only_one_objective_sets_labels_its_columns_when_that_leaves_no_empty_panel(tmp_path):
    """BEGAN's gammas beside a -log D GAN: one row of four panels, not four rows of two with four
    "no run" cells; the Sec. 4.2 arms (loss keys swept together with train.iters) keep their rows,
    which leave fewer panels empty."""
    quality = image_quality([300.0, 200.0, 120.0])
    for seed in (0, 1):
        write_run(tmp_path / "began", model="dcgan", loss="nsgan", seed=seed, iters=30, quality=quality)
        for gamma in ("0.7", "0.3", "0.5"):
            write_run(tmp_path / "began", model="dcgan", loss="began", critic="autoencoder", seed=seed, iters=30,
                      quality=quality, extra_overrides=[f"loss.gamma={gamma}"])
    grid = Grid(load_sweep(tmp_path / "began").runs)
    assert grid.rows == [("dcgan",)]
    assert grid.cols[1:] == [f"began · critic=autoencoder · loss.gamma={g}" for g in ("0.3", "0.5", "0.7")]
    assert grid.cols[0] == "nsgan · critic=dcgan"
    assert all(len(grid.cells[(("dcgan",), col)]) == 2 for col in grid.cols)      # both seeds in each panel
    assert grid.title(("dcgan",), grid.cols[2]) == "dcgan · began · critic=autoencoder · loss.gamma=0.5"

    arms = [("wgan", []), ("nsgan", []), ("wgan", ["loss.optim.name=adam", "train.iters=4000"]),
            ("wgan", ["loss.optim.lr=0.0005", "train.iters=4000"])]
    for loss, extra in arms:
        write_run(tmp_path / "arms", model="dcgan", loss=loss, seed=0, iters=30, quality=quality, extra_overrides=extra)
    grid = Grid(load_sweep(tmp_path / "arms").runs)
    assert grid.cols == ["wgan", "nsgan"] and len(grid.rows) == 3                 # 6 panels, 2 empty (not 8, 4 empty)


def test_every_figure_is_drawn_and_sized_by_the_grid(paper, points):
    _, _, report = paper
    _, _, report_2d = points
    for name in ("curves.png", "loss_vs_quality.png", "samples.png"):
        image, image_2d = picture(report / name), picture(report_2d / name)
        assert image.std() > 10 and image_2d.std() > 10                        # not blank
        assert image.shape[0] > 2 * image_2d.shape[0]                          # 3 rows against 1
        assert image.shape[1] > image_2d.shape[1]                              # 3 objectives against 2
    assert not (report / "critic.png").exists()                                # no surface saved
    assert picture(report_2d / "critic.png").std() > 10


def test_printed_correlations_are_the_summary_ones(tmp_path, paper):
    rng = np.random.default_rng(5)
    for loss, slope in (("wgan", 1.0), ("nsgan", -0.3)):
        fid = np.linspace(150, 50, 12) + rng.normal(0, 15, 12)
        write_run(tmp_path, model="dcgan", loss=loss, iters=120, estimate=slope * np.linspace(2, 0.5, 120)
                  + rng.normal(0, 0.4, 120), eval_every=10, quality=image_quality(fid),
                  final_eval=final_image_eval(float(fid[-1])))
    settings, _ = load_config()
    for sweep in (tmp_path, paper[0]):
        loaded = load_sweep(sweep)
        summary = summary_table(loaded, settings).set_index("run")
        rhos = plot_loss_vs_quality(Grid(loaded.runs), settings, tmp_path / "lvq.png")
        judged = summary["spearman_estimate_fid"].dropna()
        assert len(judged) >= 2
        for name, rho in judged.items():
            assert rhos[name] == pytest.approx(rho)
        if sweep == tmp_path:
            assert all(abs(r) < 0.99 for r in judged)                          # not trivial +-1
            assert judged.max() > 0.5 > judged.min()


def test_long_panel_titles_wrap_to_their_panel_and_overlap_no_other_title_or_panel(tmp_path):
    """The protocol's sweep sets several keys on some runs only (the Sec. 4.2 and MLP-critic
    arms): a row's title lists them all and must not spill into its neighbours."""
    import matplotlib.pyplot as plt

    from wgan_repro.report.figures import STYLE, _figure, _panels

    quality = image_quality([300.0, 200.0, 120.0])
    arms = [("dcgan", "wgan", []), ("dcgan", "nsgan", []),
            ("dcgan", "wgan", ["loss.optim.name=adam", "train.iters=4000"]),
            ("dcgan", "wgan", ["loss.optim.lr=0.0005", "train.iters=4000"]),
            ("mlp", "wgan", ["critic=mlp", "loss.optim.lr=0.0005"])]
    for model, loss, extra in arms:
        write_run(tmp_path / "sweep", model=model, loss=loss, seed=0, iters=30, quality=quality,
                  final_eval=final_image_eval(120.0), extra_overrides=extra)
    grid = Grid(load_sweep(tmp_path / "sweep").runs)
    width = 3.0
    with plt.rc_context(STYLE):
        fig, axes = _figure(grid, width=width, height=2.1)
        for ax, runs in _panels(grid, axes):
            ax.plot([0, 1], [0, 1])
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        titles = [ax.title for row in axes for ax in row]
        boxes = [t.get_window_extent(renderer) for t in titles]
        panels = [ax.get_window_extent(renderer) for row in axes for ax in row]
        texts = [t.get_text() for t in titles]
        plt.close(fig)
    assert any("\n" in t for t in texts)                                  # the long ones did wrap
    assert not any(re.search(r"=(\s|$)", t) for t in texts)                 # no `key=` with an empty value
    for i, box in enumerate(boxes):
        assert box.width <= width * fig.dpi * 1.05, texts[i]              # within its panel's width
        for j, other in enumerate(boxes):
            assert i == j or not box.overlaps(other), (texts[i], texts[j])
        for j, panel in enumerate(panels):
            assert not box.overlaps(panel), (texts[i], j)                 # above its own panel, below the last row


def test_sample_grid_titles_wrap_to_their_panel_and_overlap_no_other_title(tmp_path):
    """BEGAN's sweep titles its sample panels "began · critic=autoencoder · loss.gamma=0.5 (seed
    0)": wider than a 2.8-inch panel, they spilled into the next panel's title unwrapped."""
    import matplotlib.pyplot as plt

    from wgan_repro.report.figures import STYLE, samples_figure

    quality = image_quality([300.0, 200.0, 120.0])
    for seed in (0, 1):
        write_run(tmp_path / "began", model="dcgan", loss="nsgan", seed=seed, iters=30, quality=quality)
        for gamma in ("0.3", "0.5", "0.7"):
            write_run(tmp_path / "began", model="dcgan", loss="began", critic="autoencoder", seed=seed, iters=30,
                      quality=quality, extra_overrides=[f"loss.gamma={gamma}"])
    write_run(tmp_path / "began", model="dcgan", loss="began", critic="autoencoder", seed=2, iters=30,
              status="running", stop_at=20, quality=quality, extra_overrides=["loss.gamma=0.9"])
    grid = Grid(load_sweep(tmp_path / "began").runs)
    width = 2.8
    with plt.rc_context(STYLE):
        fig, axes = samples_figure(grid, width=width)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        titles = [ax.title for row in axes for ax in row]
        boxes = [t.get_window_extent(renderer) for t in titles]
        panels = [ax.get_window_extent(renderer) for row in axes for ax in row]
        texts = [t.get_text() for t in titles]
        plt.close(fig)
    assert "began · critic=autoencoder ·\nloss.gamma=0.5 (seed 0)" in texts      # wrapped, seed kept
    assert any(t.endswith("running at iter 20") for t in texts)                    # the status note kept
    for i, box in enumerate(boxes):
        assert box.width <= width * fig.dpi * 1.05, texts[i]
        for j, other in enumerate(boxes):
            assert i == j or not box.overlaps(other), (texts[i], texts[j])
        for j, panel in enumerate(panels):
            assert not box.overlaps(panel), (texts[i], j)
