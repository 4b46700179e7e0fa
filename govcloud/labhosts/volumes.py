"""Loop-backed data volumes for the runbooks (migration, exit, erase).

What works here: a sparse file attached with `losetup -f --show`, then a block
device node created inside the *running* host's /dev with `mknod` through
`nsenter` into the container's mount namespace. nspawn with `--register=no`
sets no device-cgroup policy, so the node is usable at once (hot-plug; no
reboot, no machinectl). Devices declared before boot could use `--bind=` too.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from . import nspawn
from .errors import LabError
from .run import run
from .state import HostRecord


@dataclass(frozen=True)
class Volume:
    """A data volume: `backing` file, host-side `loop` device, `/dev/<device_name>` in the host."""

    host: str
    backing: str
    loop: str
    device_name: str
    size_mb: int

    @property
    def device(self) -> str:
        """The path inside the lab host."""
        return f"/dev/{self.device_name}"

    def to_dict(self) -> dict:
        return asdict(self)


def attach(directory: Path, host: HostRecord, size_mb: int, *, device_name: str | None = None) -> Volume:
    if size_mb <= 0:
        raise LabError(f"attach_volume: size_mb must be positive, got {size_mb}")
    directory.mkdir(parents=True, exist_ok=True)
    index = len(host.volumes)
    device_name = device_name or f"vd{chr(ord('b') + index)}"
    if not device_name.isalnum():
        raise LabError(f"attach_volume: device_name {device_name!r} must be alphanumeric (e.g. vdb)")
    backing = directory / f"{host.name}-{device_name}.img"
    with open(backing, "wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)  # sparse
    loop = run(["losetup", "--find", "--show", backing]).stdout.strip()
    vol = Volume(host.name, str(backing), loop, device_name, size_mb)
    try:
        _mknod_in_host(host, loop, device_name)
    except Exception:
        detach(vol.to_dict())
        raise
    return vol


def _mknod_in_host(host: HostRecord, loop: str, device_name: str) -> None:
    rdev = os.stat(loop).st_rdev
    if not stat.S_ISBLK(os.stat(loop).st_mode):
        raise LabError(f"{loop} is not a block device")
    init = nspawn.container_init_pid(host.pid)
    node = f"/dev/{device_name}"
    run(["nsenter", "-t", str(init), "-m", "--", "sh", "-euc",
         f'rm -f {node}; mknod {node} b {os.major(rdev)} {os.minor(rdev)}; chmod 0660 {node}; chgrp disk {node}'])


def detach(volume: dict) -> list[str]:
    """Detach the loop device and delete the backing file; returns problems (never raises)."""
    problems = []
    loop, backing = volume.get("loop", ""), volume.get("backing", "")
    if loop and _loop_backed_by(loop, backing):
        if run(["losetup", "-d", loop], check=False).returncode != 0:
            problems.append(f"could not detach {loop} ({backing})")
    if backing:
        Path(backing).unlink(missing_ok=True)
    return problems


def _loop_backed_by(loop: str, backing: str) -> bool:
    out = run(["losetup", "--noheadings", "--output", "BACK-FILE", loop], check=False).stdout.strip()
    return bool(out) and Path(out.replace(" (deleted)", "")) == Path(backing)


def loops_backed_under(directory: Path) -> list[str]:
    """Loop devices whose backing file lies under `directory` (for cleanup)."""
    out = run(["losetup", "--noheadings", "--list", "--output", "NAME,BACK-FILE"], check=False).stdout
    prefix = str(directory.resolve()) + "/"
    return [line.split()[0] for line in out.splitlines()
            if len(line.split()) >= 2 and line.split(None, 1)[1].startswith(prefix)]
