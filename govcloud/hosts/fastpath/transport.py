"""One probe per host over SSH, many hosts at once: asyncio on the controller, no Ansible worker.

Each host costs one `ssh` client process for its one round trip (ControlMaster=auto with a short
ControlPersist, so a second run within a minute reuses the connection); at most ``concurrency`` run at
once. A host that does not answer within ``timeout`` seconds, or whose ssh fails to connect (exit 255),
is ``unreachable``; a host that connects but cannot run the probe (sudo refused, no python3, an answer
that is not JSON) has an ``error``. Either way it has no answer, and its evidence never passes.
A ``local`` target runs the probe on the controller itself (``ansible_connection: local``), no ssh.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .probe import PROBE

#: ControlPath directory: short (a socket path is limited to ~108 bytes), private to the user
CONTROL_DIR = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / f"govcloud-ssh-{os.getuid()}"
MAX_ANSWER = 64 << 20
_control_dir: Path | None = None


def control_dir() -> Path:
    """CONTROL_DIR, created 0700; when someone else owns it or it is open to others (a shared /tmp),
    a fresh private directory instead: a ControlMaster socket there would let them use our logins."""
    global _control_dir
    if _control_dir is None:
        try:
            CONTROL_DIR.mkdir(mode=0o700, exist_ok=True)
            st = CONTROL_DIR.lstat()
            ok = stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077
        except OSError:
            ok = False
        _control_dir = CONTROL_DIR if ok else Path(tempfile.mkdtemp(prefix="gc-ssh-"))
    return _control_dir


@dataclass(frozen=True)
class Target:
    """How to reach one host (its inventory's connection variables)."""

    name: str
    address: str
    port: int = 22
    user: str = ""
    key_file: str = ""
    ssh_common_args: list[str] = field(default_factory=list)
    become: bool = True
    become_user: str = "root"
    python: str = "/usr/bin/python3"
    local: bool = False

    def argv(self, persist: str) -> list[str]:
        if self.local:
            return [*(["sudo", "-n", "-u", self.become_user, "--"] if self.become and os.getuid() != 0 else []),
                    self.python, "-I", "-S", "-c", PROBE]
        remote = f"{shlex.quote(self.python)} -I -S -c {shlex.quote(PROBE)}"
        if self.become:
            remote = f"sudo -n -u {shlex.quote(self.become_user)} -- {remote}"
        return ["ssh", "-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", f"ControlPersist={persist}",
                "-o", f"ControlPath={control_dir()}/%C", "-o", "ConnectTimeout=15", "-p", str(self.port),
                *(["-i", self.key_file] if self.key_file else []), *(["-l", self.user] if self.user else []),
                *self.ssh_common_args, self.address, remote]


@dataclass
class HostAnswer:
    """What one host said: ``answer`` (the probe's JSON), or why there is none."""

    answer: dict[str, Any] | None = None
    unreachable: str = ""
    error: str = ""
    seconds: float = 0.0


async def probe_one(target: Target, request: dict[str, Any], timeout: float, persist: str = "60s") -> HostAnswer:
    t0 = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(*target.argv(persist), stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                    limit=MAX_ANSWER, start_new_session=target.local)
    except OSError as exc:
        return HostAnswer(error=f"could not start {'the probe' if target.local else 'ssh'}: {exc.strerror or exc}")
    try:
        out, err = await asyncio.wait_for(_exchange(proc, json.dumps(request).encode() + b"\n"), timeout)
    except TimeoutError:
        await _end(proc, target)
        return HostAnswer(unreachable=f"no answer within {timeout:g} s", seconds=time.monotonic() - t0)
    except _TooLarge:
        await _end(proc, target)
        return HostAnswer(error=f"the probe's answer is larger than {MAX_ANSWER >> 20} MiB",
                          seconds=time.monotonic() - t0)
    seconds = time.monotonic() - t0
    last_err = next((ln for ln in reversed(err.decode("utf-8", "replace").splitlines()) if ln.strip()), "")
    if proc.returncode == 255 and not target.local:
        return HostAnswer(unreachable=last_err or "ssh: connection failed", seconds=seconds)
    if proc.returncode != 0:
        return HostAnswer(error=f"the probe exited {proc.returncode}: {last_err or 'no message'}", seconds=seconds)
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError, RecursionError):
        return HostAnswer(error="the probe's answer is not JSON", seconds=seconds)
    if not isinstance(answer, dict):
        return HostAnswer(error="the probe's answer is not a JSON object", seconds=seconds)
    return HostAnswer(answer=answer, seconds=seconds)


async def _end(proc: asyncio.subprocess.Process, target: Target) -> None:
    """Kill a probe past its time: a local one by SIGTERM (it ends the command it runs), then SIGKILL to its
    process group; an ssh one with its connection's master (forked by this ssh), which holds the pipes
    until the remote command ends (the remote probe then ends at its own command timeouts)."""
    if target.local:
        for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                break
            try:
                await asyncio.wait_for(proc.wait(), grace)
                break
            except TimeoutError:
                pass
    else:
        proc.kill()
        await _stop_master(target)
    await proc.wait()


async def close_masters(targets: list[Target]) -> None:
    """End the ControlMasters of ``targets`` (those that have one); the next probe connects afresh."""
    await asyncio.gather(*(_stop_master(t) for t in targets if not t.local))


async def _stop_master(target: Target) -> None:
    """`ssh -O exit` the target's ControlMaster (if there is one), ending the probe's session with it."""
    argv = target.argv("no")
    cmd = [*argv[:argv.index(target.address)], "-O", "exit", target.address]
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()


class _TooLarge(Exception):
    pass


async def _exchange(proc: asyncio.subprocess.Process, data: bytes) -> tuple[bytes, bytes]:
    """Send the request; read the answer (at most MAX_ANSWER bytes) and ssh's messages."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(data)
        await proc.stdin.drain()
        proc.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # it ended without reading its request (ssh could not connect, no python): its exit status says why

    async def bounded(stream: asyncio.StreamReader) -> bytes:
        chunks, size = [], 0
        while chunk := await stream.read(1 << 16):
            size += len(chunk)
            if size > MAX_ANSWER:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    out, err = await asyncio.gather(bounded(proc.stdout), bounded(proc.stderr))
    await proc.wait()
    return out, err


async def probe_hosts(targets: list[Target], request_of: Callable[[Target], dict[str, Any]], *,
                      concurrency: int = 20, timeout: float = 60.0,
                      on_done: Callable[[str, HostAnswer], None] | None = None,
                      persist: str = "60s") -> dict[str, HostAnswer]:
    """Probe every target, ``concurrency`` at a time; each answer (or reason) by host name."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(t: Target) -> tuple[str, HostAnswer]:
        async with gate:
            got = await probe_one(t, request_of(t), timeout, persist)
        if on_done is not None:
            on_done(t.name, got)
        return t.name, got

    return dict(await asyncio.gather(*(one(t) for t in targets)))
