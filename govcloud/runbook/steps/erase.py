"""Secure erase of a system's data volumes at exit (article 58: once the system runs stably
elsewhere, shut the old one down and securely erase its data), per NIST SP 800-88 Rev. 1.

- LUKS2 volumes: cryptographic erase (a Purge technique): ``cryptsetup luksErase`` destroys every
  keyslot. Proof: the vaulted key opened the volume before (``open --test-passphrase`` exit 0,
  recorded before anything is touched) and no longer does after (non-zero), and the header holds
  no keyslot.
- plain volumes: Clear by overwrite: one byte pattern over the whole device, then a *full*
  read-back (no sampling) that counts every byte differing from the pattern. It runs on the host
  as a transient systemd unit tagged with this run's token, so it outlives the controller and a
  resumed run waits for it rather than starting again.

The work runs on the host through Ansible (playbooks/runbooks/erase-volume.yml, ansible-runner).
Per volume, under ``OUT``: ``proof/<id>/before.json`` (written once, before the first change),
``proof/<id>/after.json`` and ``certificates/<id>.json`` + ``.html``. A volume whose certificate
exists is never touched again, so a run killed mid-erase resumes with the volumes left.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.runbook.engine.errors import RunbookError, StepFailed
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument, format_path

SCHEMA = "erase-volumes.schema.json"
PLAYBOOK = PROJECT_ROOT / "playbooks" / "runbooks" / "erase-volume.yml"
VAULT_HEADER = b"$ANSIBLE_VAULT;"
RESULT_TASK = "article-58 | erase result"


class EraseRefused(RunbookError):
    """The erase gate does not hold (no verified export, no matching acceptance, no --confirm):
    nothing is erased; shown once by the CLI with exit 1."""


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str
    title: str = ""
    location: str = ""
    contact: str = ""


@dataclass(frozen=True)
class VaultKey:
    """Where a LUKS2 passphrase is kept: an ansible-vault encrypted vars file and the variable."""

    vault_file: Path
    var: str


@dataclass(frozen=True)
class Volume:
    host: str
    id: str
    device: str
    kind: str  # luks2 | plain
    key: VaultKey | None = None
    pattern: str = "00"
    media: tuple[tuple[str, str], ...] = ()  # media_type, make, model, serial, ... as written
    rate_mib_s: float = 0  # plain: throughput cap of the overwrite (0: none)
    at: str = ""  # where it is in the volumes file, e.g. ``hosts.app-01[1]``

    def media_field(self, name: str, default: str = "") -> str:
        return dict(self.media).get(name, default)

    def how(self) -> str:
        """One line: what sanitizing this volume does (dry run, certificate)."""
        if self.kind == "luks2":
            return ("Purge: cryptographic erase — cryptsetup luksErase destroys every LUKS2 keyslot; "
                    "proof: the vaulted key opens it before, not after")
        return f"Clear: overwrite the whole device with 0x{self.pattern}, then read all of it back"


@dataclass(frozen=True)
class VolumesFile:
    file: Path
    system: str
    operator: Person
    validator: Person | None
    destination: str
    vault_password_file: Path | None
    volumes: tuple[Volume, ...]


def _person(d: dict[str, Any] | None) -> Person | None:
    if not d:
        return None
    return Person(d["name"], d["organisation"], d.get("title", ""), d.get("location", ""), d.get("contact", ""))


def _head(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of ``path`` if it is a regular file, else None: a FIFO or a device
    named as a key file must not hang or flood the check, a name too long to look up is just absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        return os.read(fd, size) if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _semantic(doc: YamlDocument) -> list[Issue]:
    issues: list[Issue] = []
    base = Path(doc.file).parent
    seen: dict[str, str] = {}

    def issue(path: tuple, expected: str) -> None:
        issues.append(Issue(str(doc.file), format_path(path), expected, doc.line_of(path)))

    pw = doc.data.get("vault_password_file")
    if pw is not None and _head(base / pw, 0) is None:
        issue(("vault_password_file",), f"expected a vault password file; {base / pw} not found")
    for host, vols in doc.data["hosts"].items():
        devices: set[str] = set()
        for i, v in enumerate(vols):
            at = ("hosts", host, i)
            if v["id"] in seen:
                issue(at + ("id",), f"volume id '{v['id']}' is used twice (first on host {seen[v['id']]})")
            seen.setdefault(v["id"], host)
            if v["device"] in devices:
                issue(at + ("device",), f"device {v['device']} listed twice on host {host}")
            if any(part in (".", "..") for part in v["device"].split("/")[1:]) or "//" in v["device"]:
                issue(at + ("device",), f"expected the device's own path (/dev/NAME), got {v['device']!r} with "
                                        "'.', '..' or '//' in it")
            devices.add(v["device"])
            if v["kind"] == "luks2":
                if "key" not in v:
                    issue(at + ("key",), "a luks2 volume needs 'key: {vault_file, var}' (its passphrase under "
                                         "Ansible Vault): the proof of a cryptographic erase is that this key "
                                         "opened the volume before and does not after")
                else:
                    kf = base / v["key"]["vault_file"]
                    head = _head(kf, len(VAULT_HEADER))
                    if head is None:
                        issue(at + ("key", "vault_file"), f"expected an ansible-vault encrypted file; {kf} not found")
                    else:
                        if head != VAULT_HEADER:
                            issue(at + ("key", "vault_file"),
                                  f"expected an ansible-vault encrypted file, but {kf} is not encrypted "
                                  "(keys are never kept in plain text: run `ansible-vault encrypt` on it)")
                for plain_only in ("pattern", "rate_mib_s"):
                    if plain_only in v:
                        issue(at + (plain_only,), f"{plain_only} applies to plain volumes only (luks2 is crypto-erased)")
            elif "key" in v:
                issue(at + ("key",), "a key applies to luks2 volumes only")
    return issues


def load_volumes(path: str | Path) -> VolumesFile:
    """Read and check the volumes file; ``InputError`` names file, field and what was expected."""
    doc = load_checked(path, SCHEMA, semantic=_semantic)
    d = doc.data
    base = Path(doc.file).parent.resolve()
    vols: list[Volume] = []
    for host, items in d["hosts"].items():
        for i, v in enumerate(items):
            key = VaultKey((base / v["key"]["vault_file"]).resolve(), v["key"]["var"]) if "key" in v else None
            media = tuple((k, str(v[k])) for k in ("media_type", "make", "model", "serial", "property_number",
                                                   "classification", "backup") if k in v)
            vols.append(Volume(str(host), v["id"], v["device"], v["kind"], key, v.get("pattern", "00"), media,
                               float(v.get("rate_mib_s", 0)), format_path(("hosts", host, i))))
    pw = d.get("vault_password_file")
    operator = _person(d["operator"])
    assert operator is not None
    return VolumesFile(Path(doc.file), d["system"], operator, _person(d.get("validator")),
                       d.get("destination", "not recorded"), (base / pw).resolve() if pw else None, tuple(vols))


def plan_lines(vf: VolumesFile) -> list[str]:
    """What an erase would do, one line per volume (for --dry-run)."""
    return [f"{v.host}:{v.device} ({v.id}, {v.kind}) — {v.how()}" for v in vf.volumes]


def vault_password_file(vf: VolumesFile) -> Path | None:
    if vf.vault_password_file:
        return vf.vault_password_file
    env = os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    return Path(env) if env else None


def check_key(vf: VolumesFile, vol: Volume) -> None:
    """Prove on the controller, before any host is asked, that the vault password decrypts the
    volume's key file and that it holds the variable as a non-empty string; an ``InputError`` naming
    the volumes file, the field, the volume and what was expected. The key itself is never shown."""
    if vol.kind != "luks2" or vol.key is None:
        return
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultLib, get_file_vault_secret

    where = f"volume {vol.id} ({vol.host}:{vol.device})"
    pw = vault_password_file(vf)
    kf = vol.key.vault_file
    if pw is None:
        raise InputError.one(vf.file, "vault_password_file",
                             f"expected an Ansible Vault password file (here or in ANSIBLE_VAULT_PASSWORD_FILE) to "
                             f"read the key of {where}; refused, nothing erased")
    try:
        secret = get_file_vault_secret(filename=str(pw), vault_id="default", loader=DataLoader())
        secret.load()
        text = VaultLib([("default", secret)]).decrypt(kf.read_bytes())
    except (AnsibleError, OSError) as exc:
        why = "it does not decrypt it" if "Decryption failed" in str(exc) else str(exc).splitlines()[0]
        raise InputError.one(vf.file, f"{vol.at}.key.vault_file",
                             f"expected the Ansible Vault password in {pw} to decrypt {kf}, the key of {where}: "
                             f"{why}; refused, nothing erased") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        raise InputError.one(vf.file, f"{vol.at}.key.vault_file",
                             f"expected {kf} to decrypt to a YAML mapping of variables (the key of {where}); "
                             "refused, nothing erased")
    value = data.get(vol.key.var)
    if not isinstance(value, str) or not value:
        has = ", ".join(sorted(str(k) for k in data)) or "no variables"
        raise InputError.one(vf.file, f"{vol.at}.key.var",
                             f"expected a variable {vol.key.var!r} holding the passphrase of {where} in {kf} "
                             f"({'it is empty or not a string' if vol.key.var in data else 'it holds: ' + has}); "
                             "refused, nothing erased")


# ------------------------------------------------------------------ on the host, through Ansible
def poll_delay(size: int | None) -> int:
    """Seconds between looks at a running overwrite: 1 for a small volume, up to 10 (one per 2 GiB)."""
    return max(1, min(10, int(size or 0) >> 31))


def poll_retries(size: int | None, rate_mib_s: float, delay: int) -> int:
    """How many looks before the playbook stops waiting (the unit runs on; a resume waits again):
    a day, or both passes at 10 MiB/s (or the volume's lower cap) if that is longer."""
    floor = min(rate_mib_s or 10.0, 10.0) * (1 << 20)
    return -(-max(86400, int(2 * int(size or 0) / floor)) // delay)


def run_phase(vol: Volume, phase: str, *, inventory: Path, private_dir: Path, vault_pw: Path | None,
              check: bool = False, token: str = "", size: int | None = None,
              expect: dict[str, Any] | None = None,
              on_progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run erase-volume.yml for one volume and phase; the result the playbook printed.
    ``check``: Ansible's check mode (the inspection runs, nothing is changed). ``token`` names this
    run's overwrite of a plain volume (a resumed run waits for it instead of starting another);
    ``size`` (bytes, from the inspection) sets how often its progress is read, ``on_progress``
    gets a line each time it moved on by a tenth or changed pass. ``expect`` (sanitize): the device
    as inspected before (``rdev``, ``size``; LUKS2 ``uuid``, ``keyslots``): the playbook refuses
    another device, or a header the key does not open, before it writes."""
    import ansible_runner

    if vol.kind == "luks2" and vault_pw is None:
        raise StepFailed(f"{vol.id}: no Ansible Vault password file (set vault_password_file in the volumes file "
                         "or ANSIBLE_VAULT_PASSWORD_FILE): the LUKS2 key cannot be read")
    delay = poll_delay(size)
    extravars: dict[str, Any] = {"erase_host": vol.host, "erase_device": vol.device, "erase_kind": vol.kind,
                                 "erase_phase": phase, "erase_pattern": vol.pattern, "erase_volume_id": vol.id,
                                 "erase_token": token, "erase_rate_mib_s": vol.rate_mib_s, "erase_poll_delay": delay,
                                 "erase_poll_retries": poll_retries(size, vol.rate_mib_s, delay),
                                 "erase_controller_pid": os.getpid()}
    if vol.key:
        extravars.update(erase_key_file=str(vol.key.vault_file), erase_key_var=vol.key.var)
    if expect:
        extravars.update(erase_expect_rdev=str(expect.get("rdev") or ""),
                         erase_expect_size=int(expect.get("size") or 0))
        if vol.kind == "luks2":
            extravars.update(erase_luks_uuid=str(expect.get("uuid") or ""),
                             erase_luks_keyslots_before=int(expect.get("keyslots") or 0))
    private_dir.mkdir(parents=True, exist_ok=True)
    venv_bin = str(Path(sys.executable).parent)  # ansible-runner needs ansible-playbook on PATH
    r = ansible_runner.run(
        private_data_dir=str(private_dir), playbook=str(PLAYBOOK), inventory=str(inventory), limit=vol.host,
        extravars=extravars, quiet=True,
        cmdline=" ".join(([f"--vault-password-file {shlex.quote(str(vault_pw))}"] if vault_pw else []) + (["--check"] if check else []))
        or None,
        envvars={"PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_TIMEOUT": "15"},
        event_handler=_progress_handler(on_progress) if on_progress else None,
    )
    result = None
    failure = ""
    for ev in r.events:
        data = ev.get("event_data", {})
        if ev.get("event") == "runner_on_ok" and data.get("task") == RESULT_TASK:
            result = data.get("res", {}).get("erase_result")
        elif ev.get("event") in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            res = data.get("res", {})
            failure = f"task '{data.get('task')}': {res.get('msg') or res.get('stderr') or 'failed'}"
    if r.rc != 0 or not isinstance(result, dict):
        raise StepFailed(f"host {vol.host}: {vol.device} ({vol.id}) {phase}: ansible-playbook {PLAYBOOK.name} "
                         f"{r.status} (rc {r.rc}){': ' + failure if failure else ''}")
    return result


def _progress_handler(say: Callable[[str], None]) -> Callable[[dict], bool]:
    """An ansible-runner event handler: the overwrite's state file, read at each look (a retry of
    the wait task), as a line per tenth done or pass changed."""
    shown: list[tuple[str, int]] = []

    def handle(ev: dict) -> bool:
        if ev.get("event") != "runner_retry":
            return True
        lines = (ev.get("event_data", {}).get("res") or {}).get("stdout_lines") or []
        try:
            st = json.loads("\n".join(lines[1:]))
            phase, done, size = st["phase"], int(st["done_bytes"]), int(st["size"])
        except (ValueError, KeyError, TypeError):
            return True
        tenth = done * 10 // size if size else 0
        if not shown or shown[-1] != (phase, tenth):
            shown.append((phase, tenth))
            say(f"{'overwrite' if phase == 'write' else 'read-back'} {done * 100 // max(size, 1)}% "
                f"({done >> 20} of {size >> 20} MiB, {st.get('seconds', '?')} s)")
        return True

    return handle


KEYSLOT_RE = re.compile(r"^\s+(\d+): luks2\s*$", re.M)


def keyslots(dump: str) -> int:
    """Keyslots listed by ``cryptsetup luksDump`` (LUKS2 layout: ``Keyslots:`` then ``  N: luks2``)."""
    part = dump.split("Keyslots:", 1)[1] if "Keyslots:" in dump else ""
    part = re.split(r"^Tokens:", part, maxsplit=1, flags=re.M)[0]
    return len(KEYSLOT_RE.findall(part))


def luks_state(res: dict[str, Any]) -> dict[str, Any]:
    """The facts of a LUKS2 inspection the proof needs (no key material)."""
    uuid = re.search(r"^UUID:\s*(\S+)", str(res.get("dump", "")), re.M)
    return {"rdev": res.get("rdev") or None,
            "luks2_header": int(res["is_luks2_rc"]) == 0, "uuid": uuid.group(1) if uuid else None,
            "keyslots": keyslots(str(res.get("dump", ""))), "key_test_exit": int(res["key_test_rc"]),
            "key_opens": int(res["key_test_rc"]) == 0, "key_test_message": res.get("key_test_stderr", ""),
            "tool": res.get("tool", "cryptsetup"), "size": int(res["size"]) if str(res.get("size", "")).isdigit() else None}



