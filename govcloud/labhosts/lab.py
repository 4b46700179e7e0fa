"""A lab: N booted Debian 12 hosts on a private bridge, reachable over SSH as `govadmin`.

    with Lab.start(3, names=["web1", "web2", "db1"], groups={"db": ["db1"]}) as lab:
        lab.ssh("db1", "systemctl is-system-running")
        inventory = lab.write_inventory()

Teardown (`stop`) runs on exit of the `with`, at interpreter exit (atexit) and
from `python -m govcloud.labhosts cleanup` for labs whose owner died.
"""

from __future__ import annotations

import atexit
import fcntl
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import cgroups, keys, network, nspawn, overlay, paths, volumes
from .base import ADMIN_USER, BaseImage, ensure_base
from .errors import LabError
from .run import Progress, log
from .state import HostRecord, LabRecord, unregister

HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
SSH_OPTIONS: tuple[str, ...] = (
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
)
#: Files a lab writes into a state dir that it does not own (removed by `stop`).
_OWNED_FILES = ("lab.json", "lab.tmp", "id_ed25519", "id_ed25519.pub", "inventory.yml", "ssh_config", "known_hosts")


@dataclass(frozen=True)
class LabHost:
    """One booted host as the controller sees it."""

    name: str
    address: str
    netns: str
    root: Path
    console_log: Path
    pid: int
    ssh_args: tuple[str, ...]

    def ssh_command(self, command: str) -> list[str]:
        return [*self.ssh_args, command]


def preflight() -> None:
    """Fail loudly (not skip) when this machine cannot boot test hosts."""
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (overlay mounts, netns, systemd-nspawn)")
    for tool in ("systemd-nspawn", "unshare", "ip", "ssh", "ssh-keygen", "debootstrap", "mount", "losetup"):
        if shutil.which(tool) is None:
            problems.append(f"`{tool}` not found (install the packages in deps/apt-test.txt)")
    if problems:
        raise LabError("cannot boot lab test hosts: " + "; ".join(problems))
    _raise_inotify_limit()


# Every booted host's systemd and journald take inotify instances from root's per-user budget (the
# containers run as uid 0 of this machine): the kernel default of 128 ran out with ~10 hosts of
# several labs ("Too many open files" at boot). Labs need a test machine; raise it, never lower it.
INOTIFY_INSTANCES = 1024


def _raise_inotify_limit(path: Path = Path("/proc/sys/fs/inotify/max_user_instances")) -> None:
    try:
        current = int(path.read_text())
        if current < INOTIFY_INSTANCES:
            path.write_text(f"{INOTIFY_INSTANCES}\n")
            log.info("fs.inotify.max_user_instances %d -> %d for booted test hosts", current, INOTIFY_INSTANCES)
    except (OSError, ValueError) as e:
        log.warning("could not raise fs.inotify.max_user_instances (%s): many booted hosts may fail to start", e)


class Lab:
    """Booted test hosts plus the bridge, namespaces and mounts behind them."""

    def __init__(self, record: LabRecord, procs: dict[str, subprocess.Popen[bytes]] | None = None):
        self.record = record
        self._procs = procs or {}
        self._stopped = False
        self.key = Path(record.state_dir) / "id_ed25519"
        if not record.persistent:
            atexit.register(self._atexit)

    # ------------------------------------------------------------------ start
    @classmethod
    def start(
        cls,
        n: int | None = None,
        *,
        names: Sequence[str] | None = None,
        groups: dict[str, list[str]] | None = None,
        host_vars: dict[str, dict] | None = None,
        state_dir: Path | str | None = None,
        base: BaseImage | None = None,
        persistent: bool = False,
        boot_timeout: float = 120.0,
        progress: Progress | None = None,
    ) -> "Lab":
        """Boot `n` hosts (named `names`, default host1..hostN) and wait for their sshd.

        `groups` and `host_vars` go into the generated Ansible inventory."""
        say = progress or log.info
        preflight()
        names = list(names) if names else [f"host{i}" for i in range(1, (n or 1) + 1)]
        if n is not None and len(names) != n:
            raise LabError(f"Lab.start: n={n} but {len(names)} names given: {names}")
        _check_names(names)
        base = base or ensure_base(progress=say)
        lab = cls(_new_record(state_dir, base, persistent, groups or {}))
        lab.record.host_vars = {k: dict(v) for k, v in (host_vars or {}).items()}
        try:
            say(f"lab {lab.id}: subnet {lab.record.subnet}, bridge {lab.record.bridge}, "
                f"state {lab.record.state_dir}")
            keys.ensure_admin_key(Path(lab.record.state_dir))
            for name in names:
                lab._prepare_host(name)
            lab._write_hosts_files()
            t0 = time.monotonic()
            for rec in lab.record.hosts:
                lab._boot(rec)
            lab._wait_ssh(lab.record.hosts, boot_timeout)
            say(f"lab {lab.id}: {len(names)} host(s) up in {time.monotonic() - t0:.1f} s: "
                + ", ".join(f"{h.name}={h.address}" for h in lab.record.hosts))
            lab.write_inventory()
        except BaseException:
            lab.stop()
            raise
        return lab

    @classmethod
    def attach(cls, state_dir: Path | str) -> "Lab":
        """A handle on a lab started by another process (e.g. `up`), for `ssh` or `stop`."""
        state_dir = Path(state_dir).resolve()
        if not (state_dir / "lab.json").exists():
            raise LabError(f"{state_dir}/lab.json not found: no lab in this state dir")
        record = LabRecord.load(state_dir)
        record.persistent = True  # do not tear down at our exit unless asked
        return cls(record)

    # ------------------------------------------------------------ properties
    @property
    def id(self) -> str:
        return self.record.id

    @property
    def state_dir(self) -> Path:
        return Path(self.record.state_dir)

    @property
    def hosts(self) -> list[LabHost]:
        return [self._view(h) for h in self.record.hosts]

    def host(self, name: str | LabHost) -> LabHost:
        name = name.name if isinstance(name, LabHost) else name
        for h in self.record.hosts:
            if h.name == name:
                return self._view(h)
        raise LabError(f"lab {self.id} has no host {name!r} (hosts: {[h.name for h in self.record.hosts]})")

    def _view(self, rec: HostRecord) -> LabHost:
        args = ("ssh", "-i", str(self.key), *SSH_OPTIONS, f"{ADMIN_USER}@{rec.address}")
        return LabHost(rec.name, rec.address, rec.netns, rec.root, rec.console_log, rec.pid, args)

    def _record(self, name: str) -> HostRecord:
        return next(h for h in self.record.hosts if h.name == self.host(name).name)

    # --------------------------------------------------------------- actions
    def ssh(self, host: str | LabHost, command: str | Sequence[str], *, check: bool = True,
            timeout: float = 120, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `command` on `host` as govadmin (prefix `sudo` yourself); raise on failure if `check`."""
        h = self.host(host)
        remote = command if isinstance(command, str) else shlex.join(command)
        try:
            proc = subprocess.run(h.ssh_command(remote), capture_output=True, text=True, timeout=timeout,
                                  input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"ssh {h.name}: timed out after {timeout}s running {remote!r}") from exc
        if check and proc.returncode != 0:
            raise LabError(f"ssh {h.name} ({h.address}): {remote!r} exited {proc.returncode}\n"
                           f"stdout: {proc.stdout.strip()[-1500:]}\nstderr: {proc.stderr.strip()[-1500:]}")
        return proc

    def add_host(self, name: str | None = None, *, groups: Iterable[str] = (),
                 boot_timeout: float = 120.0) -> LabHost:
        """Boot one more host (e.g. a fresh host for a check-mode test) into the running lab."""
        name = name or f"host{len(self.record.hosts) + 1}"
        _check_names([h.name for h in self.record.hosts] + [name])
        for g in groups:
            self.record.groups.setdefault(g, []).append(name)
        rec = self._prepare_host(name)
        self._write_hosts_files()
        self._boot(rec)
        self._wait_ssh([rec], boot_timeout)
        self.write_inventory()
        return self._view(rec)

    def attach_volume(self, host: str | LabHost, size_mb: int, *, device_name: str | None = None) -> volumes.Volume:
        """A sparse file as a loop block device, visible in the running host as /dev/<device_name>."""
        rec = self._record(self.host(host).name)
        vol = volumes.attach(self.state_dir / "volumes", rec, size_mb, device_name=device_name)
        rec.volumes.append(vol.to_dict())
        self.record.save()
        return vol

    # ------------------------------------------------------------- inventory
    def inventory(self) -> dict:
        """An Ansible YAML-inventory dict: all hosts, group `lab` (every host), the lab's groups, connection vars."""
        hosts = {h.name: {"ansible_host": h.address, **self.record.host_vars.get(h.name, {})}
                 for h in self.record.hosts}
        groups = {"lab": [h.name for h in self.record.hosts], **self.record.groups}
        children = {g: {"hosts": {m: {} for m in members}} for g, members in sorted(groups.items())}
        return {"all": {
            "hosts": hosts,
            "children": children,
            "vars": {
                "ansible_user": ADMIN_USER,
                "ansible_ssh_private_key_file": str(self.key),
                "ansible_become": True,
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_host_key_checking": False,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                           "-o IdentitiesOnly=yes",
                "govcloud_apt_update": False,  # no network: install from the pre-downloaded cache
                "govcloud_lab_id": self.id,
                "govcloud_lab_subnet": self.record.subnet,
                "govcloud_lab_controller": self.record.controller_address,
                # every host's own SSH host keys, for tools that pin them (the runbook's host-to-host hop)
                "govcloud_known_hosts": str(self.state_dir / "known_hosts"),
            },
        }}

    def write_inventory(self, path: Path | None = None) -> Path:
        """Write inventory.yml (and an ssh_config for humans) into the state dir."""
        import yaml  # PyYAML ships with ansible-core

        path = path or self.state_dir / "inventory.yml"
        (self.state_dir / "known_hosts").write_text(
            keys.known_hosts([(h.name, h.address, Path(h.root)) for h in self.record.hosts]))
        path.write_text(yaml.safe_dump(self.inventory(), sort_keys=False))
        lines = []
        for h in self.record.hosts:
            lines += [f"Host {h.name}", f"  HostName {h.address}", f"  User {ADMIN_USER}",
                      f"  IdentityFile {self.key}", "  IdentitiesOnly yes", "  StrictHostKeyChecking no",
                      "  UserKnownHostsFile /dev/null", "  LogLevel ERROR", ""]
        (self.state_dir / "ssh_config").write_text("\n".join(lines))
        return path

    # -------------------------------------------------------------- teardown
    def stop(self) -> list[str]:
        """Power hosts off (SIGTERM), unmount, delete netns/veth/bridge. Idempotent; returns problems."""
        if self._stopped:
            return []
        self._stopped = True
        problems: list[str] = []
        rec = self.record
        for h in rec.hosts:  # signal all first: they power off in parallel
            if h.pid and nspawn.is_our_nspawn(h.pid, h.root):
                try:
                    os.kill(h.pid, 15)
                except ProcessLookupError:
                    pass
        for h in rec.hosts:
            if h.pid and not nspawn.wait_gone(h.pid, h.root, self._procs.get(h.name), 30.0):
                problems.append(f"{h.name}: no clean poweroff within 30 s (killed)")
            for v in h.volumes:
                problems += volumes.detach(v)
            problems += [f"{h.name}: cgroup {c} not removed" for c in cgroups.remove(rec.id, h.name)]
            overlay.unmount(h.root)
            if overlay.is_mounted(h.root):
                problems.append(f"{h.name}: overlay still mounted at {h.root}")
            network.delete_netns(h.netns)
            network.delete_link(h.veth)
        network.delete_link(rec.bridge)
        unregister(rec.id)
        if not overlay.overlay_mounts_under(self.state_dir):
            _remove_state(self.state_dir, rec.owns_state_dir)
        else:
            problems.append(f"overlay mounts remain under {self.state_dir}; state kept")
        for p in problems:
            log.warning("lab %s: %s", rec.id, p)
        try:
            atexit.unregister(self._atexit)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
        return problems

    def _atexit(self) -> None:
        if not self._stopped and not self.record.persistent:
            self.stop()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- internals
    def _prepare_host(self, name: str) -> HostRecord:
        rec = self.record
        net = ipaddress.ip_network(rec.subnet)
        index = len(rec.hosts) + 1
        if index > 200:
            raise LabError(f"lab {self.id}: at most 200 hosts per lab")
        host = HostRecord(
            name=name, index=index, address=str(net.network_address + 10 + index),
            netns=network.netns_name(rec.id, name), veth=network.veth_name(rec.id, index),
            host_dir=str(self.state_dir / "hosts" / name),
        )
        rec.hosts.append(host)
        rec.save()  # recorded before created: cleanup can always find it
        Path(host.host_dir).mkdir(parents=True, exist_ok=True)
        network.create_host_link(rec.bridge, network.HostLink(host.netns, host.veth, host.address, net.prefixlen))
        root = overlay.mount_overlay(Path(rec.base_rootfs), Path(host.host_dir))
        keys.host_identity(root, name)
        keys.authorize(root, ADMIN_USER, (self.key.with_suffix(".pub")).read_text())
        return host

    def _write_hosts_files(self) -> None:
        entries = [(h.name, h.address) for h in self.record.hosts]
        entries.append(("controller", self.record.controller_address))
        text = keys.hosts_file(entries)
        for h in self.record.hosts:
            (h.root / "etc/hosts").write_text(text)

    def _boot(self, host: HostRecord) -> None:
        binds = [f"{v['loop']}:/dev/{v['device_name']}" for v in host.volumes]
        proc = nspawn.start(host.root, host.name, host.netns, host.console_log, binds, self.id)
        self._procs[host.name] = proc
        host.pid = proc.pid
        self.record.save()

    def _wait_ssh(self, hosts: list[HostRecord], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(hosts)
        while pending:
            for h in list(pending):
                if not nspawn.alive(h.pid):
                    raise LabError(f"host {h.name}: systemd-nspawn exited during boot "
                                   f"(console {h.console_log}):\n{nspawn.console_tail(h.console_log)}")
                if _port_open(h.address, 22) and self.ssh(h.name, "true", check=False, timeout=15).returncode == 0:
                    # sshd answers before boot ends: wait for systemd to finish starting units
                    # (is-system-running --wait ends on running/degraded), so hosts are settled.
                    left = max(5.0, deadline - time.monotonic())
                    self.ssh(h.name, f"timeout {left:.0f} systemctl is-system-running --wait", check=False,
                             timeout=left + 10)
                    pending.remove(h)
            if not pending:
                return
            if time.monotonic() > deadline:
                h = pending[0]
                raise LabError(f"host {h.name} ({h.address}): sshd did not accept {ADMIN_USER} within "
                               f"{timeout:.0f} s; console {h.console_log} ends:\n{nspawn.console_tail(h.console_log)}")
            time.sleep(0.3)


def _port_open(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def _check_names(names: Sequence[str]) -> None:
    for name in names:
        if not HOSTNAME_RE.match(name):
            raise LabError(f"host name {name!r}: expected lowercase letters, digits and '-', "
                           "1-32 chars, starting and ending with a letter or digit")
    dupes = {n for n in names if list(names).count(n) > 1}
    if dupes:
        raise LabError(f"duplicate host names: {sorted(dupes)}")


def _new_record(state_dir: Path | str | None, base: BaseImage, persistent: bool,
                groups: dict[str, list[str]]) -> LabRecord:
    """Allocate an id, a state dir and a free /24, create the bridge, register the lab."""
    owns = state_dir is None
    if state_dir is None:
        root = paths.state_root()
        root.mkdir(parents=True, exist_ok=True)
        sdir = Path(tempfile.mkdtemp(prefix="lab-", dir=root))
    else:
        sdir = Path(state_dir).resolve()
        sdir.mkdir(parents=True, exist_ok=True)
        if (sdir / "lab.json").exists():
            raise LabError(f"{sdir}/lab.json exists: a lab already lives in this state dir; "
                           f"run `python -m govcloud.labhosts down --state {sdir}` first")
    paths.REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    with open(paths.REGISTRY_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        from .state import registered

        taken = [ipaddress.ip_network(e["subnet"]) for e in registered() if e.get("subnet")]
        subnet = network.pick_subnet(taken)
        lab_id = secrets.token_hex(3)
        record = LabRecord(
            id=lab_id, state_dir=str(sdir), base_rootfs=str(base.rootfs), subnet=str(subnet),
            bridge=network.bridge_name(lab_id), controller_address=str(subnet.network_address + 1),
            owner_pid=os.getpid(), persistent=persistent, owns_state_dir=owns,
            groups={g: list(m) for g, m in groups.items()},
        )
        record.save()
        network.create_bridge(record.bridge, record.controller_address, subnet.prefixlen)
    return record


def _remove_state(state_dir: Path, owned: bool) -> None:
    if owned:
        shutil.rmtree(state_dir, ignore_errors=True)
        return
    for sub in ("hosts", "volumes"):
        shutil.rmtree(state_dir / sub, ignore_errors=True)
    for f in _OWNED_FILES:
        (state_dir / f).unlink(missing_ok=True)
