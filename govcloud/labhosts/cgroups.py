"""One cgroup per host, so the hosts' systemd instances do not share (and clobber) units.

With `--register=no --keep-unit`, systemd-nspawn uses the cgroup it was started
in as the container's root. Started side by side from one process, every host's
systemd would then create `/system.slice/<unit>` in the *same* tree: units of
one host fail with "Failed to attach to cgroup" when another host removes the
shared cgroup, and stopping sshd on one host would kill sshd on all of them.
So the launcher moves itself into `govcloud-labs/<lab>-<host>` of the
name=systemd and unified hierarchies (cgroup v1/hybrid) or of the v2 root
before exec'ing nspawn.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")
GROUP = "govcloud-labs"


def hierarchies() -> list[Path]:
    """Hierarchies where systemd tracks units: v2 root, or name=systemd + unified in v1/hybrid."""
    if (CGROUP_FS / "cgroup.procs").exists():  # pure cgroup v2
        return [CGROUP_FS]
    return [p for p in (CGROUP_FS / "systemd", CGROUP_FS / "unified") if (p / "cgroup.procs").exists()]


def host_cgroups(lab_id: str, host: str) -> list[Path]:
    return [h / GROUP / f"{lab_id}-{host}" for h in hierarchies()]


def join_script(lab_id: str, host: str) -> str:
    """Shell lines that move the current shell into the host's cgroups."""
    lines = [f'mkdir -p "{d}" && echo $$ > "{d}/cgroup.procs"' for d in host_cgroups(lab_id, host)]
    return " && ".join(lines) if lines else "true"


def remove(lab_id: str, host: str, *, wait: float = 10.0) -> list[str]:
    """Remove the host's cgroup trees (bottom-up), waiting up to `wait` s for exiting
    processes (nspawn's `supervisor` child) to leave; returns those that could not be removed."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for top in host_cgroups(lab_id, host):
            if not top.exists():
                continue
            for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda t: -t[0].count("/")):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    left.append(dirpath)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def lab_cgroups(prefix: str = "") -> list[Path]:
    """Host cgroups of every lab (for cleanup); `prefix` narrows to one lab id."""
    found = []
    for h in hierarchies():
        base = h / GROUP
        if base.exists():
            found += [d for d in base.iterdir() if d.is_dir() and d.name.startswith(prefix)]
    return found
