"""What a run writes: atomic files that parallel writers of one shared path cannot break."""
import threading

import numpy as np
import torch
from PIL import Image

from wgan_repro.config import validate
from wgan_repro.run_files import atomic_write_bytes, save_point_scatter
from wgan_repro.train import Trainer


def test_parallel_writers_of_one_file_never_break_each_other(tmp_path):
    target, errors = tmp_path / "shared.json", []

    def write(k):
        try:
            for _ in range(200):
                atomic_write_bytes(target, f"writer {k}\n".encode() * 100)
        except Exception as err:          # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
    lines = target.read_text().splitlines()
    assert len(lines) == 100 and len(set(lines)) == 1                  # one writer's whole payload
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]     # no temporary left behind


def _reddish_pixels(path):
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int(((rgb[..., 0] > 150) & (rgb[..., 1] < 110) & (rgb[..., 2] < 110)).sum())


def test_the_real_2d_scatter_draws_no_generated_points(tmp_path):
    """real.png of a 2-D set shows the real points alone, not a copy of them drawn as 'generated'."""
    points = torch.randn(256, 2)
    save_point_scatter(None, points, tmp_path / "real.png", title="real")
    save_point_scatter(points + 3.0, points, tmp_path / "final.png", title="final")
    assert _reddish_pixels(tmp_path / "real.png") < 20 < _reddish_pixels(tmp_path / "final.png")


def test_a_run_starting_in_its_folder_removes_what_a_killed_process_left_half_written(compose_cfg, tmp_path):
    orphans = [tmp_path / "samples" / ".iter_000015.png.nj46d0s0.tmp",
               tmp_path / "checkpoints" / ".last.pt.abc123.tmp", tmp_path / ".status.json.x1.tmp"]
    for orphan in orphans:
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"half")
    kept = tmp_path / "samples" / "notes.tmp"                      # not one of atomic_write_bytes' names
    kept.write_bytes(b"mine")
    assert Trainer(validate(compose_cfg("experiment=smoke", "eval.enabled=false", "train.iters=4", "train.threads=1", "device=cpu")), tmp_path).fit() == "finished"
    assert not any(o.exists() for o in orphans) and kept.exists()
    assert not list(tmp_path.rglob(".*.tmp"))
