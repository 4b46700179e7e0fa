"""Boot and power off one host with systemd-nspawn, with the workarounds this machine needs.

TEST-HOSTS.md: nspawn runs in a private mount namespace (`unshare -m`,
`mount --make-rprivate /`, a tmpfs on /run/systemd/nspawn), with
`--register=no --keep-unit`, joining the host's netns by path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from . import cgroups
from .errors import LabError

_WRAPPER = (
    "mount --make-rprivate / && mkdir -p /run/systemd/nspawn && "
    "mount -t tmpfs tmpfs /run/systemd/nspawn && {join} && exec \"$@\""
)


def nspawn_command(root: Path, name: str, netns: str, binds: list[str] | None = None,
                   lab_id: str = "") -> list[str]:
    wrapper = _WRAPPER.format(join=cgroups.join_script(lab_id, name))
    cmd = [
        "unshare", "-m", "--", "sh", "-c", wrapper, "nspawn",
        "systemd-nspawn", "--boot", f"--directory={root}", f"--machine={name}",
        "--register=no", "--keep-unit", f"--network-namespace-path=/run/netns/{netns}",
        "--resolv-conf=off", "--timezone=off", "--link-journal=no", "--console=read-only",
        # the host's own network namespace is private: with CAP_NET_ADMIN there, its nftables
        # firewall (8.1.4.4b/c) is really loaded and checked instead of waived
        "--capability=CAP_NET_ADMIN",
    ]
    cmd += [f"--bind={b}" for b in binds or []]
    return cmd


def start(root: Path, name: str, netns: str, console_log: Path,
          binds: list[str] | None = None, lab_id: str = "") -> subprocess.Popen[bytes]:
    """Start booting; the returned process *is* systemd-nspawn (the wrapper execs it)."""
    with open(console_log, "ab") as out:
        return subprocess.Popen(
            nspawn_command(root, name, netns, binds, lab_id), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,  # Ctrl-C reaches us, not the hosts
        )


def is_our_nspawn(pid: int, root: Path) -> bool:
    """True if `pid` is alive and is systemd-nspawn for `root` (guards against pid reuse)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(b"systemd-nspawn") for a in argv) and f"--directory={root}".encode() in argv


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def poweroff(pid: int, root: Path, proc: subprocess.Popen[bytes] | None = None,
             timeout: float = 30.0) -> bool:
    """SIGTERM (clean poweroff of the container), SIGKILL after `timeout`. True if clean."""
    if not is_our_nspawn(pid, root):
        if proc is not None:
            proc.poll()
        return True
    os.kill(pid, signal.SIGTERM)
    return wait_gone(pid, root, proc, timeout)


def wait_gone(pid: int, root: Path, proc: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return True
        if not alive(pid) or not is_our_nspawn(pid, root):
            return True
        time.sleep(0.2)
    if is_our_nspawn(pid, root):
        os.kill(pid, signal.SIGKILL)
    if proc is not None:
        proc.wait(timeout=10)
    return False


def container_init_pid(nspawn_pid: int) -> int:
    """PID (in our namespace) of the container's PID 1: a descendant whose innermost pid is 1."""
    todo, seen = [nspawn_pid], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:") and pid != nspawn_pid and line.split()[-1] == "1":
                return pid
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            todo.extend(int(c) for c in task.read_text().split())
    raise LabError(f"no container init found under systemd-nspawn pid {nspawn_pid}")


def console_tail(console_log: Path, lines: int = 25) -> str:
    try:
        text = console_log.read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(text.splitlines()[-lines:])
