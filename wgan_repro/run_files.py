"""What a run writes into its folder, written so that a kill mid-write never leaves a corrupt
file: metrics.csv (whole rows only, flushed as it goes), status.json, run.json,
checkpoints and sample images (written to a temporary name, then renamed)."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Iterable, Optional

import torch

from wgan_repro.registry import ConfigError
from wgan_repro.run_layout import STATUS_FILE, STATUSES


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write to a temporary file of this process's own, then rename: parallel jobs writing the
    same shared file (the evaluation cache) never rename each other's temporary away."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_orphan_temporaries(run_dir: Path) -> None:
    """Delete the temporaries atomic_write_bytes leaves behind when its process is killed mid-write
    (`.<name>.<random>.tmp`) anywhere in a run folder. Only the run's own process writes there
    (run_lock), so when it starts every such file is an orphan."""
    for tmp in Path(run_dir).rglob(".*.tmp"):
        if tmp.is_file():
            with contextlib.suppress(OSError):
                tmp.unlink()


def atomic_torch_save(obj, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def write_json(path: Path, payload: dict) -> None:
    atomic_write_bytes(path, (json.dumps(payload, indent=2, default=str) + "\n").encode())


def read_json(path: Path) -> Optional[dict]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def write_status(run_dir: Path, status: str, **fields) -> None:
    """status.json: running, finished, diverged or failed, with the iteration and a message."""
    assert status in STATUSES, status
    write_json(Path(run_dir) / STATUS_FILE, {"status": status, "updated": time.time(), **fields})


class MetricsWriter:
    """Appends rows to metrics.csv, a batch at a time, each row whole.

    On resume at generator iteration `resume_iter` the rows logged after it are dropped, so
    the file never holds a half row or a duplicated iteration.
    """

    def __init__(self, path: Path, columns: Iterable[str], resume_iter: Optional[int] = None):
        self.path = Path(path)
        self.columns = list(columns)
        if resume_iter is not None and self.path.exists():
            self._truncate_after(resume_iter)
        elif not self.path.exists() or resume_iter is None:
            atomic_write_bytes(self.path, (",".join(self.columns) + "\n").encode())

    def _truncate_after(self, resume_iter: int) -> None:
        with open(self.path, newline="") as f:
            lines = f.read().splitlines(keepends=True)
        header = lines[0] if lines else ",".join(self.columns) + "\n"
        if header.strip().split(",") != self.columns:
            raise ConfigError(
                f"{self.path} was written with other columns than this config logs (eval settings differ?): "
                "resume with the run's own settings or run in a new folder"
            )
        kept = [header]
        for line in lines[1:]:
            if not line.endswith("\n"):
                break                                   # a half-written last row
            first = line.split(",", 1)[0]
            if first.isdigit() and int(first) <= resume_iter:
                kept.append(line)
        atomic_write_bytes(self.path, "".join(kept).encode())

    def append(self, rows: list[dict]) -> None:
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, extrasaction="raise", lineterminator="\n")
        for row in rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})
        with open(self.path, "a", newline="") as f:
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())


def _fmt(value):
    if isinstance(value, float):
        return repr(value)
    return value


def save_image_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> None:
    """Save images in [-1, 1] as one PNG grid."""
    from PIL import Image
    from torchvision.utils import make_grid

    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1))
    array = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if array.shape[2] == 1:
        array = array[:, :, 0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


def save_point_scatter(fake: torch.Tensor | None, real: torch.Tensor, path: Path, title: str = "") -> None:
    """Save a scatter of 2-D generated points over real ones (the real ones alone when `fake` is None)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    r = real.detach().cpu().numpy()
    ax.scatter(r[:, 0], r[:, 1], s=2, c="tab:blue", alpha=0.3, label="real")
    if fake is not None:
        f = fake.detach().cpu().numpy()
        ax.scatter(f[:, 0], f[:, 1], s=2, c="tab:red", alpha=0.5, label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    ax.set_title(title, fontsize=9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
