"""What the erase and exit host tests both set up: a LUKS2 test volume, its key under Ansible Vault,
and the court's acceptance file (the format of schemas/exit-acceptance.schema.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from govcloud.labhosts import Lab


def luks_format(lab: Lab, host: str, device: str, key: str) -> None:
    """LUKS2 on ``device`` inside ``host`` (cheap PBKDF: a test volume); never opened (no device-mapper)."""
    lab.ssh(host, f"sudo -n /sbin/cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 "
                  f"--pbkdf-force-iterations 1000 --key-file=- {device}", input_text=key)


def key_opens(lab: Lab, host: str, device: str, key: str) -> bool:
    """Whether ``key`` still opens the LUKS volume (`cryptsetup open --test-passphrase`)."""
    r = lab.ssh(host, f"sudo -n /sbin/cryptsetup open --test-passphrase --key-file=- {device}",
                input_text=key, check=False)
    return r.returncode == 0


def vault_key(directory: Path, *, password: str, password_file: str, key_file: str, var: str, key: str) -> Path:
    """The vault password file (0600) and ``{var: key}`` in an ansible-vault encrypted file; returns the latter."""
    directory.mkdir(parents=True, exist_ok=True)
    pw = directory / password_file
    pw.write_text(password + "\n")
    pw.chmod(0o600)
    out = directory / key_file
    out.write_text(yaml.safe_dump({var: key}))
    subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "encrypt", "--vault-password-file",
                    str(pw), str(out)], check=True, capture_output=True)
    assert out.read_bytes().startswith(b"$ANSIBLE_VAULT;")
    return out


def write_acceptance(path: Path, *, system: str, digest: str, name: str, accepted_at: str) -> Path:
    """The court's acceptance of the export whose manifest has SHA-256 ``digest``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"kind": "govcloud/exit-acceptance", "version": 1, "contract": "2025095",
                                "system": system, "manifest_sha256": digest,
                                "accepted_by": {"name": name, "organisation": "北京市高级人民法院"},
                                "accepted_at": accepted_at}, ensure_ascii=False))
    return path
