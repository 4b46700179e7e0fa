"""Verified file transfer between two hosts: rsync over SSH, host to host, checked by a SHA-256
manifest made at the source and verified at the target.

Articles 1-2 (系统迁移: a system and its data moved into the cloud), 58-59 (迁出: the exit
runbook moves data out the same way). The data flows source → target directly: the
controller runs ``rsync`` *on the source* through SSH with agent forwarding, so the
private key never leaves the controller and no key is written to any host. The source's hop
to the target accepts only the target's host key as the inventory records it
(``govcloud_known_hosts``; StrictHostKeyChecking=yes): an unknown or different key is refused.

Verification: the target hashes files while rsync writes them and ends with a final pass that
re-hashes any file new or changed since (remote_manifest.py): every file of the source manifest
is checked, size and SHA-256, as complete as hashing the whole target afterwards.

Resumable: ``--partial`` keeps a half-sent file, and the next run sends only what is missing
(rsync's delta transfer against the partial file); files already complete are skipped by
rsync's quick check (size + mtime). A file whose content differs while size and mtime agree
is found only by the manifest; ``repair`` re-sends exactly the listed paths with ``--checksum``.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from govcloud.errors import InputError
from govcloud.runbook.engine import output
from govcloud.runbook.engine.errors import StepFailed

SSH_OPTIONS: tuple[str, ...] = (
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
)
#: the ssh the source runs to reach the target (key from the forwarded agent; the target's host key
#: pinned: ``inner_ssh`` adds StrictHostKeyChecking=yes and a known_hosts file holding only the target)
INNER_SSH = "ssh -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR -o ServerAliveInterval=5"
HOST_KEY_FAILED = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED",
                   "No matching host key", "Host key for")


#: name prefixes of rsync()'s temporary files in the source's /tmp (the hop's known_hosts, a repair list)
TMP_KNOWN_HOSTS, TMP_FILES = "govcloud-known-hosts", "govcloud-files"


def inner_ssh(known_hosts_file: str) -> str:
    """The source's ssh command for rsync ``-e``: only the target's known key is accepted."""
    return (f"{INNER_SSH} -o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts_file} "
            "-o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no")


def known_host_lines(host: "Endpoint") -> str:
    """The known_hosts lines that hold ``host``'s keys under the address we connect to; refuses
    (StepFailed) when there are none: the hop is never made to an unknown key."""
    if host.known_hosts is None:
        raise StepFailed(f"host {host.name} ({host.address}): no known SSH host key: give the inventory "
                         "`govcloud_known_hosts` (a known_hosts file with the hosts' keys; a lab writes one)")
    r = subprocess.run(["ssh-keygen", "-F", host.address, "-f", str(host.known_hosts)], capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise StepFailed(f"host {host.name} ({host.address}): no host key for {host.address} in {host.known_hosts}")
    return "\n".join(lines) + "\n"


EXIT_MARKER = "GOVCLOUD-RSYNC-EXIT="
#: the forwarded key is only needed while the source's ssh connects to the target
KEY_LIFETIME_S = 600

#: runs on the host holding the files (``python3 -c``): see remote_manifest.py
MANIFEST_SCRIPT = (Path(__file__).with_name("remote_manifest.py")).read_text(encoding="utf-8")


def _pdeathsig() -> None:  # pragma: no cover - runs in the child
    """Die with the parent: a SIGKILLed runbook must not leave a transfer running behind it."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass(frozen=True)
class Endpoint:
    """How the controller reaches one host over SSH."""

    name: str
    address: str
    user: str
    key: Path | None = None
    known_hosts: Path | None = None  # pins the host's SSH key (controller to host, and the source's hop to it)

    def ssh(self, *extra: str) -> list[str]:
        key = ["-i", str(self.key)] if self.key else []
        opts = list(SSH_OPTIONS)
        if self.known_hosts is not None:
            opts[opts.index("StrictHostKeyChecking=no")] = "StrictHostKeyChecking=yes"
            opts[opts.index("UserKnownHostsFile=/dev/null")] = f"UserKnownHostsFile={self.known_hosts}"
            opts += ["-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no"]
        return ["ssh", *key, *opts, *extra, f"{self.user}@{self.address}"]

    def run(self, command: str, *, input_text: str | None = None, timeout: float = 600,
            what: str = "") -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the host; an SSH failure names host, address and what was being done."""
        try:
            proc = subprocess.run([*self.ssh(), command], input=input_text, capture_output=True, text=True,
                                  timeout=timeout, stdin=None if input_text is not None else subprocess.DEVNULL,
                                  preexec_fn=_pdeathsig)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"host {self.name} ({self.address}): timed out after {timeout:.0f} s {what}") from None
        if proc.returncode == 255 and any(m in proc.stderr for m in HOST_KEY_FAILED):
            raise StepFailed(f"host {self.name} ({self.address}): SSH host key is not the known one "
                             f"({self.known_hosts}): refused {what}")
        if proc.returncode == 255:
            raise StepFailed(f"host {self.name} ({self.address}) unreachable over SSH {what}: "
                             f"{proc.stderr.strip()[-300:] or 'ssh exited 255'}")
        return proc


def inventory_endpoints(inventory: Path) -> dict[str, Endpoint]:
    """Hosts of an Ansible YAML inventory (e.g. a lab's ``inventory.yml``) as endpoints."""
    from govcloud.yamldoc import load_yaml

    doc = load_yaml(inventory, tags=frozenset({"!vault"})).data
    if not isinstance(doc, dict) or not isinstance(doc.get("all"), dict):
        raise InputError.one(inventory, "all", "expected an Ansible YAML inventory with an `all` group")
    out: dict[str, Endpoint] = {}

    def walk(group: dict[str, Any], inherited: dict[str, Any]) -> None:
        gvars = {**inherited, **(group.get("vars") or {})}
        for name, hv in (group.get("hosts") or {}).items():
            v = {**gvars, **(hv or {})}
            prev = out.get(name)
            key = v.get("ansible_ssh_private_key_file")
            known = v.get("govcloud_known_hosts")
            out[name] = Endpoint(name, str(v.get("ansible_host", prev.address if prev else name)),
                                 str(v.get("ansible_user", prev.user if prev else "root")),
                                 Path(key) if key else (prev.key if prev else None),
                                 Path(known) if known else (prev.known_hosts if prev else None))
        for child in (group.get("children") or {}).values():
            walk(child or {}, gvars)

    walk(doc["all"], {})
    return out


# ------------------------------------------------------------------ manifests
@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """Every regular file under ``root`` on ``host``: relative path, size, SHA-256."""

    host: str
    root: str
    files: tuple[FileEntry, ...]
    made_at: str = ""
    hashing: dict[str, Any] = field(default_factory=dict, compare=False)  # how it was made (remote_manifest.py)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "govcloud/transfer-manifest", "version": 1, "host": self.host, "root": self.root,
                "made_at": self.made_at, "count": len(self.files), "total_bytes": self.total_bytes,
                "hashing": self.hashing, "files": [asdict(f) for f in self.files]}

    def write(self, path: Path) -> Path:
        return output.write_json(path, self.to_dict(), indent=1)  # indent 1: the format manifests always had

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        """A manifest written by ``write``; each file's path must stay under ``root`` (relative, no
        ``..``): it becomes an rsync file list on the host."""
        from govcloud.jsondoc import load_json

        d = load_json(path)
        try:
            m = cls(d["host"], d["root"], tuple(FileEntry(**f) for f in d["files"]), d.get("made_at", ""),
                    d.get("hashing", {}))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError.one(path, "", f"expected a govcloud transfer manifest ({exc})") from None
        for i, f in enumerate(m.files):
            parts = PurePosixPath(str(f.path)).parts
            if not parts or parts[0] == "/" or ".." in parts or "\x00" in str(f.path):
                raise InputError.one(path, f"files[{i}].path", f"expected a path relative to {m.root} that stays "
                                                               f"under it, got {f.path!r}")
        return m


def _manifest_command(root: str, mode: str, workers: int, become: bool) -> str:
    sudo = "sudo -n " if become else ""
    return f"{sudo}python3 -c {shlex.quote(MANIFEST_SCRIPT)} {shlex.quote(root)} {mode} {int(workers)}"


def _parse_manifest(host: Endpoint, root: str, stdout: str) -> Manifest:
    d = json.loads(stdout)
    return Manifest(host.name, root, tuple(FileEntry(**f) for f in d["files"]),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), d.get("hashing", {}))


def make_manifest(host: Endpoint, root: str, *, become: bool = True, workers: int = 0) -> Manifest:
    """Hash every file under ``root`` *on the host* (python3 there; nothing is copied off it),
    ``workers`` processes in parallel (0: one per CPU of the host)."""
    proc = host.run(_manifest_command(root, "once", workers, become), what=f"making the manifest of {root}")
    if proc.returncode != 0:
        raise StepFailed(f"host {host.name}: manifest of {root} failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return _parse_manifest(host, root, proc.stdout)


class StreamingManifest:
    """The target's manifest made while rsync writes: a ``watch`` process on the target hashes each
    file once rsync has renamed it into place; ``finish`` ends it with a final pass that hashes again
    every file new or changed since (inode, size, mtime, ctime), so the manifest is as complete as
    one made after the transfer (remote_manifest.py says how)."""

    def __init__(self, host: Endpoint, root: str, *, become: bool = True, workers: int = 0):
        self.host, self.root = host, root
        self.proc = subprocess.Popen([*host.ssh(), _manifest_command(root, "watch", workers, become)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=_pdeathsig)

    def finish(self, timeout: float = 3600) -> Manifest:
        try:
            out, err = self.proc.communicate("done\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.abort()
            raise StepFailed(f"host {self.host.name}: manifest of {self.root} timed out after {timeout:.0f} s") from None
        if self.proc.returncode == 255:
            raise StepFailed(f"host {self.host.name} ({self.host.address}) unreachable over SSH (target manifest): "
                             f"{err.strip()[-300:]}")
        if self.proc.returncode != 0:
            raise StepFailed(f"host {self.host.name}: manifest of {self.root} failed (exit {self.proc.returncode}): "
                             f"{err.strip()[-300:]}")
        return _parse_manifest(self.host, self.root, out)

    def abort(self) -> None:
        """Stop hashing (stdin closed without ``done``: the watcher exits without a final pass)."""
        if self.proc.poll() is None:
            try:
                self.proc.communicate("", timeout=30)
            except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
                self.proc.kill()
                self.proc.wait()


@dataclass(frozen=True)
class Difference:
    path: str
    problem: str  # missing | size | sha256 | extra
    expected: str
    actual: str

    def __str__(self) -> str:
        if self.problem == "missing":
            return f"{self.path}: missing at the target"
        if self.problem == "extra":
            return f"{self.path}: at the target only"
        return f"{self.path}: {self.problem} differs (source {self.expected}, target {self.actual})"


def compare(source: Manifest, target: Manifest) -> list[Difference]:
    """What the target lacks or holds differently; files only at the target are listed as ``extra``."""
    got = {f.path: f for f in target.files}
    diffs = []
    for f in source.files:
        t = got.pop(f.path, None)
        if t is None:
            diffs.append(Difference(f.path, "missing", str(f.size), "-"))
        elif t.size != f.size:
            diffs.append(Difference(f.path, "size", str(f.size), str(t.size)))
        elif t.sha256 != f.sha256:
            diffs.append(Difference(f.path, "sha256", f.sha256[:16], t.sha256[:16]))
    diffs += [Difference(p, "extra", "-", str(t.size)) for p, t in sorted(got.items())]
    return diffs


def blocking(diffs: Iterable[Difference]) -> list[Difference]:
    """Differences that fail verification (a file only at the target does not)."""
    return [d for d in diffs if d.problem != "extra"]


# ---------------------------------------------------------------------- rsync
@dataclass(frozen=True)
class RsyncStats:
    """What one rsync run moved (its ``--stats`` and ``--itemize-changes`` output)."""

    exit_code: int
    files_transferred: int
    literal_bytes: int  # bytes of file data actually sent
    matched_bytes: int  # bytes reconstructed from what the target already had (e.g. a partial file)
    bytes_sent: int  # everything on the wire from the source, protocol included
    total_size: int
    seconds: float
    changed: tuple[str, ...] = field(default=())  # paths rsync sent (itemized)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["changed"] = list(self.changed[:200])
        d["changed_count"] = len(self.changed)
        return d


_STAT = {
    "files_transferred": re.compile(r"Number of regular files transferred: ([\d,]+)"),
    "literal_bytes": re.compile(r"Literal data: ([\d,]+)"),
    "matched_bytes": re.compile(r"Matched data: ([\d,]+)"),
    "bytes_sent": re.compile(r"Total bytes sent: ([\d,]+)"),
    "total_size": re.compile(r"Total file size: ([\d,]+)"),
}
_ITEM = re.compile(r"^[<>]f\S{9,10} (.+)$")


def parse_stats(output: str, exit_code: int, seconds: float) -> RsyncStats:
    text = output.replace("\r", "")
    vals = {}
    for k, rx in _STAT.items():
        m = rx.search(text)
        vals[k] = int(m.group(1).replace(",", "")) if m else 0
    changed = tuple(m.group(1) for line in text.splitlines() if (m := _ITEM.match(line)))
    return RsyncStats(exit_code, seconds=round(seconds, 3), changed=changed, **vals)


class Agent:
    """A private ssh-agent holding the controller's key, for forwarding to the source only."""

    def __init__(self, key: Path | None):
        for stale in Path(tempfile.gettempdir()).glob("govcloud-agent-*"):
            try:
                stale.rmdir()  # only an empty one: its agent died with a killed run; a live one holds its socket
            except OSError:
                pass
        self.dir = Path(tempfile.mkdtemp(prefix="govcloud-agent-"))
        self.sock = self.dir / "agent.sock"
        # Debian's ssh-agent is setgid, so the kernel drops a parent-death signal set for it: a
        # small sh (which keeps it) owns the agent and kills it when this process dies, even by SIGKILL
        self.proc = subprocess.Popen(
            ["sh", "-c", 'ssh-agent -D -a "$1" & a=$!; trap \'kill $a; exit 0\' TERM HUP INT; wait $a', "sh",
             str(self.sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_pdeathsig)
        deadline = time.monotonic() + 5
        while not self.sock.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise StepFailed("could not start ssh-agent for the transfer")
            time.sleep(0.02)
        if key is not None:
            # the socket file appears at bind(), a moment before the agent listens: retry a refused connection
            while True:
                r = subprocess.run(["ssh-add", "-q", "-t", str(KEY_LIFETIME_S), str(key)],
                                   env={**os.environ, "SSH_AUTH_SOCK": str(self.sock)}, capture_output=True, text=True)
                if r.returncode == 0:
                    break
                if "Error connecting to agent" not in r.stderr or time.monotonic() > deadline:
                    self.close()
                    raise StepFailed(f"ssh-add {key}: {r.stderr.strip()}")
                time.sleep(0.05)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        for p in (self.sock,):
            p.unlink(missing_ok=True)
        try:
            self.dir.rmdir()
        except OSError:
            pass

    def __enter__(self) -> "Agent":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rsync(source: Endpoint, target: Endpoint, src_root: str, dst_root: str, *,
          paths: Sequence[str] | None = None, checksum: bool = False, bwlimit_kbps: int | None = None,
          become: bool = True, on_line: Callable[[str], None] | None = None) -> RsyncStats:
    """rsync ``src_root/`` on ``source`` to ``dst_root/`` on ``target``, run on the source.

    ``paths`` limits it to those relative paths (``--files-from``); ``checksum`` compares
    content, not size and mtime. Exit 0 or an error naming both hosts and rsync's message.
    """
    hop_keys = known_host_lines(target)  # before anything runs: no known key, no hop
    files_from = ""
    if paths is not None:
        proc = source.run(f"f=$(mktemp /tmp/{TMP_FILES}.XXXXXX) && cat > \"$f\" && echo \"$f\"",
                          input_text="".join(p + "\n" for p in paths), what="writing the repair list")
        if proc.returncode != 0:
            raise StepFailed(f"host {source.name}: cannot write the file list: {proc.stderr.strip()}")
        files_from = proc.stdout.strip()
    # a run killed hard (SIGKILL, power) cannot remove its temporary files: first sweep ours older than
    # a day (rsync reads both when it starts, so a live run's files are never that old)
    sweep = (f"find /tmp -maxdepth 1 -user \"$(id -u)\" \\( -name '{TMP_KNOWN_HOSTS}.*' -o -name '{TMP_FILES}.*' \\) "
             "-mmin +1440 -delete 2>/dev/null; ")
    proc = source.run(sweep + f"f=$(mktemp /tmp/{TMP_KNOWN_HOSTS}.XXXXXX) && cat > \"$f\" && echo \"$f\"",
                      input_text=hop_keys, what="writing the target's known host key")
    if proc.returncode != 0:
        raise StepFailed(f"host {source.name}: cannot write the target's known host key: {proc.stderr.strip()}")
    known_file = proc.stdout.strip()
    opts = ["-a", "--partial", "--mkpath", "--numeric-ids", "--stats", "--itemize-changes", "-e", inner_ssh(known_file)]
    if checksum:
        opts.append("--checksum")
    if bwlimit_kbps:
        opts.append(f"--bwlimit={int(bwlimit_kbps)}")
    if files_from:
        opts.append(f"--files-from={files_from}")
    if become:
        opts.append("--rsync-path=sudo -n rsync")
    src = src_root.rstrip("/") + "/"
    dst = f"{target.user}@{target.address}:{dst_root.rstrip('/')}/"
    prefix = "sudo -n --preserve-env=SSH_AUTH_SOCK " if become else ""
    remote = prefix + "rsync " + " ".join(shlex.quote(o) for o in opts) + f" {shlex.quote(src)} {shlex.quote(dst)}"
    remote += f"; rc=$?; rm -f {shlex.quote(known_file)}"
    if files_from:
        remote += f"; rm -f {shlex.quote(files_from)}"
    remote += f"; echo {EXIT_MARKER}$rc; exit $rc"
    t0 = time.monotonic()
    lines: list[str] = []
    with Agent(source.key) as agent:
        # -tt: a pty, so the remote rsync gets SIGHUP if this process (and its ssh) dies
        cmd = [*source.ssh("-A", "-tt"), remote]
        proc2 = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 text=True, env={**os.environ, "SSH_AUTH_SOCK": str(agent.sock)},
                                 preexec_fn=_pdeathsig)
        assert proc2.stdout is not None
        for line in proc2.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\r\n"))
        rc = proc2.wait()
    out = "".join(lines).replace("\r", "")
    if EXIT_MARKER not in out:
        raise StepFailed(f"host {source.name} ({source.address}): the SSH session running rsync ended early "
                         f"(ssh exit {rc}): {out.strip()[-300:] or 'no output'}")
    tail = " ".join(ln for ln in out.strip().splitlines()[-6:] if EXIT_MARKER not in ln)
    if rc != 0 and any(m in out for m in HOST_KEY_FAILED):
        raise StepFailed(f"host {target.name} ({target.address}): the SSH host key it presented to {source.name} "
                         f"is not the known one ({target.known_hosts}): refused, nothing sent: {tail}")
    if rc != 0 and ("connection unexpectedly closed" in out or "ssh: connect to host" in out
                    or "Connection timed out" in out or "No route to host" in out):
        raise StepFailed(f"host {target.name} ({target.address}) unreachable from {source.name}: rsync exit {rc}: {tail}")
    if rc != 0:
        raise StepFailed(f"rsync {source.name}:{src_root} -> {target.name}:{dst_root} failed (exit {rc}): {tail}")
    return parse_stats(out, rc, time.monotonic() - t0)


def preflight(source: Endpoint, target: Endpoint, dst_root: str, needed_bytes: int, *, become: bool = True) -> None:
    """Before a byte moves: both hosts answer, both have rsync, the target has room for the data set."""
    for host in (source, target):
        r = host.run("command -v rsync", what="(preflight)", timeout=60)
        if r.returncode != 0:
            raise StepFailed(f"host {host.name}: rsync is not installed (install it first)")
    sudo = "sudo -n " if become else ""
    probe = (f"p={shlex.quote(dst_root)}; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; "
             f"{sudo}df -B1 --output=avail \"$p\" | tail -1; {sudo}du -sb {shlex.quote(dst_root)} 2>/dev/null | cut -f1")
    r = target.run(probe, what="(free space)", timeout=60)
    nums = [int(x) for x in r.stdout.split() if x.isdigit()]
    if r.returncode not in (0, 1) or not nums:
        raise StepFailed(f"host {target.name}: cannot read the free space at {dst_root}: {r.stderr.strip()}")
    avail, present = nums[0], (nums[1] if len(nums) > 1 else 0)
    if avail + present < needed_bytes:
        raise StepFailed(f"host {target.name}: {dst_root} has {avail} bytes free (+{present} already there), "
                         f"the data set needs {needed_bytes} bytes: give the target a larger data volume")


# ------------------------------------------------------------- the whole job
@dataclass(frozen=True)
class TransferReport:
    """One verified transfer: what rsync moved, what the manifest found, what was repaired."""

    source_manifest: Path
    target_manifest: Path
    rsync: RsyncStats
    differences_after_rsync: tuple[str, ...]
    repair: RsyncStats | None
    verified: bool
    remaining: tuple[str, ...]
    hashing: dict[str, Any] = field(default_factory=dict, compare=False)  # how the target was hashed

    def to_dict(self) -> dict[str, Any]:
        return {"source_manifest": str(self.source_manifest), "target_manifest": str(self.target_manifest),
                "rsync": self.rsync.to_dict(), "differences_after_rsync": list(self.differences_after_rsync[:200]),
                "repair": self.repair.to_dict() if self.repair else None, "verified": self.verified,
                "remaining": list(self.remaining[:200]), "target_hashing": self.hashing}


def verify_target(source_manifest: Manifest, target: Endpoint, dst_root: str, *, become: bool = True,
                  out: Path | None = None) -> list[Difference]:
    """Hash the target now and compare with the source manifest; the differences name each file."""
    got = make_manifest(target, dst_root, become=become)
    if out is not None:
        got.write(out)
    return compare(source_manifest, got)


def repair(source: Endpoint, target: Endpoint, src_root: str, dst_root: str, diffs: Sequence[Difference], *,
           become: bool = True) -> RsyncStats | None:
    """Re-send exactly the differing files, comparing content (``--checksum``)."""
    paths = sorted({d.path for d in blocking(diffs)})
    if not paths:
        return None
    return rsync(source, target, src_root, dst_root, paths=paths, checksum=True, become=become)


def verified_transfer(source: Endpoint, target: Endpoint, src_root: str, dst_root: str, *,
                      source_manifest: Path, target_manifest: Path, bwlimit_kbps: int | None = None,
                      become: bool = True, on_line: Callable[[str], None] | None = None,
                      stream_verify: bool = True) -> TransferReport:
    """rsync, then verify every file of the source manifest at the target; repair what differs, once.

    ``stream_verify``: the target hashes files while rsync writes them and ends with a final pass
    over every file (StreamingManifest); False hashes the whole target after rsync. Both verify
    every file; the repair is always checked by a full manifest made after it."""
    src = Manifest.read(source_manifest)
    preflight(source, target, dst_root, src.total_bytes, become=become)
    watcher = StreamingManifest(target, dst_root, become=become) if stream_verify else None
    try:
        stats = rsync(source, target, src_root, dst_root, bwlimit_kbps=bwlimit_kbps, become=become, on_line=on_line)
    except BaseException:
        if watcher is not None:
            watcher.abort()
        raise
    got = watcher.finish() if watcher is not None else make_manifest(target, dst_root, become=become)
    got.write(target_manifest)
    diffs = blocking(compare(src, got))
    fixed = None
    remaining = diffs
    if diffs:
        fixed = repair(source, target, src_root, dst_root, diffs, become=become)
        remaining = blocking(verify_target(src, target, dst_root, become=become, out=target_manifest))
    return TransferReport(source_manifest, target_manifest, stats, tuple(str(d) for d in diffs), fixed,
                          not remaining, tuple(str(d) for d in remaining), dict(got.hashing))
