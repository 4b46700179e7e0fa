"""The erase inputs and records without hosts: the court's acceptance file, the volumes file
(keys only under Ansible Vault), the certificate schema and its write-once rule, the dry run's
list of volumes, and the erase refusing to run outside its gate. Host tests: test_erase_hosts.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.runbook.engine.journal import read_journal
from govcloud.runbook.steps import erase_certificate
from govcloud.runbook.steps.acceptance import load_acceptance, manifest_digest, matches
from govcloud.runbook.steps.erase import load_volumes, plan_lines
from govcloud.schemas import check_output

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "tests" / "runbook" / "data" / "erase-test.yaml"
VAULT = Path(sys.executable).parent / "ansible-vault"


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


def acceptance_doc(digest: str, **over) -> dict:
    doc = {"kind": "govcloud/exit-acceptance", "version": 1, "contract": "2025095", "system": "case-mgmt",
           "manifest_sha256": digest, "accepted_by": {"name": "赵法官", "organisation": "北京市高级人民法院"},
           "accepted_at": "2026-06-02T10:30:00+08:00"}
    doc.update(over)
    return doc


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ acceptance
def test_acceptance_matches_only_the_manifest_it_names(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(b'{"files": ["a"]}\n')
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert manifest_digest(manifest) == digest
    acc = load_acceptance(write_json(tmp_path / "acc.json", acceptance_doc(digest)))
    assert acc.accepted_by.organisation == "北京市高级人民法院" and acc.accepted_at.utcoffset().total_seconds() == 8 * 3600
    ok = matches(acc, manifest, "case-mgmt")
    assert ok.ok, ok.detail
    assert not matches(acc, manifest, "other-system").ok
    manifest.write_bytes(b'{"files": ["a", "b"]}\n')  # the export changed after acceptance
    changed = matches(acc, manifest, "case-mgmt")
    assert not changed.ok and "manifest_sha256" in changed.detail and digest in changed.detail
    assert not matches(acc, tmp_path / "missing.json", "case-mgmt").ok


@pytest.mark.parametrize(("over", "field", "words"), [
    ({"manifest_sha256": "abc"}, "manifest_sha256", "64 lower-case hex"),
    ({"accepted_at": "2026-06-02T10:30:00"}, "accepted_at", "UTC offset"),
    ({"accepted_at": "2026-13-45T10:30:00+08:00"}, "accepted_at", "real date-time"),
    ({"kind": "govcloud/other"}, "kind", "govcloud/exit-acceptance"),
    ({"accepted_by": {"name": "x"}}, "accepted_by.organisation", "missing required field"),
])
def test_acceptance_errors_name_file_and_field(tmp_path, over, field, words):
    f = write_json(tmp_path / "acc.json", acceptance_doc("0" * 64, **over))
    with pytest.raises(InputError) as exc:
        load_acceptance(f)
    text = str(exc.value)
    assert str(f) in text and field in text and words in text, text


def test_acceptance_not_json_is_an_input_error(tmp_path):
    f = tmp_path / "acc.json"
    f.write_text('{"kind": "govcloud/exit-acceptance", ', encoding="utf-8")
    with pytest.raises(InputError, match="truncated JSON"):
        load_acceptance(f)


# ------------------------------------------------------------------ volumes file
def vault_encrypt(directory: Path, name: str, text: str, password_file: Path) -> Path:
    f = directory / name
    f.write_text(text, encoding="utf-8")
    subprocess.run([str(VAULT), "encrypt", "--vault-password-file", str(password_file), str(f)], check=True,
                   capture_output=True)
    return f


def volumes_text(key_file: str = "keys/crypt.yml", extra: str = "") -> str:
    return textwrap.dedent(f"""\
        kind: govcloud/erase-volumes
        version: 1
        system: case-mgmt
        vault_password_file: vault-pw
        operator: {{name: Wang Gong, organisation: Capinfo Cloud}}
        destination: returned to the provider's storage pool
        hosts:
          app-01:
            - {{id: app-data, device: /dev/vdb, kind: plain, pattern: "a5"}}
            - {{id: app-crypt, device: /dev/vdc, kind: luks2, key: {{vault_file: {key_file}, var: luks_passphrase}}}}
        """) + extra


@pytest.fixture
def vault_dir(tmp_path) -> Path:
    (tmp_path / "keys").mkdir()
    pw = tmp_path / "vault-pw"
    pw.write_text("test-vault-password\n")
    pw.chmod(0o600)
    vault_encrypt(tmp_path / "keys", "crypt.yml", "luks_passphrase: s3cret-key\n", pw)
    return tmp_path


def test_volumes_file_loads_with_a_vaulted_key(vault_dir):
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    vf = load_volumes(f)
    assert [(v.host, v.id, v.device, v.kind) for v in vf.volumes] == [
        ("app-01", "app-data", "/dev/vdb", "plain"), ("app-01", "app-crypt", "/dev/vdc", "luks2")]
    assert vf.volumes[1].key is not None and vf.volumes[1].key.vault_file == (vault_dir / "keys/crypt.yml").resolve()
    assert vf.vault_password_file == (vault_dir / "vault-pw").resolve()
    assert (vf.volumes[0].rate_mib_s, vf.volumes[1].rate_mib_s) == (0, 0)  # no cap unless given
    assert b"s3cret-key" not in (vault_dir / "keys/crypt.yml").read_bytes()
    lines = plan_lines(vf)
    assert "app-01:/dev/vdb" in lines[0] and "0xa5" in lines[0] and "Clear" in lines[0]
    assert "app-01:/dev/vdc" in lines[1] and "luksErase" in lines[1] and "Purge" in lines[1]


@pytest.mark.parametrize(("mutate", "field", "words"), [
    (lambda t: t.replace("keys/crypt.yml", "keys/plain.yml"), "hosts.app-01[1].key.vault_file", "not encrypted"),
    (lambda t: t.replace(", key: {vault_file: keys/crypt.yml, var: luks_passphrase}", ""),
     "hosts.app-01[1].key", "Ansible Vault"),
    (lambda t: t.replace("key: {vault_file: keys/crypt.yml, var: luks_passphrase}", "passphrase: s3cret-key"),
     "hosts.app-01[1].passphrase", "unknown field"),
    (lambda t: t.replace("id: app-crypt", "id: app-data"), "hosts.app-01[1].id", "used twice"),
    (lambda t: t.replace('kind: plain, pattern: "a5"', 'kind: plain, pattern: "a5", key: {vault_file: '
                                                        'keys/crypt.yml, var: x}'),
     "hosts.app-01[0].key", "luks2 volumes only"),
    (lambda t: t.replace("var: luks_passphrase}", "var: luks_passphrase}, rate_mib_s: 50"),
     "hosts.app-01[1].rate_mib_s", "plain volumes only"),
    (lambda t: t.replace('pattern: "a5"', 'pattern: "a5", rate_mib_s: 0'), "hosts.app-01[0].rate_mib_s", "0"),
    (lambda t: t.replace("kind: plain", "kind: zeroes"), "hosts.app-01[0].kind", "luks2, plain"),
    (lambda t: t.replace("/dev/vdb", "vdb"), "hosts.app-01[0].device", "block device"),
    (lambda t: t.replace("vault_password_file: vault-pw", "vault_password_file: nope"), "vault_password_file",
     "not found"),
])
def test_volumes_file_errors_name_file_and_field(vault_dir, mutate, field, words):
    (vault_dir / "keys" / "plain.yml").write_text("luks_passphrase: s3cret-key\n")
    f = vault_dir / "volumes.yml"
    f.write_text(mutate(volumes_text()))
    with pytest.raises(InputError) as exc:
        load_volumes(f)
    text = str(exc.value)
    assert str(f) in text and field in text and words in text, text


# ------------------------------------------------------------------ certificate
def test_certificate_schema_and_write_once(vault_dir, tmp_path):
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    vf = load_volumes(f)
    plain, crypt = vf.volumes
    proof = {"before": {"path": "erase/proof/x/before.json", "sha256": "1" * 64},
             "after": {"path": "erase/proof/x/after.json", "sha256": "2" * 64}}
    after_plain = {"size": 1 << 20, "written": 1 << 20, "verified": 1 << 20, "mismatched": 0, "first_mismatch": None,
                   "sha256": "3" * 64, "pattern": "a5", "tool": "govcloud erase_overwrite.py (Python 3.11.2)"}
    cert = erase_certificate.build(vf, plain, contract="2025095", before={"at": "2026-06-03T01:00:00+00:00"},
                                   after={"state": after_plain}, proof=proof, export=None,
                                   finished="2026-06-03T01:01:00+00:00")
    assert cert["sanitization"]["method"] == "Clear" and cert["verification"]["method"] == "full"
    assert cert["media"]["device"] == "/dev/vdb" and cert["media"]["backup"]["made"] == "unknown"
    luks_before = {"luks2_header": True, "uuid": "u-1", "keyslots": 1, "key_test_exit": 0, "key_opens": True,
                   "key_test_message": "", "tool": "cryptsetup 2.6.1", "size": 33554432}
    luks_after = dict(luks_before, keyslots=0, key_test_exit=1, key_opens=False)
    c2 = erase_certificate.build(vf, crypt, contract="2025095",
                                 before={"at": "2026-06-03T01:00:00+00:00", "state": luks_before},
                                 after={"state": luks_after}, proof=proof,
                                 export={"manifest_sha256": "4" * 64, "accepted": "accepted by x"},
                                 finished="2026-06-03T01:02:00+00:00")
    assert (c2["sanitization"]["method"], c2["sanitization"]["technique"]) == ("Purge", "cryptographic erase")
    assert c2["media"]["serial"] == "LUKS UUID u-1" and c2["media"]["backup"]["made"] == "yes"
    # Appendix G's fields are all there: person, media, method/technique/tool, verification, destination, signatures
    for key in ("person_performing", "media", "sanitization", "verification", "destination", "date", "signatures"):
        assert c2[key], key
    assert {s["role"] for s in c2["signatures"]} == {"person performing sanitization", "validator"}
    with pytest.raises(AssertionError):
        check_output(dict(c2, verification=dict(c2["verification"], passed=False)), erase_certificate.SCHEMA)
    out = tmp_path / "certs"
    path, written = erase_certificate.write(c2, out)
    first = path.read_bytes()
    assert written and json.loads(first)["media"]["volume_id"] == "app-crypt"
    assert "app-crypt" in (out / "app-crypt.html").read_text() and "/dev/vdc" in (out / "app-crypt.html").read_text()
    _, again = erase_certificate.write(dict(c2, date="2030-01-01"), out)
    assert not again and path.read_bytes() == first
    assert not list(out.glob(".*tmp"))


# ------------------------------------------------------------------ dry run and the gate without hosts
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govcloud.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "COLUMNS": "400"})  # wide: no cell folds


def test_dry_run_lists_every_volume_and_touches_nothing(vault_dir, tmp_path):
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    run = tmp_path / "run"
    p = run_cli("runbook", "run", str(RUNBOOK), "--dry-run", "--run-dir", str(run), "--param", "system=case-mgmt",
                "--param", "inventory=/nonexistent/inventory.yml", "--param", f"volumes={f}",
                "--param", f"acceptance={tmp_path / 'acc.json'}", "--param", "confirm=case-mgmt")
    assert p.returncode == 0, p.stderr
    for what in ("app-01:/dev/vdb (app-data, plain)", "0xa5", "app-01:/dev/vdc (app-crypt, luks2)", "luksErase"):
        assert what in p.stdout, (what, p.stdout)
    assert not run.exists()


def test_dry_run_refuses_a_bad_volumes_file(vault_dir, tmp_path):
    (vault_dir / "keys" / "plain.yml").write_text("luks_passphrase: s3cret-key\n")
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text("keys/plain.yml"))
    p = run_cli("runbook", "run", str(RUNBOOK), "--dry-run", "--run-dir", str(tmp_path / "run"), "--param",
                "system=case-mgmt", "--param", "inventory=x", "--param", f"volumes={f}",
                "--param", "acceptance=x", "--param", "confirm=case-mgmt")
    assert p.returncode == 1 and "not encrypted" in p.stderr + p.stdout


def test_erase_volumes_refuses_outside_its_gate(vault_dir, tmp_path):
    """A runbook that wires erase.volumes without the erase.ready precondition gets exit 1 and a
    journal record saying why; the action never reaches a host (the inventory does not exist)."""
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    rb = tmp_path / "rb.yaml"
    rb.write_text(textwrap.dedent("""\
        kind: govcloud/runbook
        version: 1
        name: erase-ungated
        title: erase without its gate
        params: [system, inventory, volumes]
        steps:
          - id: erase
            title: erase
            clause: article-58
            precondition: {none: deliberately ungated}
            action: {builtin: {name: erase.volumes, with: {inventory: "${inventory}", volumes: "${volumes}", out: erase/}}}
            verification: {builtin: {name: erase.verified, with: {volumes: "${volumes}", out: erase/}}}
            evidence: []
        """))
    run = tmp_path / "run"
    p = run_cli("runbook", "run", str(rb), "--run-dir", str(run), "--param", "system=case-mgmt",
                "--param", "inventory=/nonexistent/inventory.yml", "--param", f"volumes={f}")
    assert p.returncode == 1, p.stdout + p.stderr
    recs = read_journal(run).records
    refused = [r for r in recs if r["event"] == "erase-refused"]
    assert refused and "erase.ready" in refused[0]["reasons"][0]
    end = [r for r in recs if r["event"] == "step-end"][-1]
    assert end["result"] == "failed" and "nothing erased" in end["detail"]["error"]
    assert not (run / "erase").exists()


def test_gate_passes_but_a_host_missing_from_the_inventory_erases_nothing(vault_dir, tmp_path):
    """The gate holds (export verified, acceptance of this manifest, --confirm), yet the volumes file
    names a host the inventory does not have: exit 1 before any host is contacted."""
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    inv = tmp_path / "inventory.yml"
    inv.write_text("all:\n  hosts:\n    other-01: {ansible_host: 192.0.2.1}\n")
    acc = tmp_path / "acc.json"
    run = tmp_path / "run"
    params = ["--param", "system=case-mgmt", "--param", f"inventory={inv}", "--param", f"volumes={f}",
              "--param", f"acceptance={acc}", "--param", "confirm=case-mgmt"]
    p = run_cli("runbook", "run", str(RUNBOOK), "--run-dir", str(run), *params)
    assert p.returncode == 1 and "not accepted the export yet" in read_journal(run).records[-3]["reasons"][0]
    write_json(acc, acceptance_doc(manifest_digest(run / "export" / "manifest.json")))
    p = run_cli("runbook", "run", str(RUNBOOK), "--run-dir", str(run), "--resume", *params)
    assert p.returncode == 1, p.stdout + p.stderr
    end = [r for r in read_journal(run).records if r["event"] == "step-end"][-1]
    assert end["detail"]["phase"] == "action" and "hosts not in the inventory" in end["detail"]["error"]
    assert "app-01" in end["detail"]["error"] and not (run / "erase").exists()
    assert not [r for r in read_journal(run).records if r["event"] == "erase-volume"]


def test_overwrite_progress_is_a_line_per_tenth_or_pass():
    """What the erase shows while it waits: the wait task's retries carry the host's state file
    (systemctl's answer, then the JSON); a line when a tenth more is done or the pass changes."""
    from govcloud.runbook.steps.erase import _progress_handler, poll_delay, poll_retries

    lines: list[str] = []
    handle = _progress_handler(lines.append)
    size = 100 << 20

    def retry(phase: str, done: int) -> dict:
        state = {"phase": phase, "done_bytes": done, "size": size, "seconds": 1.0, "token": "t"}
        return {"event": "runner_retry", "event_data": {"res": {"stdout_lines": ["active", json.dumps(state)]}}}

    for ev in (retry("write", 1 << 20), retry("write", 5 << 20), retry("write", 31 << 20), retry("read", 0),
               {"event": "runner_on_ok", "event_data": {}}, retry("read", 100 << 20),
               {"event": "runner_retry", "event_data": {"res": {"stdout_lines": ["active", "{}"]}}}):
        assert handle(ev) is True
    assert lines == ["overwrite 1% (1 of 100 MiB, 1.0 s)", "overwrite 31% (31 of 100 MiB, 1.0 s)",
                     "read-back 0% (0 of 100 MiB, 1.0 s)", "read-back 100% (100 of 100 MiB, 1.0 s)"]
    # looks: every second for small volumes, every 10 s from 20 GiB; waiting at least a day,
    # longer when both passes at 10 MiB/s (or the volume's lower cap) need it
    assert (poll_delay(12 << 20), poll_delay(20 << 30), poll_delay(10 << 40)) == (1, 10, 10)
    assert poll_retries(12 << 20, 0, 1) == 86400
    assert poll_retries(10 << 40, 0, 10) == 209716  # 2 passes x 10 TiB at 10 MiB/s = 2,097,152 s
    assert poll_retries(10 << 40, 2, 10) == 1048576  # at the volume's cap of 2 MiB/s


# ------------------------------------------------------------------ paths read back from erase records
def _verified_ctx(run: Path):
    from rich.console import Console

    from govcloud.runbook.engine.context import RunContext
    from govcloud.runbook.engine.loader import load_runbook
    from govcloud.runbook.engine.registry import load_builtins

    load_builtins()
    rb = load_runbook(RUNBOOK)
    return RunContext(rb, {}, run, Console(file=open(os.devnull, "w")), None, rb.steps[-1])


@pytest.mark.parametrize("escape", ["../../etc/passwd", "/etc/passwd", "erase/proof/link/after.json"])
def test_erase_verified_refuses_a_proof_path_outside_the_run_directory(vault_dir, tmp_path, escape):
    """A certificate whose proof names a file outside the run directory (`../../etc/passwd`, an
    absolute path, a symlink inside the run pointing out) is not read: the check fails naming the
    certificate file and the field, even when the recorded SHA-256 is the outside file's own."""
    from govcloud.runbook.steps.erase_steps import erase_verified

    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    vf = load_volumes(f)
    run = tmp_path / "a" / "b" / "run"
    (run / "erase" / "proof" / "link").mkdir(parents=True)
    (run / "erase" / "proof" / "link" / "after.json").symlink_to("/etc/passwd")
    passwd_sha = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    certs = run / "erase" / "certificates"
    after_plain = {"size": 1 << 20, "written": 1 << 20, "verified": 1 << 20, "mismatched": 0, "first_mismatch": None,
                   "sha256": "3" * 64, "pattern": "a5", "tool": "t"}
    luks = {"luks2_header": True, "uuid": "u-1", "keyslots": 1, "key_test_exit": 0, "key_opens": True,
            "key_test_message": "", "tool": "cryptsetup 2.6.1", "size": 33554432}
    for vol, before, after in ((vf.volumes[0], {"at": "2026-06-03T01:00:00+00:00"}, after_plain),
                               (vf.volumes[1], {"at": "2026-06-03T01:00:00+00:00", "state": luks},
                                dict(luks, keyslots=0, key_test_exit=1, key_opens=False))):
        proof = {"before": {"path": escape, "sha256": passwd_sha}, "after": {"path": escape, "sha256": passwd_sha}}
        cert = erase_certificate.build(vf, vol, contract="2025095", before=before, after={"state": after},
                                       proof=proof, export=None, finished="2026-06-03T01:01:00+00:00")
        erase_certificate.write(cert, certs)
    res = erase_verified(_verified_ctx(run), {"volumes": str(f), "out": "erase/"})
    assert not res.ok
    for vid in ("app-data", "app-crypt"):
        cf = certs / f"{vid}.json"
        assert f"{vid}: {cf}: proof.before.path: expected a path under {run.resolve()}" in res.detail, res.detail
    assert repr(escape) in res.detail and "root:" not in res.detail


def test_erase_verified_accepts_proofs_inside_the_run_directory(vault_dir, tmp_path):
    """The same check passes for proofs that are where the erase writes them (the control case)."""
    from govcloud.runbook.engine.journal import sha256_file
    from govcloud.runbook.steps.erase_steps import erase_verified

    f = vault_dir / "volumes.yml"
    f.write_text("".join(ln for ln in volumes_text().splitlines(True) if "app-crypt" not in ln))
    vf = load_volumes(f)
    run = tmp_path / "run"
    proof_dir = run / "erase" / "proof" / "app-data"
    proof_dir.mkdir(parents=True)
    state = {"size": 1 << 20, "written": 1 << 20, "verified": 1 << 20, "mismatched": 0, "first_mismatch": None,
             "sha256": "3" * 64, "pattern": "a5", "tool": "t"}
    (proof_dir / "before.json").write_text(json.dumps({"volume": "app-data", "state": {"size": 1 << 20}}))
    (proof_dir / "after.json").write_text(json.dumps({"volume": "app-data", "state": state}))
    proof = {k: {"path": f"erase/proof/app-data/{k}.json", "sha256": sha256_file(proof_dir / f"{k}.json")}
             for k in ("before", "after")}
    cert = erase_certificate.build(vf, vf.volumes[0], contract="2025095", before={"at": "2026-06-03T01:00:00+00:00"},
                                   after={"state": state}, proof=proof, export=None, finished="2026-06-03T01:01:00+00:00")
    erase_certificate.write(cert, run / "erase" / "certificates")
    res = erase_verified(_verified_ctx(run), {"volumes": str(f), "out": "erase/"})
    assert res.ok, res.detail


# ------------------------------------------------------------------ the key, checked on the controller
@pytest.mark.parametrize(("change", "field", "words"), [
    ("password", "hosts.app-01[1].key.vault_file", "does not decrypt it"),
    ("var", "hosts.app-01[1].key.var", "expected a variable 'luks_pasphrase'"),
    ("empty", "hosts.app-01[1].key.var", "it is empty or not a string"),
    ("no-password-file", "vault_password_file", "expected an Ansible Vault password file"),
])
def test_the_vaulted_key_is_checked_on_the_controller(vault_dir, monkeypatch, change, field, words):
    """Before any host is asked: the vault password must decrypt the key file and the variable must
    hold a passphrase; the error names the volumes file, the field and the volume, never the key."""
    from govcloud.runbook.steps.erase import check_key

    text = volumes_text()
    if change == "password":
        (vault_dir / "vault-pw").write_text("not-the-password\n")
    elif change == "var":
        text = text.replace("var: luks_passphrase", "var: luks_pasphrase")
    elif change == "empty":
        vault_encrypt(vault_dir / "keys", "empty.yml", "luks_passphrase: ''\n", vault_dir / "vault-pw")
        text = text.replace("keys/crypt.yml", "keys/empty.yml")
    else:
        text = text.replace("vault_password_file: vault-pw\n", "")
        monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    f = vault_dir / "volumes.yml"
    f.write_text(text)
    vf = load_volumes(f)
    check_key(vf, vf.volumes[0])  # a plain volume has no key to check
    with pytest.raises(InputError) as exc:
        check_key(vf, vf.volumes[1])
    msg = str(exc.value)
    assert msg.startswith(f"{f}: {field}: ") and words in msg and "app-crypt (app-01:/dev/vdc)" in msg, msg
    assert "s3cret-key" not in msg and "nothing erased" in msg


def test_the_vaulted_key_passes_when_it_decrypts(vault_dir):
    from govcloud.runbook.steps.erase import check_key

    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text())
    vf = load_volumes(f)
    check_key(vf, vf.volumes[1])


def test_a_device_path_with_dot_components_is_refused(vault_dir):
    f = vault_dir / "volumes.yml"
    f.write_text(volumes_text().replace("/dev/vdb", "/dev/../etc/passwd"))
    with pytest.raises(InputError) as exc:
        load_volumes(f)
    assert "hosts.app-01[0].device" in str(exc.value) and "'..'" in str(exc.value)
