"""`govcloud runbook exit` on booted hosts (articles 58-59, 68): the whole exit end to end with the
court's acceptance and the erase gate; the process killed during the export, then resumed; the
dry run listing every volume it would erase.

The lab: the system's old cloud hosts as the stack names them (lab-app-01 holds the files and a
service, lab-db-01 the PostgreSQL database) and the court's host court-01 (outside the stack).
Data volumes are loop devices: a plain one per old host (its bytes random, the overwrite target)
and a LUKS2 one on lab-db-01 (formatted inside the host; its key only under Ansible Vault).
The harden evidence the handover packages is real and of this boot: `govcloud harden --check` (one
control's tag, so nothing on the hosts changes and it takes seconds, not minutes) on the old hosts.
"""

from __future__ import annotations

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

from govcloud.labhosts import BaseImage, Lab, LabError
from govcloud.labhosts.volumes import Volume
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.journal import sha256_file as _sha256
from govcloud.runbook.remote import database as db
from govcloud.runbook.remote.transfer import Endpoint, Manifest, inventory_endpoints, make_manifest, verify_target

from ..conftest import _progress
from . import erasekit
from .conftest import PG_INSTALL
from .dataset import GENERATE, generate_command
from .test_migrate_hosts import own_ssh_masters

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
APP, DBH, COURT = "lab-app-01", "lab-db-01", "court-01"
SYSTEM, DATABASE, ROWS = "litigation", "court_exit", 20_000
DATA = "/srv/data"
SMALL_FILES, LARGE_FILES, LARGE_MB = 400, 2, 6
LUKS_KEY = "exit-test-passphrase"  # test-only key: on disk only inside an ansible-vault file
APP_UNIT = "litigation-app.service"
UNIT_TEXT = """[Unit]
Description=litigation system (test stand-in)
[Service]
ExecStart=/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv
[Install]
WantedBy=multi-user.target
"""
DB_SQL = f"""
CREATE TABLE cases (id bigint PRIMARY KEY, title text NOT NULL);
INSERT INTO cases SELECT g, md5(g::text) FROM generate_series(1, {ROWS}) g;
CREATE TABLE parties (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO parties (name) SELECT 'party ' || g FROM generate_series(1, 300) g;
"""


@dataclass
class ExitLab:
    lab: Lab
    app: Endpoint
    court: Endpoint
    data: Manifest
    volumes: dict[str, Volume]  # volume id -> the lab's loop volume
    secrets: Path  # vault password file and vault-encrypted key file
    evidence: Path  # `govcloud harden --check` evidence of the old hosts, taken on this boot

    @property
    def inventory(self) -> Path:
        return self.lab.state_dir / "inventory.yml"


def volume_digests(xl: ExitLab) -> dict[str, str]:
    """SHA-256 of each volume's backing file, read on the controller (what an erase would change)."""
    return {vid: _sha256(v.backing) for vid, v in xl.volumes.items()}


def write_volumes_file(secrets: Path, out: Path) -> Path:
    doc = {"kind": "govcloud/erase-volumes", "version": 1, "system": SYSTEM,
           "vault_password_file": str(secrets / "vault-pass"),
           "operator": {"name": "Test Operator", "organisation": "Capinfo Cloud (test)"},
           "destination": "returned to the provider's storage pool",
           "hosts": {APP: [{"id": "app-data", "device": "/dev/vdb", "kind": "plain", "pattern": "a5"}],
                     DBH: [{"id": "db-data", "device": "/dev/vdb", "kind": "plain"},
                           {"id": "db-crypt", "device": "/dev/vdc", "kind": "luks2",
                            "key": {"vault_file": str(secrets / "luks-key.vault.yml"), "var": "db_crypt_key"}}]}}
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def make_secrets(directory: Path) -> Path:
    """A vault password file and the LUKS key in an ansible-vault encrypted vars file."""
    erasekit.vault_key(directory, password="exit-test-vault-password", password_file="vault-pass",
                       key_file="luks-key.vault.yml", var="db_crypt_key", key=LUKS_KEY)
    return directory


def harden_check(lab: Lab, d: Path) -> Path:
    """`govcloud harden --check` on the system's old hosts, one control's tag: real evidence (facts,
    add-on packages and services, the run's times) of this boot, nothing on the hosts changed."""
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "harden", "--inventory", str(lab.state_dir / "inventory.yml"),
                        "--limit", f"{APP},{DBH}", "--check", "--tags", "djbh_8.1.4.4a", "--run-dir", str(d / "run"),
                        "--evidence", str(d / "evidence.json")], capture_output=True, text=True, cwd=REPO, timeout=900,
                       env=own_ssh_masters(d))
    assert r.returncode in (0, 2), r.stdout[-3000:] + r.stderr[-5000:]
    doc = json.loads((d / "evidence.json").read_text())
    assert sorted(doc["hosts"]) == [APP, DBH] and doc["run"]["mode"] == "check"
    return d / "evidence.json"


@pytest.fixture(scope="module")
def xlab(lab_base: BaseImage, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExitLab]:
    say = _progress(pytestconfig)
    try:
        lab = Lab.start(names=[APP, DBH, COURT], groups={"app": [APP], "db": [DBH]}, base=lab_base, progress=say)
    except LabError as exc:
        pytest.fail(f"lab boot failed: {exc}", pytrace=False)
    try:
        procs = [subprocess.Popen(lab.host(h).ssh_command(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, stdin=subprocess.DEVNULL)
                 for h, cmd in ((DBH, PG_INSTALL + " && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install "
                                         "-y -q cryptsetup-bin >/dev/null"), (COURT, PG_INSTALL))]
        lab.ssh(APP, generate_command(DATA, small=SMALL_FILES, large=LARGE_FILES, large_mb=LARGE_MB), input_text=GENERATE)
        for h in (APP, COURT):  # the system's service: on the old host, and the court's copy of it
            lab.ssh(h, f"sudo -n tee /etc/systemd/system/{APP_UNIT} >/dev/null && sudo -n systemctl daemon-reload && "
                       f"sudo -n systemctl enable --now {APP_UNIT}", input_text=UNIT_TEXT)
        for p in procs:
            out, _ = p.communicate(timeout=600)
            assert p.returncode == 0, f"package install failed: {out[-2000:]}"
        lab.ssh(DBH, f"sudo -n -u postgres createdb {DATABASE}")
        lab.ssh(DBH, f"sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -d {DATABASE}", input_text=DB_SQL, timeout=300)
        vols = {"app-data": lab.attach_volume(APP, 8, device_name="vdb"),
                "db-data": lab.attach_volume(DBH, 8, device_name="vdb"),
                "db-crypt": lab.attach_volume(DBH, 24, device_name="vdc")}
        for host in (APP, DBH):  # random bytes: what an overwrite must replace
            lab.ssh(host, "sudo -n dd if=/dev/urandom of=/dev/vdb bs=1M count=8 status=none conv=fsync")
        erasekit.luks_format(lab, DBH, "/dev/vdc", LUKS_KEY)
        assert erasekit.key_opens(lab, DBH, "/dev/vdc", LUKS_KEY)
        eps = inventory_endpoints(lab.state_dir / "inventory.yml")
        manifest = make_manifest(eps[APP], DATA)
        assert len(manifest.files) == SMALL_FILES + LARGE_FILES
        secrets = make_secrets(tmp_path_factory.mktemp("exit-secrets"))
        evidence = harden_check(lab, tmp_path_factory.mktemp("exit-harden"))
        say(f"exit lab: {len(manifest.files)} files, {manifest.total_bytes / 1e6:.1f} MB on {APP}:{DATA}; "
            f"{DATABASE} on {DBH}; 3 volumes; harden evidence of {APP}, {DBH}")
        yield ExitLab(lab, eps[APP], eps[COURT], manifest, vols, secrets, evidence)
    finally:
        problems = lab.stop()
        assert not problems, f"lab teardown problems: {problems}"


def write_materials(path: Path) -> Path:
    """Article 68: the data volumes destroyed (their certificates), the exported data returned."""
    doc = {"kind": "govcloud/exit-materials", "version": 1, "system": SYSTEM, "items": [
        {"id": "returned-data", "description": "the system's files and database", "holder": "provider ops",
         "kind": "digital", "disposition": "returned", "done_on": "2025-10-09",
         "evidence": {"file": "export/manifest.json"}},
        *({"id": f"volume-{vid}", "description": f"data volume {vid}", "holder": "provider ops", "kind": "media",
           "disposition": "destroyed", "done_on": "2025-10-09",
           "evidence": {"certificate": f"erase/certificates/{vid}.json"}} for vid in ("app-data", "db-data", "db-crypt"))]}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def exit_cli(xl: ExitLab, run_dir: Path, *extra: str, target_path: str = "/srv/court", wait: bool = True,
             bwlimit: int = 0):
    tmp = run_dir.parent
    args = [sys.executable, "-m", "govcloud.cli", "runbook", "exit", "--stack", "lab", "--system", SYSTEM,
            "--target", COURT, "--inventory", str(xl.inventory), "--evidence", str(xl.evidence),
            "--database", DATABASE, "--source-path", DATA, "--target-path", target_path,
            "--volumes", str(write_volumes_file(xl.secrets, tmp / "volumes.yml")),
            "--materials", str(write_materials(tmp / "materials.yml")),
            "--target-unit", APP_UNIT, "--old-unit", f"{APP}={APP_UNIT}", "--old-unit", f"{DBH}=postgresql",
            "--order-date", "2025-09-26", "--notice", "2025-10-08", "--stable-interval", "1",
            "--bwlimit", str(bwlimit), "--run-dir", str(run_dir), *extra]
    env = {**os.environ, "GOVCLOUD_LOCK_DIR": str(tmp / "locks"), "COLUMNS": "200"}
    if not wait:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=900)


def accept(run_dir: Path, digest: str | None = None) -> Path:
    """The court's acceptance (the agreed format) at the run's default place."""
    digest = digest or _sha256(run_dir / "export/manifest.json")
    return erasekit.write_acceptance(run_dir / "court" / "exit-acceptance.json", system=SYSTEM, digest=digest,
                                     name="Wang Fang", accepted_at="2025-10-09T10:00:00+08:00")


def states(run_dir: Path) -> dict[str, dict]:
    return step_states(read_journal(run_dir).records)


def status(run_dir: Path) -> dict:
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "status", str(run_dir), "--format", "json"],
                       capture_output=True, text=True, cwd=REPO)
    return json.loads(r.stdout)


def shutdown_again(xl: ExitLab, private: Path, check_mode: bool) -> tuple[int, int]:
    """Run playbooks/runbooks/exit-shutdown.yml as the runbook does; (rc, tasks changed)."""
    import ansible_runner

    private.mkdir(parents=True)
    r = ansible_runner.run(
        private_data_dir=str(private), playbook=str(REPO / "playbooks/runbooks/exit-shutdown.yml"),
        inventory=str(xl.inventory), quiet=True, cmdline="--check" if check_mode else None,
        extravars={"exit_hosts": f"{APP},{DBH}", "exit_units": f"{APP}={APP_UNIT},{DBH}=postgresql"},
        envvars={"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1"})
    return r.rc, sum((r.stats or {}).get("changed", {}).values())


def luks_key_opens(xl: ExitLab) -> bool:
    return erasekit.key_opens(xl.lab, DBH, "/dev/vdc", LUKS_KEY)


def target_bytes(xl: ExitLab, root: str) -> int:
    out = xl.lab.ssh(COURT, f"sudo find {root} -type f -printf '%s\\n' 2>/dev/null || true").stdout
    return sum(int(x) for x in out.split())


def test_kill_during_export_then_resume_and_erase_still_refused(xlab, tmp_path):
    run_dir, dest = tmp_path / "run", "/srv/court-kill"
    before = volume_digests(xlab)
    proc = exit_cli(xlab, run_dir, target_path=dest, bwlimit=1500, wait=False)
    deadline = time.monotonic() + 300
    while target_bytes(xlab, dest) < 0.3 * xlab.data.total_bytes:
        assert proc.poll() is None, f"the run ended before the kill: {proc.stdout.read()}"
        assert time.monotonic() < deadline, "the export did not reach 30% in 300 s"
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    assert xlab.lab.ssh(APP, "pgrep -x rsync", check=False).returncode == 1, "rsync survived the kill"
    st = states(run_dir)
    assert st["files-export"]["state"] == "started" and "export-manifest" not in st
    assert status(run_dir)["state"] == "interrupted"
    arrived = make_manifest(xlab.court, dest).total_bytes
    assert 0.3 * xlab.data.total_bytes <= arrived < xlab.data.total_bytes

    # resumed with --confirm: the export completes, the run waits for the court; no erase
    r = exit_cli(xlab, run_dir, "--resume", "--confirm", SYSTEM, target_path=dest)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "waiting for the court's acceptance" in r.stdout
    st = states(run_dir)
    assert all(st[s]["state"] == "verified" for s in ("work-order", "handover", "files-export", "db-restore",
                                                       "export-manifest")), st
    assert st["work-order"]["attempts"] == 1 and st["files-export"]["attempts"] == 2
    assert st["court-acceptance"]["state"] == "waiting" and "erase" not in st
    s = status(run_dir)
    assert s["state"] == "waiting" and s["next_step"] == "court-acceptance"
    assert verify_target(xlab.data, xlab.court, dest) == []
    digest = _sha256(run_dir / "export/manifest.json")
    assert digest in r.stdout  # the run says which digest the court must accept
    exported = next(e for e in st["export-manifest"]["evidence"] if e["path"] == "export/manifest.json")
    assert exported["sha256"] == digest  # recorded in the journal

    # the erase gate itself, on this run: still refused without an acceptance, nothing touched
    from govcloud.runbook.engine.context import RunContext
    from govcloud.runbook.engine.loader import load_runbook
    from govcloud.runbook.steps import erase_steps

    ctx = RunContext(load_runbook(REPO / "playbooks/runbooks/exit.yaml"), {}, run_dir, None, None)  # type: ignore[arg-type]
    reasons, _ = erase_steps.gate(ctx, {"manifest": "export/manifest.json", "system": SYSTEM, "confirm": SYSTEM,
                                        "acceptance": str(run_dir / "court/exit-acceptance.json")})
    assert any("court has not accepted" in x for x in reasons), reasons
    assert volume_digests(xlab) == before and luks_key_opens(xlab)


def test_exit_end_to_end(xlab, tmp_path):
    run_dir = tmp_path / "run"
    before = volume_digests(xlab)
    r = exit_cli(xlab, run_dir)
    assert r.returncode == 3, r.stdout + r.stderr
    st = states(run_dir)
    assert st["court-acceptance"]["state"] == "waiting"

    # the handover package: the system's three hosts, their groups and rules, waivers, IP plan
    hm = json.loads((run_dir / "handover/manifest.json").read_text())
    assert hm["hosts"] == ["lab-app-01", "lab-app-02", "lab-db-01"] and "lab-log-01" not in hm["hosts"]
    for f in hm["files"]:
        assert _sha256(run_dir / "handover" / f["path"]) == f["sha256"]
    pol = json.loads((run_dir / "handover/security-policies.json").read_text())
    assert {g["properties"]["name"] for g in pol["security_groups"]} == {"bjgy-zwy-lab-app", "bjgy-zwy-lab-data"}
    assert len(pol["security_group_rules"]) == 2 and pol["waivers"]
    ipp = json.loads((run_dir / "handover/ip-plan.json").read_text())
    assert {n["name"] for n in ipp["networks"]} == {"app", "data"}
    assert {h["name"]: h["address"] for h in ipp["hosts"]}["lab-db-01"] == "10.231.0.20"
    res = json.loads((run_dir / "handover/resources.json").read_text())
    assert all(i["properties"]["adminPass"] == "[secret]" for i in res["instances"])
    # work order at the 退出 node and article 58's 10 days from the request
    order = json.loads((run_dir / "work-order.json").read_text())
    assert order["node"] == "exit" and order["node_zh"] == "退出"
    deadlines = json.loads((run_dir / "exit/deadlines.json").read_text())["deadlines"]
    # 2025-09-26 + 10 natural days = 2025-10-06, inside 国庆 (Oct 1-8): moved to Thu 2025-10-09 (民法典 203)
    assert {d["clause"]: d["date"] for d in deadlines}["article-58"] == "2025-10-09"
    # the export: files and database at the court's host, the manifest listing every record
    assert verify_target(xlab.data, xlab.court, "/srv/court") == []
    em = json.loads((run_dir / "export/manifest.json").read_text())
    assert em["files"]["count"] == SMALL_FILES + LARGE_FILES and em["database"]["rows"] == ROWS + 300
    for rec in em["records"]:
        assert _sha256(run_dir / rec["path"]) == rec["sha256"]
    eps = inventory_endpoints(xlab.inventory)
    assert db.compare_tables(db.table_digests(eps[DBH], DATABASE), db.table_digests(eps[COURT], DATABASE)) == []

    # an acceptance of another export: the step is not verified, nothing erased
    accept(run_dir, "0" * 64)
    r = exit_cli(xlab, run_dir, "--resume", "--confirm", SYSTEM)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "the court accepted another export" in r.stdout
    assert states(run_dir)["court-acceptance"]["state"] == "unverified" and "erase" not in states(run_dir)
    assert volume_digests(xlab) == before

    # the right acceptance, but no --confirm: accepted, stable run, old services down; erase refused (exit 1)
    accept(run_dir)
    r = exit_cli(xlab, run_dir, "--resume")
    assert r.returncode == 1, r.stdout + r.stderr
    st = states(run_dir)
    assert all(st[s]["state"] == "verified" for s in ("court-acceptance", "stable-run", "shutdown-old")), st
    assert st["erase"]["state"] == "failed" and "no --confirm litigation" in st["erase"]["detail"]["error"]
    assert volume_digests(xlab) == before and luks_key_opens(xlab)
    stable = json.loads((run_dir / "stable-run.json").read_text())
    assert stable["ok"] and len(stable["samples"]) == 2
    assert {c["id"] for c in stable["samples"][0]["checks"]} >= {f"unit:{APP_UNIT}", "db-answers", "db-as-exported",
                                                                "files-as-exported"}
    assert xlab.lab.ssh(APP, f"systemctl is-active {APP_UNIT}", check=False).stdout.strip() == "inactive"
    assert xlab.lab.ssh(APP, f"systemctl is-enabled {APP_UNIT}", check=False).stdout.strip() == "disabled"
    assert xlab.lab.ssh(DBH, "sudo -n -u postgres psql -X -c 'SELECT 1'", check=False).returncode != 0
    assert xlab.lab.ssh(COURT, f"systemctl is-active {APP_UNIT}", check=False).stdout.strip() == "active"
    # the shutdown playbook again, in check mode and for real: nothing left to change
    for check_mode in (True, False):
        rc, changed = shutdown_again(xlab, tmp_path / f"again-{check_mode}", check_mode)
        assert rc == 0 and changed == 0, (check_mode, rc, changed)

    # --confirm names the system: erase, article 68, the report
    r = exit_cli(xlab, run_dir, "--resume", "--confirm", SYSTEM)
    assert r.returncode == 0, r.stdout + r.stderr
    st = states(run_dir)
    assert all(s["state"] == "verified" for s in st.values()) and len(st) == 17, st
    assert not luks_key_opens(xlab), "the old key still opens the LUKS2 volume after the crypto erase"
    assert set(Path(xlab.volumes["app-data"].backing).read_bytes()) == {0xA5}
    assert set(Path(xlab.volumes["db-data"].backing).read_bytes()) == {0x00}
    for vid, v in xlab.volumes.items():
        cert = json.loads((run_dir / f"erase/certificates/{vid}.json").read_text())
        assert vid in json.dumps(cert) and v.device in json.dumps(cert)
    checklist = json.loads((run_dir / "materials/checklist.json").read_text())
    assert checklist["complete"] and checklist["deadline"] == "2025-10-13"
    assert (run_dir / "report/exit-report.html").read_text().startswith("<!doctype html>")
    report = json.loads((run_dir / "report/exit-report.json").read_text())
    assert report["complete"] and {s["id"] for s in report["steps"]} == set(st)
    assert status(run_dir)["state"] == "completed"


def test_dry_run_lists_every_volume_and_touches_nothing(tmp_path):
    secrets = make_secrets(tmp_path / "secrets")
    vols = write_volumes_file(secrets, tmp_path / "volumes.yml")
    run_dir = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "govcloud.cli", "runbook", "exit", "--stack", "lab", "--system", SYSTEM,
         "--target", COURT, "--inventory", str(tmp_path / "no-inventory.yml"),
         "--evidence", str(tmp_path / "no-evidence.json"), "--database", DATABASE, "--volumes", str(vols),
         "--materials", str(write_materials(tmp_path / "materials.yml")), "--run-dir", str(run_dir), "--dry-run"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "250"}, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for text in ("work-order", "handover", "files-export", "export-manifest", "court-acceptance", "stable-run",
                 "shutdown-old", "erase", "materials", "exit-report",
                 f"{APP}:/srv/data (read)", f"{COURT}:/srv/data (written)", f"{DBH}=postgresql"):
        assert text in out, text
    for line in (f"{APP}:/dev/vdb (app-data, plain)", f"{DBH}:/dev/vdb (db-data, plain)",
                 f"{DBH}:/dev/vdc (db-crypt, luks2)", "erase (3 volume(s) of litigation"):
        assert line in out, line
    assert "0xa5" in out and "luksErase" in out
    assert not run_dir.exists(), "a dry run created the run directory"
