"""Every refusal of the secure erase (erase-volume.yml and govcloud/runbook/erase*.py), proven on a
booted host with real loop volumes: a mounted device (in the host, and claimed where the host cannot
see it), a path that is not a block device (a regular file, a directory, a missing path), a device
the volumes file does not list (a symlink to another device, another device under the inspected
name, an edited volumes file on resume, one device listed twice), a LUKS2 key that does not open the
volume, a wrong Ansible Vault password and a wrong vault variable name.

Each case runs the erase runbook (tests/runbook/data/erase-test.yaml) with the gate open (export
verified, the court's acceptance of it, --confirm) and a volumes file that lists a good plain volume
first and then the faulty one. Each must refuse before a single byte of any volume is written: the
SHA-256 of every loop device's backing file, read on the controller, is the same after as before;
the runbook exits 1; the journal's erase step is failed with a message naming the volume and the
reason; no overwrite or luksErase was started (no `erase-volume` record) and no certificate exists.
The playbook's own refusals (a wrong key, a wrong vault password or variable) are also run
directly, without the controller's checks in front of them.

One lab (one host) serves every case: the volumes are attached once, each case sets up and undoes
only its own fault.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from govcloud.labhosts import Lab
from govcloud.labhosts.volumes import Volume
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.journal import read_journal, sha256_file, step_states
from govcloud.runbook.steps.erase import load_volumes, run_phase

from . import erasekit

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "tests" / "runbook" / "data" / "erase-test.yaml"
HOST, SYSTEM = "rf-app-01", "case-mgmt"
LUKS_KEY = "refusal-test-passphrase-1"
VAULT_PW = "refusal-test-vault-password"
# what the runbook's stand-in export step writes (file.write of {system, files: []}): its digest is
# what the court accepts, the same in every run
MANIFEST = json.dumps({"system": SYSTEM, "files": []}, ensure_ascii=False, indent=2) + "\n"


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


@dataclass
class Rig:
    """The host and its volumes: data (plain, random), crypt (LUKS2 with LUKS_KEY), fs (plain, an
    ext4 file system to mount), spare (plain, random; listed in no volumes file)."""

    lab: Lab
    vols: dict[str, Volume]
    keys: Path  # vault password files and vaulted key files
    acceptance: Path
    initial: dict[str, str] = field(default_factory=dict)  # the digests as the fixture left the volumes

    def ssh(self, command: str, **kw) -> subprocess.CompletedProcess[str]:
        return self.lab.ssh(HOST, command, **kw)

    def digests(self) -> dict[str, str]:
        """SHA-256 of every volume's backing file, read on the controller: what any write would change."""
        return {vid: sha256_file(Path(v.backing)) for vid, v in self.vols.items()}

    def key_opens(self) -> bool:
        return erasekit.key_opens(self.lab, HOST, self.vols["crypt"].device, LUKS_KEY)

    def rdev(self, vid: str) -> tuple[int, int]:
        st = os.stat(self.vols[vid].loop)
        return os.major(st.st_rdev), os.minor(st.st_rdev)


@pytest.fixture(scope="module")
def rig(module_lab_factory) -> Iterator[Rig]:
    lab = module_lab_factory(names=[HOST])
    lab.ssh(HOST, "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q cryptsetup-bin >/dev/null",
            timeout=300)
    vols = {"data": lab.attach_volume(HOST, 4), "crypt": lab.attach_volume(HOST, 32),
            "fs": lab.attach_volume(HOST, 8), "spare": lab.attach_volume(HOST, 6)}
    for vid in ("data", "spare"):
        lab.ssh(HOST, f"sudo -n dd if=/dev/urandom of={vols[vid].device} bs=1M count={vols[vid].size_mb} "
                      "status=none conv=fsync")
    subprocess.run(["mkfs.ext4", "-q", "-F", vols["fs"].backing], check=True, capture_output=True)
    erasekit.luks_format(lab, HOST, vols["crypt"].device, LUKS_KEY)
    keys = Path(tempfile.mkdtemp(prefix="erase-refusals-", dir=lab.state_dir))
    erasekit.vault_key(keys, password=VAULT_PW, password_file="vault-pw", key_file="crypt-key.yml",
                       var="crypt_key", key=LUKS_KEY)
    erasekit.vault_key(keys, password=VAULT_PW, password_file="vault-pw", key_file="wrong-key.yml",
                       var="crypt_key", key="not-the-passphrase")
    (keys / "wrong-pw").write_text("not-the-vault-password\n")
    (keys / "wrong-pw").chmod(0o600)
    acceptance = erasekit.write_acceptance(keys / "acceptance.json", system=SYSTEM,
                                           digest=hashlib.sha256(MANIFEST.encode()).hexdigest(),
                                           name="Test Judge", accepted_at="2026-06-02T10:30:00+08:00")
    r = Rig(lab, vols, keys, acceptance)
    assert r.key_opens(), "the LUKS2 test volume does not open with its key before the tests"
    r.initial = r.digests()
    yield r


# ------------------------------------------------------------------ helpers
def volume(vid: str, device: str, kind: str = "plain", **more) -> dict:
    doc = {"id": vid, "device": device, "kind": kind, **more}
    if kind == "luks2":
        doc.setdefault("key", {"vault_file": "crypt-key.yml", "var": "crypt_key"})
    return doc


def volumes_file(rig: Rig, d: Path, vols: list[dict], *, vault_password_file: str = "vault-pw") -> Path:
    """A volumes file in ``d`` (beside copies of the key files) listing ``vols`` on the host."""
    d.mkdir(parents=True, exist_ok=True)
    for f in ("vault-pw", "wrong-pw", "crypt-key.yml", "wrong-key.yml"):
        shutil.copy2(rig.keys / f, d / f)
    doc = {"kind": "govcloud/erase-volumes", "version": 1, "system": SYSTEM,
           "vault_password_file": vault_password_file,
           "operator": {"name": "Test Operator", "organisation": "Capinfo Cloud (test)"},
           "destination": "returned to the provider's storage pool (external reuse)",
           "hosts": {HOST: vols}}
    out = d / "volumes.yml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def run_erase(rig: Rig, vf: Path, run_dir: Path, *more: str) -> subprocess.CompletedProcess[str]:
    params: list[str] = []
    for k, v in (("system", SYSTEM), ("inventory", rig.lab.state_dir / "inventory.yml"), ("volumes", vf),
                 ("acceptance", rig.acceptance), ("confirm", SYSTEM)):
        params += ["--param", f"{k}={v}"]
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_VAULT_PASSWORD_FILE"}
    return subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir",
                           str(run_dir), *params, *more], capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**env, "COLUMNS": "400"})


def host_sha(rig: Rig, path: str) -> str:
    return rig.ssh(f"sudo -n sha256sum {path}").stdout.split()[0]


@dataclass
class Refused:
    """What a refused run left: its exit, the erase step's journal state and message."""

    proc: subprocess.CompletedProcess[str]
    state: str
    message: str
    records: list[dict]


def assert_refused(rig: Rig, run_dir: Path, proc: subprocess.CompletedProcess[str], before: dict[str, str],
                   vid: str, *reason: str) -> Refused:
    """Exit 1, the erase step failed naming the volume and the reason, nothing started, no
    certificate, every backing file byte for byte as before, the LUKS2 key still opening its volume."""
    out = proc.stdout + proc.stderr
    after = rig.digests()
    assert after == before, "a refused erase changed a volume"
    # and as the fixture left them: a rewrite with the same bytes by an earlier case would show here
    assert before == rig.initial, "a volume changed since the fixture set it up"
    assert rig.key_opens(), "a refused erase destroyed the LUKS2 keyslot"
    assert proc.returncode == 1, out
    assert "Traceback" not in out, out
    recs = list(read_journal(run_dir).records)
    st = step_states(recs)
    assert st["export"]["state"] == "verified", st
    assert st["erase"]["state"] in ("failed", "blocked"), st["erase"]
    detail = st["erase"]["detail"] or {}
    msg = str(detail.get("error") or detail.get("why") or "")
    assert vid in msg, msg
    for words in reason:
        assert words in msg, (words, msg)
    assert "nothing" in msg, msg  # "refused, nothing erased" / "nothing written"
    assert not [r for r in recs if r["event"] in ("erase-volume", "erase-certificate")], recs
    certs = run_dir / "erase" / "certificates"
    assert not certs.exists() or not any(certs.iterdir())
    # the record of the case (shown by `pytest -rP`)
    print(f"exit {proc.returncode}; erase step {st['erase']['state']}: {msg}")
    for v in before:
        print(f"  {v}: sha256 {before[v][:16]}… before, {after[v][:16]}… after")
    return Refused(proc, st["erase"]["state"], msg, recs)


# ------------------------------------------------------------------ the cases
@contextlib.contextmanager
def mounted_in_host(rig: Rig) -> Iterator[None]:
    rig.ssh(f"sudo -n mkdir -p /mnt/erase-fs && sudo -n mount -o ro {rig.vols['fs'].device} /mnt/erase-fs")
    try:
        yield
    finally:
        rig.ssh("sudo -n umount /mnt/erase-fs", check=False)


@contextlib.contextmanager
def mounted_outside(rig: Rig) -> Iterator[None]:
    """Mounted on the machine the host runs on: not in the host's mount table, but the kernel still
    refuses an exclusive open of the device."""
    where = Path(tempfile.mkdtemp(prefix="erase-mnt-"))
    subprocess.run(["mount", "-o", "ro", rig.vols["fs"].loop, str(where)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(where)], check=False, capture_output=True)
        where.rmdir()


@contextlib.contextmanager
def host_path(rig: Rig, command: str, path: str) -> Iterator[None]:
    rig.ssh(f"sudo -n sh -c '{command}'")
    try:
        yield
    finally:
        rig.ssh(f"sudo -n rm -rf {path}", check=False)


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    yield


@dataclass(frozen=True)
class Case:
    name: str
    vols: Callable[[Rig], list[dict]]  # the faulty volume last
    fault: Callable[[Rig], contextlib.AbstractContextManager]
    vid: str  # the volume the message must name
    reason: tuple[str, ...]
    vault_password_file: str = "vault-pw"
    host_file: str = ""  # a non-device path in the host whose content must not change


def _data(r: Rig) -> dict:
    return volume("data", r.vols["data"].device)


CASES = [
    Case("mounted-in-host", lambda r: [_data(r), volume("fs", r.vols["fs"].device)], mounted_in_host, "fs",
         ("is mounted at /mnt/erase-fs", "refuse a mounted device")),
    Case("mounted-outside-the-host", lambda r: [_data(r), volume("fs", r.vols["fs"].device)], mounted_outside, "fs",
         ("is in use", "exclusive open refused (EBUSY")),
    Case("regular-file", lambda r: [_data(r), volume("file", "/dev/erase-file")],
         lambda r: host_path(r, "head -c 65536 /dev/urandom > /dev/erase-file", "/dev/erase-file"), "file",
         ("/dev/erase-file", "is a regular file, not a block device"), host_file="/dev/erase-file"),
    Case("directory", lambda r: [_data(r), volume("dir", "/dev/erase-dir")],
         lambda r: host_path(r, "mkdir -p /dev/erase-dir", "/dev/erase-dir"), "dir",
         ("/dev/erase-dir", "is a directory, not a block device")),
    Case("missing-path", lambda r: [_data(r), volume("gone", "/dev/vdz")], lambda r: nothing(), "gone",
         ("/dev/vdz", "is missing (No such file or directory), not a block device")),
    # not in the volumes file: a name that leads to a device the file does not list
    Case("symlink-to-an-unlisted-device", lambda r: [_data(r), volume("alias", "/dev/erase-alias")],
         lambda r: host_path(r, f"ln -sf {r.vols['spare'].device} /dev/erase-alias", "/dev/erase-alias"), "alias",
         ("/dev/erase-alias", "is a symlink to /dev/vde, not a block device")),
    Case("one-device-listed-twice", lambda r: [_data(r), volume("twin", "/dev/erase-twin")],
         lambda r: host_path(r, "mknod /dev/erase-twin b {} {}".format(*r.rdev("data")), "/dev/erase-twin"), "twin",
         ("same block device", "as /dev/vdb (data)", "listed twice")),
    # a LUKS2 key that does not open the volume
    Case("luks-key-does-not-open", lambda r: [_data(r), volume("crypt", r.vols["crypt"].device, "luks2",
                                                               key={"vault_file": "wrong-key.yml", "var": "crypt_key"})],
         lambda r: nothing(), "crypt", ("the vaulted key does not open it", "key test exit")),
    # Ansible Vault: a wrong password, a wrong variable name (refused on the controller, no host asked)
    Case("wrong-vault-password", lambda r: [_data(r), volume("crypt", r.vols["crypt"].device, "luks2")],
         lambda r: nothing(), "crypt", ("hosts.rf-app-01[1].key.vault_file", "wrong-pw", "does not decrypt"),
         vault_password_file="wrong-pw"),
    Case("wrong-vault-variable", lambda r: [_data(r), volume("crypt", r.vols["crypt"].device, "luks2",
                                                             key={"vault_file": "crypt-key.yml", "var": "crypt_kye"})],
         lambda r: nothing(), "crypt", ("hosts.rf-app-01[1].key.var", "'crypt_kye'", "it holds: crypt_key")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_erase_refuses_before_any_write(rig, tmp_path, case):
    assert rig.vols["spare"].device == "/dev/vde"  # the symlink case's expected target
    vf = volumes_file(rig, tmp_path / "in", case.vols(rig), vault_password_file=case.vault_password_file)
    run_dir = tmp_path / "run"
    with case.fault(rig):
        before = rig.digests()
        file_before = host_sha(rig, case.host_file) if case.host_file else ""
        p = run_erase(rig, vf, run_dir)
        refused = assert_refused(rig, run_dir, p, before, case.vid, *case.reason)
        if case.host_file:
            assert host_sha(rig, case.host_file) == file_before
    # the refusal is the erase step's own, after the gate opened: the export was verified and accepted
    assert not [r for r in refused.records if r["event"] == "erase-refused"], refused.records
    if case.name.startswith("wrong-vault"):
        # decided on the controller: no playbook ran for any volume
        assert not (run_dir / "ansible" / "erase").exists()
    else:
        # the good volume listed first was only inspected (its before.json), never written
        assert (run_dir / "erase" / "proof" / "data" / "before.json").is_file()
        assert not (run_dir / "erase" / "proof" / "data" / "after.json").exists()


def test_another_device_under_the_inspected_name_or_an_edited_volumes_file_is_refused_on_resume(rig, tmp_path):
    """An attempt inspects `data` (before.json records its major:minor and size) and is refused on a
    later volume. Before the resume, /dev/vdb becomes another device (a renumbered or re-attached
    disk: here the node of the unlisted `spare`): refused. Then the volumes file is edited to name
    the spare device for `data`: refused too. Neither device is written."""
    vf = volumes_file(rig, tmp_path / "in", [volume("data", "/dev/vdb"), volume("later", "/dev/erase-later")])
    run_dir = tmp_path / "run"
    before = rig.digests()
    first = assert_refused(rig, run_dir, run_erase(rig, vf, run_dir), before, "later", "is missing")
    rec = json.loads((run_dir / "erase" / "proof" / "data" / "before.json").read_text())
    assert rec["device"] == "/dev/vdb" and rec["state"]["rdev"] == "{}:{}".format(*rig.rdev("data"))
    assert first.state == "failed"

    # /dev/vdb in the host is now the spare disk
    spare = "{} {}".format(*rig.rdev("spare"))
    data = "{} {}".format(*rig.rdev("data"))
    rig.ssh(f"sudo -n sh -c 'rm -f /dev/vdb && mknod /dev/vdb b {spare} && chmod 0660 /dev/vdb'")
    try:
        r = assert_refused(rig, run_dir, run_erase(rig, vf, run_dir, "--resume"), before, "data",
                           "not the device inspected before", "rdev {}:{} when inspected before, {}:{} now".format(
                               *rig.rdev("data"), *rig.rdev("spare")))
        assert "size 4194304 when inspected before, 6291456 now" in r.message
    finally:
        rig.ssh(f"sudo -n sh -c 'rm -f /dev/vdb && mknod /dev/vdb b {data} && chmod 0660 /dev/vdb'")

    # the volumes file now says data is on /dev/vde (the spare disk, which no volumes file listed)
    doc = yaml.safe_load(vf.read_text())
    doc["hosts"][HOST][0]["device"] = rig.vols["spare"].device
    vf.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert_refused(rig, run_dir, run_erase(rig, vf, run_dir, "--resume"), before, "data",
                   "not the device inspected before", "device '/dev/vdb' in before.json, '/dev/vde' in the volumes file")


def test_the_playbook_itself_refuses_a_wrong_key_password_or_variable(rig, tmp_path):
    """The same refusals one layer down, with the controller's checks out of the way: the sanitize
    phase of erase-volume.yml proves the key opens the header before luksErase, and reads the key
    only through the vault; each failure stops the play before a write."""
    inv = rig.lab.state_dir / "inventory.yml"
    crypt = rig.vols["crypt"]
    ok = load_volumes(volumes_file(rig, tmp_path / "ok", [volume("crypt", crypt.device, "luks2")]))
    inspected = run_phase(ok.volumes[0], "inspect", inventory=inv, private_dir=tmp_path / "p0",
                          vault_pw=ok.vault_password_file)
    assert int(inspected["key_test_rc"]) == 0 and inspected["rdev"] == "{}:{}".format(*rig.rdev("crypt"))
    uuid = [ln.split()[1] for ln in inspected["dump"].splitlines() if ln.startswith("UUID:")][0]
    expect = {"rdev": inspected["rdev"], "size": int(inspected["size"]), "uuid": uuid, "keyslots": 1}
    before = rig.digests()
    wrong_key = load_volumes(volumes_file(rig, tmp_path / "k", [volume(
        "crypt", crypt.device, "luks2", key={"vault_file": "wrong-key.yml", "var": "crypt_key"})]))
    wrong_pw = load_volumes(volumes_file(rig, tmp_path / "w", [volume("crypt", crypt.device, "luks2")],
                                         vault_password_file="wrong-pw"))
    wrong_var = load_volumes(volumes_file(rig, tmp_path / "v", [volume(
        "crypt", crypt.device, "luks2", key={"vault_file": "crypt-key.yml", "var": "crypt_kye"})]))
    for vf, words in ((wrong_key, ("refuse: the vaulted key does not open the volume", "does not open /dev/vdc",
                                   "exit 2", "1 keyslot(s)")),
                      (wrong_pw, ("refuse: the vault file cannot be decrypted", "could not be decrypted with the "
                                  "Ansible Vault password given")),
                      (wrong_var, ("refuse: the passphrase is not in the vault file",
                                   'no passphrase in a variable "crypt_kye"'))):
        with pytest.raises(StepFailed) as exc:
            run_phase(vf.volumes[0], "sanitize", inventory=inv, private_dir=tmp_path / "p", token="0" * 32,
                      vault_pw=vf.vault_password_file, expect=expect)
        text = str(exc.value)
        assert "(crypt) sanitize" in text and all(w in text for w in words), (words, text)
        assert "nothing written" in text and LUKS_KEY not in text and "not-the-passphrase" not in text
        assert rig.digests() == before and rig.key_opens()
    # and a header other than the one inspected (another UUID) is refused before luksErase too
    with pytest.raises(StepFailed, match="the volume inspected before was 00000000-"):
        run_phase(ok.volumes[0], "sanitize", inventory=inv, private_dir=tmp_path / "p", token="0" * 32,
                  vault_pw=ok.vault_password_file, expect={**expect, "uuid": "00000000-0000-0000-0000-000000000000"})
    assert rig.digests() == before and rig.key_opens()
