"""The secure erase (article 58, NIST SP 800-88 Rev. 1) on a booted host with loop-backed volumes:
refused without the court's acceptance, with an acceptance of another export and without
--confirm (volumes unchanged, byte for byte); a dry run lists every volume; killed mid-erase then
resumed, it finishes and writes each certificate once; afterwards the old key no longer opens the
LUKS2 volume and the plain volumes read back as the pattern.

The runbook is tests/runbook/data/erase-test.yaml: a stand-in export step (writes
export/manifest.json as verified evidence) and the erase step wired as in exit.yaml.
Device-mapper is absent here, so the LUKS2 volume is never opened (TEST-HOSTS.md): its proof is
`cryptsetup open --test-passphrase`.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from govcloud.labhosts import Lab
from govcloud.labhosts.volumes import Volume
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.journal import sha256_file as _sha256
from govcloud.runbook.steps.erase import load_volumes, luks_state, run_phase, vault_password_file

from . import erasekit

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "tests" / "runbook" / "data" / "erase-test.yaml"
HOST, SYSTEM = "er-app-01", "case-mgmt"
LUKS_KEY = "erase-test-passphrase-1"
PATTERN = 0xA5


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


@pytest.fixture(scope="module")
def elab(module_lab_factory) -> Iterator[Lab]:
    lab = module_lab_factory(names=[HOST])
    lab.ssh(HOST, "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q cryptsetup-bin >/dev/null",
            timeout=300)
    yield lab


@dataclass
class Setup:
    lab: Lab
    volumes: dict[str, Volume]  # volume id -> loop volume
    volumes_file: Path
    dir: Path

    def params(self, acceptance: Path, confirm: str = SYSTEM) -> list[str]:
        out = []
        for k, v in (("system", SYSTEM), ("inventory", self.lab.state_dir / "inventory.yml"),
                     ("volumes", self.volumes_file), ("acceptance", acceptance), ("confirm", confirm)):
            out += ["--param", f"{k}={v}"]
        return out


def digests(s: Setup) -> dict[str, str]:
    """SHA-256 of each volume's backing file, read on the controller: what any erase would change."""
    return {vid: _sha256(v.backing) for vid, v in s.volumes.items()}


def key_opens(s: Setup, vid: str = "crypt") -> bool:
    return erasekit.key_opens(s.lab, HOST, s.volumes[vid].device, LUKS_KEY)


def prepare(lab: Lab, d: Path) -> Setup:
    """Three fresh volumes: plain (random data), LUKS2 (formatted with LUKS_KEY), plain (random data);
    the key in an ansible-vault encrypted file, the vault password in a file beside it."""
    d.mkdir(parents=True, exist_ok=True)
    vols = {"data": lab.attach_volume(HOST, 12), "crypt": lab.attach_volume(HOST, 32),
            "logs": lab.attach_volume(HOST, 8)}
    for vid in ("data", "logs"):
        lab.ssh(HOST, f"sudo -n dd if=/dev/urandom of={vols[vid].device} bs=1M count={vols[vid].size_mb} "
                      "status=none conv=fsync")
    erasekit.luks_format(lab, HOST, vols["crypt"].device, LUKS_KEY)
    erasekit.vault_key(d, password="erase-test-vault-password", password_file="vault-pw", key_file="crypt-key.yml",
                       var="crypt_key", key=LUKS_KEY)
    doc = {"kind": "govcloud/erase-volumes", "version": 1, "system": SYSTEM, "vault_password_file": "vault-pw",
           "operator": {"name": "Test Operator", "title": "operations engineer", "organisation": "Capinfo Cloud (test)"},
           "validator": {"name": "Test Validator", "organisation": "Beijing High People's Court (test)"},
           "destination": "returned to the provider's storage pool (external reuse)",
           "hosts": {HOST: [
               {"id": "data", "device": vols["data"].device, "kind": "plain", "pattern": f"{PATTERN:02x}"},
               {"id": "crypt", "device": vols["crypt"].device, "kind": "luks2",
                "key": {"vault_file": "crypt-key.yml", "var": "crypt_key"}, "serial": "test-crypt-0001"},
               {"id": "logs", "device": vols["logs"].device, "kind": "plain", "pattern": f"{PATTERN:02x}"}]}}
    vf = d / "volumes.yml"
    vf.write_text(yaml.safe_dump(doc, sort_keys=False))
    s = Setup(lab, vols, vf, d)
    assert key_opens(s), "the LUKS2 test volume does not open with its key before the test"
    return s


def cli(*args: str, run_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir",
                           str(run_dir), *args], capture_output=True, text=True, cwd=REPO, timeout=900,
                          env={**os.environ, "COLUMNS": "400"})


def accept(path: Path, digest: str) -> Path:
    return erasekit.write_acceptance(path, system=SYSTEM, digest=digest, name="Test Judge",
                                     accepted_at="2026-06-02T10:30:00+08:00")


def refusals(run_dir: Path) -> list[str]:
    return [" ".join(r["reasons"]) for r in read_journal(run_dir).records if r["event"] == "erase-refused"]


def test_erase_refused_without_acceptance_mismatch_or_confirm(elab, tmp_path):
    s = prepare(elab, tmp_path / "in")
    before = digests(s)
    acc = tmp_path / "acceptance.json"

    # 1. no acceptance yet: exit 1, the journal says why, nothing erased
    run_a = tmp_path / "run-a"
    p = cli(*s.params(acc), run_dir=run_a)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "not accepted the export yet" in refusals(run_a)[-1]
    st = step_states(read_journal(run_a).records)
    assert st["export"]["state"] == "verified" and st["erase"]["state"] == "failed"
    assert "nothing erased" in st["erase"]["detail"]["error"]

    # 2. an acceptance whose digest is another export's: refused
    accept(acc, hashlib.sha256(b"another export").hexdigest())
    p = cli(*s.params(acc), "--resume", run_dir=run_a)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "the court accepted another export" in refusals(run_a)[-1]

    # 3. the right acceptance but no --confirm (own run: the params differ): refused
    digest = _sha256(run_a / "export" / "manifest.json")
    accept(acc, digest)
    run_b = tmp_path / "run-b"
    p = cli(*s.params(acc, confirm=""), run_dir=run_b)
    assert p.returncode == 1, p.stdout + p.stderr
    assert refusals(run_b)[-1].startswith(f"no --confirm {SYSTEM}")
    # ... or a --confirm naming another system
    run_c = tmp_path / "run-c"
    p = cli(*s.params(acc, confirm="other-system"), run_dir=run_c)
    assert p.returncode == 1 and "--confirm must name the system" in refusals(run_c)[-1]

    # 4. a dry run with everything in place lists every volume and how; touches nothing
    run_d = tmp_path / "run-d"
    p = cli(*s.params(acc), "--dry-run", run_dir=run_d)
    assert p.returncode == 0, p.stdout + p.stderr
    for vid, v in s.volumes.items():
        assert f"{HOST}:{v.device} ({vid}, {'luks2' if vid == 'crypt' else 'plain'})" in p.stdout, p.stdout
    assert "luksErase" in p.stdout and "0xa5" in p.stdout
    assert not run_d.exists()

    # 5. the erase playbook in Ansible's check mode: it inspects, reports, and changes nothing
    vf = load_volumes(s.volumes_file)
    for vol in vf.volumes[:2]:
        res = run_phase(vol, "sanitize", inventory=elab.state_dir / "inventory.yml", private_dir=tmp_path / "check",
                        vault_pw=vault_password_file(vf), check=True)
        assert res["check_mode"] in (True, "True") and res["kind"] == vol.kind
        if vol.kind == "luks2":
            assert luks_state(res)["key_opens"] and luks_state(res)["keyslots"] == 1
        else:
            assert "written" not in res

    # nothing lost: every volume byte for byte as before, the key still opens the LUKS2 volume
    for run in (run_a, run_b, run_c):
        assert not (run / "erase").exists()
    assert digests(s) == before
    assert key_opens(s)


def _wait_for(run_dir: Path, pred, timeout: float, proc: subprocess.Popen) -> list[dict]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (run_dir / "journal.jsonl").exists():
            recs = list(read_journal(run_dir).records)
            if pred(recs):
                return recs
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before the kill point")
        time.sleep(0.1)
    raise AssertionError("kill point not reached in time")


def test_erase_killed_midway_then_resumed_certifies_each_volume_once(elab, tmp_path):
    s = prepare(elab, tmp_path / "in")
    before = digests(s)
    acc = tmp_path / "acceptance.json"
    run = tmp_path / "run"
    p = cli(*s.params(acc), run_dir=run)  # exports, then refused: the court has not accepted yet
    assert p.returncode == 1 and digests(s) == before
    accept(acc, _sha256(run / "export" / "manifest.json"))

    # resume, and SIGKILL the runbook process (and its ansible-playbook children) while the
    # LUKS2 volume is being erased: the first volume is certified, the second is not
    proc = subprocess.Popen([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir",
                             str(run), *s.params(acc), "--resume"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(run, lambda recs: any(r["event"] == "erase-volume" and r.get("volume") == "crypt" for r in recs),
                  600, proc)
        time.sleep(1.0)  # inside the sanitize playbook run of the LUKS2 volume
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    certs = run / "erase" / "certificates"
    assert (certs / "data.json").exists() and not (certs / "crypt.json").exists()
    assert [r for r in read_journal(run).records if r["event"] == "run-start"][-1]  # killed: no run-end after it
    assert read_journal(run).records[-1]["event"] != "run-end"
    first = (certs / "data.json").read_bytes()
    first_stat = (certs / "data.json").stat()

    p = cli(*s.params(acc), "--resume", run_dir=run)
    assert p.returncode == 0, p.stdout + p.stderr
    recs = read_journal(run).records
    st = step_states(recs)
    assert st["erase"]["state"] == "verified"

    # each certificate written exactly once over both attempts; the first untouched by the resume
    written = [r["volume"] for r in recs if r["event"] == "erase-certificate"]
    assert sorted(written) == ["crypt", "data", "logs"], written
    assert (certs / "data.json").read_bytes() == first
    assert (certs / "data.json").stat().st_ino == first_stat.st_ino
    assert (certs / "data.json").stat().st_mtime_ns == first_stat.st_mtime_ns
    tried = [r["volume"] for r in recs if r["event"] == "erase-volume"]
    assert tried.count("data") == 1 and tried.count("crypt") == 2 and tried.count("logs") == 1, tried

    # the proof, checked independently of the runbook:
    # the old key no longer opens the LUKS2 volume (it did before: prepare() asserted it)
    assert not key_opens(s)
    dump = elab.ssh(HOST, f"sudo -n /sbin/cryptsetup luksDump {s.volumes['crypt'].device}").stdout
    assert "Keyslots:\nTokens:" in dump.replace("\t", ""), dump
    # the plain volumes read back as the pattern, every byte (the backing files, read on the controller)
    for vid in ("data", "logs"):
        raw = Path(s.volumes[vid].backing).read_bytes()
        assert len(raw) == s.volumes[vid].size_mb << 20 and raw.count(PATTERN) == len(raw), vid
    assert digests(s)["crypt"] != before["crypt"]

    # the certificates name each volume, with Appendix G's method, tool and verification
    for vid, v in s.volumes.items():
        cert = json.loads((certs / f"{vid}.json").read_text())
        assert (cert["media"]["volume_id"], cert["media"]["host"], cert["media"]["device"]) == (vid, HOST, v.device)
        assert cert["system"] == SYSTEM and cert["person_performing"]["name"] == "Test Operator"
        assert cert["export"]["manifest_sha256"] == _sha256(run / "export" / "manifest.json")
        html = (certs / f"{vid}.html").read_text()
        assert v.device in html and vid in html
        if vid == "crypt":
            assert (cert["sanitization"]["method"], cert["sanitization"]["technique"]) == ("Purge", "cryptographic erase")
            assert cert["sanitization"]["tool"].startswith("cryptsetup 2.")
            assert cert["media"]["serial"] == "test-crypt-0001" and cert["media"]["size_bytes"] == 32 << 20
            proof = json.loads((run / cert["proof"]["before"]["path"]).read_text())["state"]
            after = json.loads((run / cert["proof"]["after"]["path"]).read_text())["state"]
            assert proof["key_opens"] and proof["keyslots"] == 1
            assert not after["key_opens"] and after["keyslots"] == 0 and after["key_test_exit"] != 0
        else:
            assert (cert["sanitization"]["method"], cert["verification"]["method"]) == ("Clear", "full")
            assert cert["media"]["size_bytes"] == v.size_mb << 20
            assert hashlib.sha256(bytes([PATTERN]) * (v.size_mb << 20)).hexdigest() in cert["verification"]["details"]
    # the key never reached the run directory
    for f in run.rglob("*"):
        if f.is_file():
            assert LUKS_KEY.encode() not in f.read_bytes(), f


def test_an_overwrite_outlives_its_run_and_the_resume_waits_for_it(elab, tmp_path):
    """A plain volume's Clear runs as a transient systemd unit on the host: SIGKILL the runbook in the
    middle of the overwrite and the unit keeps writing; `--resume` waits for that same overwrite
    (started once, `attached` in the proof) instead of starting again, and certifies the volume."""
    s = prepare(elab, tmp_path / "in")
    doc = yaml.safe_load(s.volumes_file.read_text())
    doc["hosts"][HOST][0]["rate_mib_s"] = 2  # "data", 12 MiB: ~6 s of writing, ~6 s of reading back
    s.volumes_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    acc, run = tmp_path / "acceptance.json", tmp_path / "run"
    assert cli(*s.params(acc), run_dir=run).returncode == 1  # exported; refused until the court accepts
    accept(acc, _sha256(run / "export" / "manifest.json"))
    state_file, unit = "/var/lib/govcloud/erase/data.json", "govcloud-erase-data.service"

    def host_state() -> dict:
        out = elab.ssh(HOST, f"sudo cat {state_file}", check=False).stdout
        return json.loads(out) if out.strip() else {}

    proc = subprocess.Popen([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir",
                             str(run), *s.params(acc), "--resume"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (host_state().get("phase") == "write" and host_state().get("done_bytes", 0) > 0):
            assert proc.poll() is None and time.monotonic() < deadline, "the overwrite did not start"
            time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seen = host_state()
    assert elab.ssh(HOST, f"systemctl is-active {unit}", check=False).stdout.strip() == "active", \
        "the overwrite stopped with the run that started it"
    # ansible-runner gave the playbook a session of its own: it stops waiting once the run is gone
    deadline = time.monotonic() + 30
    while subprocess.run(["pgrep", "-f", str(run / "ansible" / "erase")], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the killed run's erase playbook is still waiting"
        time.sleep(0.5)
    assert not (run / "erase" / "certificates" / "data.json").exists()

    p = cli(*s.params(acc), "--resume", run_dir=run)
    assert p.returncode == 0, p.stdout + p.stderr
    after = json.loads((run / "erase" / "proof" / "data" / "after.json").read_text())["state"]
    assert after["started"] == seen["started"] and after["attached"] is True, (after, seen)
    assert after["written"] == after["verified"] == after["size"] == 12 << 20 and after["mismatched"] == 0
    raw = Path(s.volumes["data"].backing).read_bytes()
    assert raw.count(PATTERN) == len(raw) == 12 << 20
    recs = read_journal(run).records
    assert [r["volume"] for r in recs if r["event"] == "erase-certificate"].count("data") == 1
