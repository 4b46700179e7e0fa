"""Copy-on-write root filesystems: one overlay mount of the base per host."""

from __future__ import annotations

import time
from pathlib import Path

from .run import run


def mount_overlay(lower: Path, host_dir: Path) -> Path:
    """Mount `lower` + `host_dir/upper` at `host_dir/root`; return the merged root."""
    upper, work, root = host_dir / "upper", host_dir / "work", host_dir / "root"
    for d in (upper, work, root):
        d.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={lower},upperdir={upper},workdir={work}", root])
    return root


def is_mounted(path: Path) -> bool:
    target = str(path.resolve()) if path.exists() else str(path)
    with open("/proc/self/mounts") as fh:
        return any(line.split()[1] == target for line in fh)


def overlay_mounts_under(directory: Path) -> list[Path]:
    """Overlay mounts of this mount namespace below `directory`."""
    prefix = str(directory.resolve()) + "/"
    found = []
    with open("/proc/self/mounts") as fh:
        for line in fh:
            fields = line.split()
            if fields[2] == "overlay" and fields[1].startswith(prefix):
                found.append(Path(fields[1]))
    return found


def unmount(path: Path, *, attempts: int = 10) -> None:
    """Unmount `path`, retrying while busy, finally lazily."""
    for _ in range(attempts):
        if not is_mounted(path):
            return
        if run(["umount", path], check=False).returncode == 0:
            return
        time.sleep(0.3)
    run(["umount", "-l", path], check=False)
