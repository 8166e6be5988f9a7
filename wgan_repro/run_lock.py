"""One process per run folder: an OS file lock (`flock`) on `<run folder>/.lock`, held for the
run's whole life.

The kernel releases the lock when the process ends, however it ends (SIGKILL included), so a
killed run never leaves a stale lock behind: the same command resumes it. A second process
that finds the folder locked gets `RunLocked`, naming the folder and the holder's PID.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = ".lock"


class RunLocked(Exception):
    """Another live process holds this run folder."""


class RunFolderLock:
    """`with RunFolderLock(run_dir):` holds the folder's lock until the block ends."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self.fd: int | None = None

    def acquire(self) -> "RunFolderLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunLocked(
                f"the run folder {self.path.parent} is in use by process {holder}: wait for it to finish "
                "(or stop it), or run in another folder (out_dir=...)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)          # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self) -> "RunFolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
