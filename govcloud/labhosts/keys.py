"""SSH material: the lab's admin key (controller side) and per-host identity files."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from .run import run


def ensure_admin_key(state_dir: Path) -> Path:
    """An ed25519 key for `govadmin`, private file mode 0600; returns the private key path."""
    key = state_dir / "id_ed25519"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"govcloud-lab@{state_dir.name}",
             "-f", key])
    key.chmod(0o600)
    return key


def _uid_gid(root: Path, user: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise KeyError(f"{root}/etc/passwd has no user {user!r}")


def authorize(root: Path, user: str, public_key: str) -> None:
    """Install `public_key` as the only authorized key of `user` in the host root."""
    uid, gid = _uid_gid(root, user)
    ssh_dir = root / "home" / user / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    auth = ssh_dir / "authorized_keys"
    auth.write_text(public_key.strip() + "\n")
    auth.chmod(0o600)
    for p in (ssh_dir, auth):
        os.chown(p, uid, gid)


def host_identity(root: Path, hostname: str) -> None:
    """Per-host sshd host keys and machine-id, so hosts are distinct machines."""
    run(["ssh-keygen", "-A", "-f", root])
    (root / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    (root / "etc/hostname").write_text(hostname + "\n")


def hosts_file(entries: list[tuple[str, str]]) -> str:
    """/etc/hosts text: localhost plus every lab host (minbase ships it empty; sudo needs it)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for name, address in entries]
    return "\n".join(lines) + "\n"


def known_hosts(hosts: list[tuple[str, str, Path]]) -> str:
    """known_hosts text: each host's public host keys (read from its root, written by
    `host_identity`) under its name and address."""
    lines = []
    for name, address, root in hosts:
        for pub in sorted((root / "etc/ssh").glob("ssh_host_*_key.pub")):
            keytype, key = pub.read_text().split()[:2]
            lines.append(f"{name},{address} {keytype} {key}")
    return "\n".join(lines) + "\n"
