"""Verified file transfer between two hosts: rsync over SSH, host to host, checked by a SHA-256
manifest made at the source and verified at the target.

Articles 1-2 (系统迁移: a system and its data moved into the cloud), 58-59 (迁出: the exit
runbook moves data out the same way). The data flows source → target directly: the
controller runs ``rsync`` *on the source* through SSH with agent forwarding, so the
private key never leaves the controller and no key is written to any host.

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
from pathlib import Path
from typing import Any

from govcloud.errors import InputError

from .errors import StepFailed

SSH_OPTIONS: tuple[str, ...] = (
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
)
#: the ssh the source runs to reach the target (key from the forwarded agent)
INNER_SSH = ("ssh -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=no "
             "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ServerAliveInterval=5")

EXIT_MARKER = "GOVCLOUD-RSYNC-EXIT="
#: the forwarded key is only needed while the source's ssh connects to the target
KEY_LIFETIME_S = 600

MANIFEST_SCRIPT = r"""
import hashlib, json, os, sys
root = sys.argv[1]
if not os.path.isdir(root):
    sys.stderr.write("not a directory: %s\n" % root); sys.exit(3)
files = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        p = os.path.join(dirpath, name)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        files.append({"path": os.path.relpath(p, root), "size": os.path.getsize(p), "sha256": h.hexdigest()})
files.sort(key=lambda f: f["path"])
json.dump({"root": root, "files": files}, sys.stdout)
"""


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

    def ssh(self, *extra: str) -> list[str]:
        key = ["-i", str(self.key)] if self.key else []
        return ["ssh", *key, *SSH_OPTIONS, *extra, f"{self.user}@{self.address}"]

    def run(self, command: str, *, input_text: str | None = None, timeout: float = 600,
            what: str = "") -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the host; an SSH failure names host, address and what was being done."""
        try:
            proc = subprocess.run([*self.ssh(), command], input=input_text, capture_output=True, text=True,
                                  timeout=timeout, stdin=None if input_text is not None else subprocess.DEVNULL,
                                  preexec_fn=_pdeathsig)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"host {self.name} ({self.address}): timed out after {timeout:.0f} s {what}") from None
        if proc.returncode == 255:
            raise StepFailed(f"host {self.name} ({self.address}) unreachable over SSH {what}: "
                             f"{proc.stderr.strip()[-300:] or 'ssh exited 255'}")
        return proc


def inventory_endpoints(inventory: Path) -> dict[str, Endpoint]:
    """Hosts of an Ansible YAML inventory (e.g. a lab's ``inventory.yml``) as endpoints."""
    import yaml  # PyYAML ships with ansible-core

    try:
        doc = yaml.safe_load(Path(inventory).read_text())
    except FileNotFoundError:
        raise InputError.one(inventory, "", "inventory file not found") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("all"), dict):
        raise InputError.one(inventory, "all", "expected an Ansible YAML inventory with an `all` group")
    out: dict[str, Endpoint] = {}

    def walk(group: dict[str, Any], inherited: dict[str, Any]) -> None:
        gvars = {**inherited, **(group.get("vars") or {})}
        for name, hv in (group.get("hosts") or {}).items():
            v = {**gvars, **(hv or {})}
            prev = out.get(name)
            key = v.get("ansible_ssh_private_key_file")
            out[name] = Endpoint(name, str(v.get("ansible_host", prev.address if prev else name)),
                                 str(v.get("ansible_user", prev.user if prev else "root")),
                                 Path(key) if key else (prev.key if prev else None))
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

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "govcloud/transfer-manifest", "version": 1, "host": self.host, "root": self.root,
                "made_at": self.made_at, "count": len(self.files), "total_bytes": self.total_bytes,
                "files": [asdict(f) for f in self.files]}

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(d["host"], d["root"], tuple(FileEntry(**f) for f in d["files"]), d.get("made_at", ""))
        except FileNotFoundError:
            raise InputError.one(path, "", "manifest not found") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError.one(path, "", f"expected a govcloud transfer manifest ({exc})") from None


def make_manifest(host: Endpoint, root: str, *, become: bool = True) -> Manifest:
    """Hash every file under ``root`` *on the host* (python3 there; nothing is copied off it)."""
    sudo = "sudo -n " if become else ""
    proc = host.run(f"{sudo}python3 - {shlex.quote(root)}", input_text=MANIFEST_SCRIPT, what=f"making the manifest of {root}")
    if proc.returncode != 0:
        raise StepFailed(f"host {host.name}: manifest of {root} failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    d = json.loads(proc.stdout)
    return Manifest(host.name, root, tuple(FileEntry(**f) for f in d["files"]),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


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
            r = subprocess.run(["ssh-add", "-q", "-t", str(KEY_LIFETIME_S), str(key)], env={**os.environ, "SSH_AUTH_SOCK": str(self.sock)},
                               capture_output=True, text=True)
            if r.returncode != 0:
                self.close()
                raise StepFailed(f"ssh-add {key}: {r.stderr.strip()}")

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
    files_from = ""
    if paths is not None:
        proc = source.run("f=$(mktemp /tmp/govcloud-files.XXXXXX) && cat > \"$f\" && echo \"$f\"",
                          input_text="".join(p + "\n" for p in paths), what="writing the repair list")
        if proc.returncode != 0:
            raise StepFailed(f"host {source.name}: cannot write the file list: {proc.stderr.strip()}")
        files_from = proc.stdout.strip()
    opts = ["-a", "--partial", "--mkpath", "--numeric-ids", "--stats", "--itemize-changes", "-e", INNER_SSH]
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
    remote += "; rc=$?"
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

    def to_dict(self) -> dict[str, Any]:
        return {"source_manifest": str(self.source_manifest), "target_manifest": str(self.target_manifest),
                "rsync": self.rsync.to_dict(), "differences_after_rsync": list(self.differences_after_rsync[:200]),
                "repair": self.repair.to_dict() if self.repair else None, "verified": self.verified,
                "remaining": list(self.remaining[:200])}


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
                      become: bool = True, on_line: Callable[[str], None] | None = None) -> TransferReport:
    """rsync, then verify every file of the source manifest at the target; repair what differs, once."""
    src = Manifest.read(source_manifest)
    preflight(source, target, dst_root, src.total_bytes, become=become)
    stats = rsync(source, target, src_root, dst_root, bwlimit_kbps=bwlimit_kbps, become=become, on_line=on_line)
    diffs = blocking(verify_target(src, target, dst_root, become=become, out=target_manifest))
    fixed = None
    remaining = diffs
    if diffs:
        fixed = repair(source, target, src_root, dst_root, diffs, become=become)
        remaining = blocking(verify_target(src, target, dst_root, become=become, out=target_manifest))
    return TransferReport(source_manifest, target_manifest, stats, tuple(str(d) for d in diffs), fixed,
                          not remaining, tuple(str(d) for d in remaining))
