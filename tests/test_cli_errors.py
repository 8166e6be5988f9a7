"""Every row of docs/errors.md: the command gets exactly the documented one-line error."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.test_cli import ROOT, run_cli

TABLE = ROOT / "docs" / "errors.md"


def documented_rows() -> dict:
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("`"):
            command = cells[2].split("`")[1]
            message = cells[3][1:-1]
            rows[cells[0]] = (command, message)
    return rows


ROWS = documented_rows()
HOLD_LOCK = "import sys, time; from wgan_repro.run_lock import RunFolderLock; RunFolderLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(600)"
HOLDERS: list = []


class CreatesAFile:
    """Pickles as a call to open(path, "w"): loading it unsafely creates the file."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))
# rows whose command trains (or resumes) a run before the refusal: every other refusal comes
# before the domain classifier is trained and cached
LATE = {"mismatched_checkpoint", "corrupt_checkpoint", "unsafe_checkpoint"}


@pytest.fixture(autouse=True)
def _stop_holders():
    yield
    while HOLDERS:
        HOLDERS.pop().kill()


def _truncate_copy(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    for f in src.iterdir():
        data = f.read_bytes()
        (dst / f.name).write_bytes(data[: len(data) // 2] if "train-images" in f.name else data)


def _prepare(row_id: str, command: str, tmp: Path, fake_root: Path) -> list[str]:
    """Set up what a row needs on disk; returns extra overrides for the command."""
    extra = [] if ("data=" in command or "data.root" in command) else [f"data.root={fake_root}"]
    if row_id == "truncated_data":
        _truncate_copy(fake_root, tmp / "truncated")
    if row_id == "corrupt_checkpoint":
        (tmp / "run" / "checkpoints").mkdir(parents=True)
        (tmp / "run" / "checkpoints" / "last.pt").write_bytes(b"not a checkpoint")
    if row_id == "unsafe_checkpoint":        # unpickling it with weights_only=False would create the marker
        (tmp / "run" / "checkpoints").mkdir(parents=True)
        torch.save({"iter": 1, "payload": CreatesAFile(str(tmp / "created_by_the_checkpoint"))},
                   tmp / "run" / "checkpoints" / "last.pt")
    if row_id == "mismatched_checkpoint":
        proc = run_cli("experiment=smoke", f"hydra.run.dir={tmp}/run", "seed=0", *extra)
        assert proc.returncode == 0, proc.stderr[-2000:]
    if "a_file" in command:
        (tmp / "a_file").write_text("a file, not a folder")
    if row_id == "run_folder_in_use":
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp / "run")], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        HOLDERS.append(holder)
    if row_id == "not_a_sweep":
        (tmp / "not_a_sweep").mkdir()
    return extra


def test_the_table_covers_every_bad_input_of_the_issue():
    assert {"unknown_model", "unknown_loss", "unknown_data", "wrong_type", "negative_lr", "bad_clip",
            "bad_batch", "bad_image_size", "missing_data", "truncated_data", "corrupt_checkpoint",
            "mismatched_checkpoint", "unwritable_results", "not_a_sweep", "unknown_key", "unknown_key_2d",
            "unwritable_cache", "results_is_a_file", "run_folder_in_use"} <= set(ROWS)


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_documented_message(row_id, tmp_path, fake_data_root):
    command, message = ROWS[row_id]
    extra = _prepare(row_id, command, tmp_path, fake_data_root)
    args = [a.replace("<dir>", str(tmp_path)) for a in shlex.split(command)]
    out_dir = [] if any(a.startswith(("out_dir=", "hydra.run.dir=")) for a in args) else [f"out_dir={tmp_path}/results"]
    before = sorted(p for p in tmp_path.rglob("*"))
    if args[:2] == ["python", "-m"]:
        proc = subprocess.run([sys.executable, *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    else:
        proc = run_cli("experiment=smoke", *args, *extra, *out_dir,
                       env={"WGAN_REPRO_DEBIAN_FASHION_MNIST": str(tmp_path / "nowhere")})
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    pattern = re.escape(message.replace("<dir>", str(tmp_path))).replace(re.escape("..."), ".+")
    assert re.fullmatch(pattern, last), f"\n got: {last}\nwant: {message}"
    # nothing that looks like a result was left behind
    new = [p for p in tmp_path.rglob("*") if p not in before]
    assert not [p for p in new if p.name in ("metrics.csv", "status.json", "last.pt")], new
    assert not (tmp_path / "created_by_the_checkpoint").exists()     # nothing in a checkpoint ran
    if row_id not in LATE:       # checked before anything was trained or cached
        assert not [p for p in new if p.name in ("classifier.pt", "classifier.json")], new
