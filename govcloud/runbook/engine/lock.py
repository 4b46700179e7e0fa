"""One run at a time per runbook and system: ``fcntl.flock`` on a lock file named for both.

The kernel drops the lock when its holder dies (even by SIGKILL), so a killed run never
leaves a stale lock; the file records the holder's pid and run directory for the error.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path

from .errors import RunLocked


def lock_dir() -> Path:
    """``$GOVCLOUD_LOCK_DIR``, else /run/lock/govcloud (root) or ~/.cache/govcloud/locks."""
    env = os.environ.get("GOVCLOUD_LOCK_DIR")
    if env:
        return Path(env)
    if os.geteuid() == 0 and Path("/run/lock").is_dir():
        return Path("/run/lock/govcloud")
    return Path.home() / ".cache" / "govcloud" / "locks"


def lock_path(runbook: str, system: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{runbook}--{system}")
    return lock_dir() / f"{safe}.lock"


class RunLock:
    """Held from ``acquire`` until ``release`` (or the process ends)."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, runbook: str, system: str, run_dir: Path) -> "RunLock":
        path = lock_path(runbook, system)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunLocked(
                f"runbook {runbook} for system {system} is already running: pid {holder.get('pid', '?')} "
                f"holds {path} (run dir {holder.get('run_dir', '?')}); wait for it or stop that process"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "run_dir": str(run_dir), "runbook": runbook,
                                 "system": system}).encode() + b"\n")
        os.fsync(fd)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        return {}
