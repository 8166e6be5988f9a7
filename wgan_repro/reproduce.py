"""`python -m wgan_repro.reproduce`: both papers in one command.

    python -m wgan_repro.reproduce                  # --scale cpu: a 2-core CPU, in hours
    python -m wgan_repro.reproduce --scale paper    # the papers' sizes, for one GPU
    python -m wgan_repro.reproduce --scale smoke    # seconds: checks the command end to end

Runs the five theory experiments (`python run.py experiment=<name>`, one run folder each under
`<out>/theory/<name>`) and the claims sweeps (`python run.py -m ...`, all into `<out>/claims`),
as the scale's file `wgan_repro/conf/reproduce/<scale>.yaml` lists them, then builds the page
`<out>/index.html` (and `reproduction.md`) that judges every claim. `<out>` defaults to
`results/reproduction/<scale>`.

It resumes: re-running the same command skips the theory experiments that finished, redoes an
interrupted one, and lets each sweep skip its finished runs and continue its interrupted ones
from their checkpoints; so a kill costs only the unfinished part. `parts.json` records each
part's commands, status and wall time. Each part is a `run.py` subprocess (the same command a
user would type, printed before it runs), so Hydra, the launcher and the run files are exactly
those of a single run or sweep. A scale with `sweep_workers` (cpu: `cores`) runs its sweeps that
many at a time from one queue, in the listed order, each sweep's runs one after another on its
share of the cores, and builds the sweep folder's report once they all ended (scripts/cpu_claims.sh
does the same for the protocol alone).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import yaml

from wgan_repro.run_files import read_json, write_json

PACKAGE = Path(__file__).resolve().parent
SCALES_DIR = PACKAGE / "conf" / "reproduce"
THEORY_ORDER = ("parallel_lines", "optimal_critic", "critic_surface", "vanishing_gradients", "instance_noise")
PARTS_FILE = "parts.json"
POLL_SECONDS = 60
# parts.json gets the running part's wall time this often, so a kill loses at most this much of it
HEARTBEAT_SECONDS = 30


def scales() -> list[str]:
    return sorted(p.stem for p in SCALES_DIR.glob("*.yaml"))


def load_scale(name: str) -> dict:
    path = SCALES_DIR / f"{name}.yaml"
    if not path.exists():
        raise SystemExit(f"error: unknown scale {name!r}: valid scales are {', '.join(scales())}")
    spec = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(spec.get("theory") or {}) - set(THEORY_ORDER))
    if unknown:
        raise SystemExit(f"error: {path} names unknown theory experiments {', '.join(unknown)}: "
                         f"valid ones are {', '.join(THEORY_ORDER)}")
    return spec


def plan(spec: dict, out: Path, extra: list[str]) -> list[dict]:
    """The parts in the papers' order: each theory experiment, then the claims sweeps."""
    run_py = [sys.executable, "-m", "wgan_repro"]
    parts = []
    for name in THEORY_ORDER:
        if name not in (spec.get("theory") or {}):
            continue
        folder = out / "theory" / name
        args = [f"experiment={name}", *map(str, spec["theory"][name] or []), *extra, f"hydra.run.dir={folder}"]
        parts.append({"name": name, "kind": "theory", "folder": f"theory/{name}", "argv": [run_py + args]})
    sweeps = spec.get("sweeps") or []
    if sweeps:
        folder = out / "claims"
        workers = sweep_workers(spec)
        queued = []
        if workers > 1:     # each sweep's runs one at a time, on its share of the cores; one report at the end
            threads = max(1, (os.cpu_count() or 1) // workers)
            queued = ["hydra/launcher=basic", f"train.threads={threads}", "hydra.callbacks.report.enabled=false"]
        argv = [run_py + ["-m", *map(str, s), *extra, *queued, f"hydra.sweep.dir={folder}"] for s in sweeps]
        after = [[sys.executable, "-m", "wgan_repro.report", str(folder)]] if workers > 1 else []
        parts.append({"name": "claims", "kind": "sweep", "folder": "claims", "argv": argv, "workers": workers,
                      "after": after})
    return parts


def sweep_workers(spec: dict) -> int:
    """How many sweeps run side by side: the scale's `sweep_workers` (`cores`: one per CPU core;
    absent or 1: one after another, each with its preset's launcher)."""
    value = spec.get("sweep_workers", 1)
    if value == "cores":
        return os.cpu_count() or 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SystemExit(f"error: sweep_workers must be a positive integer or 'cores', not {value!r}")
    return value


def part_identity(part: dict, out: Path) -> str:
    """What a part's runs are, as a short hash: its commands without what says where they write or
    how fast they go (the reproduction folder, `hydra.*` and hydra/ choices, train.threads and the
    other NON_IDENTITY_OVERRIDES), with the content of every conf/experiment/<name>.yaml they
    select, so that a protocol changed in its YAML (another length) is another part too."""
    from wgan_repro.run_layout import identity_overrides

    items = []
    for argv in [*part["argv"], *part.get("after", [])]:
        for key, value, arg in identity_overrides(argv[1:]):
            items.append(arg.replace(str(out), "<reproduction>"))
            preset = PACKAGE / "conf" / "experiment" / f"{value}.yaml"
            if key == "experiment" and preset.is_file():
                items.append(hashlib.sha256(preset.read_bytes()).hexdigest())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def shown(argv: list[str], out: Optional[Path] = None) -> str:
    """A command as a user types it (`python run.py ...`), for the logs and the page; with `out`,
    the reproduction folder is written relative to the working folder (or as <reproduction>),
    so the page names no absolute path of this machine."""
    if argv[1:3] == ["-m", "wgan_repro"]:
        text = "python run.py " + " ".join(_quote(a) for a in argv[3:])
    else:
        text = "python " + " ".join(_quote(a) for a in argv[1:])
    if out is not None:
        relative = os.path.relpath(out)
        text = text.replace(str(out), relative if not relative.startswith("..") else "<reproduction>")
    return text


def _quote(arg: str) -> str:
    return f"'{arg}'" if any(c in arg for c in " []{}$*") else arg


def environment() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PACKAGE, capture_output=True,
                                text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    import torch

    if torch.cuda.is_available():
        device = f"cuda: {torch.cuda.get_device_name(0)}"
    else:
        device = f"cpu: {_cpu_model()} ({os.cpu_count()} cores)"
    return {"commit": commit, "torch": torch.__version__, "python": platform.python_version(), "device": device}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class Manifest:
    """parts.json: the scale, the environment and each part's commands, status and wall time.
    Wall times add up over sittings (a resumed part keeps what it already spent, from any working
    folder and with other speed settings); a part whose runs changed since parts.json was written
    (`part_identity`: other overrides, another experiment YAML) is a new part (pending, no time
    spent), so that the time of other runs is not added to it."""

    def __init__(self, out: Path, scale: str, parts: list[dict]):
        self.path = out / PARTS_FILE
        previous = {p["name"]: p for p in (read_json(self.path) or {}).get("parts", [])}
        self.data = {"scale": scale, **environment(), "started": time.time(), "updated": time.time(), "parts": []}
        for part in parts:
            commands = [shown(a, out) for a in [*part["argv"], *part.get("after", [])]]
            identity = part_identity(part, out)
            old = previous.get(part["name"], {})
            if old.get("identity", identity) != identity or ("identity" not in old and old.get("commands") != commands):
                old = {}                    # other runs: a parts.json from before identities compares commands
            self.data["parts"].append({
                "name": part["name"], "kind": part["kind"], "folder": part["folder"],
                "commands": commands, "identity": identity,
                "rerun": f"python -m wgan_repro.reproduce --scale {scale} --only {part['name']}",
                "status": old.get("status", "pending") if old.get("status") == "finished" else "pending",
                "wall_time": float(old.get("wall_time") or 0.0)})
        self.write()

    def part(self, name: str) -> dict:
        return next(p for p in self.data["parts"] if p["name"] == name)

    def write(self) -> None:
        self.data["updated"] = time.time()
        write_json(self.path, self.data)


def theory_done(folder: Path) -> bool:
    return (read_json(folder / "status.json") or {}).get("status") == "finished" and (folder / "summary.json").exists()


def run_part(part: dict, out: Path, manifest: Manifest, index: int, total: int) -> bool:
    """Run one part (its commands in turn); True when it finished."""
    entry = manifest.part(part["name"])
    folder = out / part["folder"]
    if part["kind"] == "theory" and theory_done(folder):
        entry["status"] = "finished"
        manifest.write()
        print(f"[{index}/{total}] {part['name']}: finished before, skipped", flush=True)
        return True
    if part["kind"] == "theory" and folder.exists():
        _clear_interrupted_theory(folder)          # a theory run has no checkpoint: redo it whole
    entry["status"] = "running"
    manifest.write()
    clock = PartClock(manifest, entry)
    monitor = SweepMonitor(folder, part["name"], index, total) if part["kind"] == "sweep" else None
    ok = True
    try:
        clock.start()
        if monitor:
            monitor.start()
        ok = run_commands(part["argv"], part.get("workers", 1), f"[{index}/{total}] {part['name']}")
        if ok:
            ok = run_commands(part.get("after", []), 1, f"[{index}/{total}] {part['name']}")
    finally:
        if monitor:
            monitor.stop()
        clock.stop()
        entry["status"] = "finished" if ok and (part["kind"] != "theory" or theory_done(folder)) else "failed"
        manifest.write()
    print(f"[{index}/{total}] {part['name']}: {entry['status']} ({entry['wall_time']:.0f} s in all)", flush=True)
    return entry["status"] == "finished"


def run_commands(commands: list[list[str]], workers: int, label: str) -> bool:
    """Run the commands, `workers` at a time from one queue in their order (so the longest, listed
    first, start first and no worker idles while another's last command finishes alone); True
    when every one exited with 0. With one worker the first failure stops the rest; with several,
    a failed command does not stop the others (their runs are as valid), but the result is False."""
    failed: list[int] = []
    lock = threading.Lock()
    pending = list(commands)

    def worker() -> None:
        while True:
            with lock:
                if not pending or (workers == 1 and failed):
                    return
                argv = pending.pop(0)
                print(f"{label}: {shown(argv)}", flush=True)
            code = subprocess.run(argv).returncode
            if code != 0:
                with lock:
                    failed.append(code)
                    print(f"{label}: the command exited with {code}", flush=True)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(workers, len(commands))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return not failed


def _clear_interrupted_theory(folder: Path) -> None:
    """Delete what an interrupted theory run wrote (its figure and CSVs are incomplete, and a
    theory run has no checkpoint to continue from): it is redone whole."""
    import shutil

    shutil.rmtree(folder)


class PartClock:
    """A part's wall time in parts.json, added to what earlier sittings spent: written every
    HEARTBEAT_SECONDS while the part runs and once when it stops, so a SIGKILL (which runs no
    `finally`) loses at most one interval of it."""

    def __init__(self, manifest: Manifest, entry: dict, every: float = HEARTBEAT_SECONDS):
        self.manifest, self.entry, self.every = manifest, entry, every
        self.already = float(entry["wall_time"])
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.entry["wall_time"] = round(self.already + time.perf_counter() - self._start, 1)
            self.manifest.write()

    def start(self) -> None:
        self._start = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.tick()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.tick()


class SweepMonitor:
    """Every POLL_SECONDS, one line of a sweep's overall progress: runs finished, the share of
    generator iterations done and the time left at the rate measured since this sitting began."""

    def __init__(self, folder: Path, name: str, index: int, total: int):
        self.folder, self.name, self.index, self.total = folder, name, index, total
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._start_done: Optional[int] = None
        self._started = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def progress(self) -> tuple[int, int, int, int]:
        """(runs finished, runs seen, generator iterations done, iterations planned) so far."""
        finished = seen = done = planned = 0
        for status in self.folder.glob("*/status.json"):
            state = read_json(status) or {}
            seen += 1
            finished += state.get("status") in ("finished", "diverged")
            iters = int(state.get("iters") or 0)
            planned += iters
            done += iters if state.get("status") in ("finished", "diverged", "failed") else int(state.get("iter") or 0)
        return finished, seen, done, planned

    def line(self) -> str:
        finished, seen, done, planned = self.progress()
        if self._start_done is None:
            self._start_done = done
        elapsed = time.monotonic() - self._started
        rate = (done - self._start_done) / elapsed if elapsed > 0 else 0.0
        left = f", about {_duration((planned - done) / rate)} left for the runs started so far" if rate > 0 else ""
        share = f"{100 * done / planned:.0f} %" if planned else "0 %"
        return (f"[{self.index}/{self.total}] {self.name}: {finished} of {seen} runs started so far are done, "
                f"{share} of their generator iterations{left}")

    def _loop(self) -> None:
        self.line()                       # the rate's starting point
        while not self._stop.wait(POLL_SECONDS):
            print(self.line(), flush=True)


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min" if seconds >= 3600 else f"{seconds // 60} min"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wgan_repro.reproduce", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="cpu", help=f"one of {', '.join(scales())} (default cpu)")
    parser.add_argument("--out", default=None, help="the reproduction folder (default results/reproduction/<scale>)")
    parser.add_argument("--only", default=None, help="comma-separated parts to run (theory names or claims); "
                        "the page is rebuilt from everything there")
    parser.add_argument("overrides", nargs="*", help="extra overrides for every part (e.g. out_dir=... for the cache)")
    args = parser.parse_args(argv)
    spec = load_scale(args.scale)
    out = Path(args.out or Path("results") / "reproduction" / args.scale).resolve()
    out.mkdir(parents=True, exist_ok=True)
    parts = plan(spec, out, args.overrides)
    manifest = Manifest(out, args.scale, parts)
    chosen = parts
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {p["name"] for p in parts}
        if unknown:
            raise SystemExit(f"error: unknown part(s) {', '.join(sorted(unknown))}: the {args.scale} scale has "
                             f"{', '.join(p['name'] for p in parts)}")
        chosen = [p for p in parts if p["name"] in wanted]
    ok = True
    for i, part in enumerate(chosen, 1):
        ok &= run_part(part, out, manifest, i, len(chosen))
    from wgan_repro.report.reproduction import build_page

    page = build_page(out)
    done = sum(p["status"] == "finished" for p in manifest.data["parts"])
    print(f"reproduction: {done} of {len(manifest.data['parts'])} parts finished; page: {page}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
