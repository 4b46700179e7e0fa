"""Every kind of input file govcloud reads, each with a real sample and the reader the commands use.

The samples are the project's own files where one exists (the seed contract, the stack config, the
host plan, a runbook, the control map, the scan waivers, recorded harden evidence, an erase volumes
file) and, for the kinds a person writes per run (an amendment, an ignore file, an acceptance, a
materials list, SLA incident and change records), a file in the documented shape. The Pulumi stack export is the one `govcloud plan
--export-state` writes for the lab stack, made once per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]

AMENDMENT = """\
schema_version: 1
id: SA-2025095-01
contract: "2025095"
signed: 2025-12-20
effective: 2026-01-16
clause: article-77
changes:
  - item: vcpu
    quantity: 2000
"""

IGNORE = """\
version: 1
ignore:
  - item: cdn
    reason: CDN cut agreed pending SA-2025095-02
    expires: 2026-03-31
"""

MATERIALS = """\
kind: govcloud/exit-materials
version: 1
contract: "2025095"
system: court-case
notice: 2025-09-26
items:
  - id: design-docs
    description: 系统设计文档
    holder: 乙方项目经理
    kind: paper
    disposition: returned
    done_on: 2025-10-09
    evidence: {file: receipts/paper.pdf}
"""


VOLUMES = """\
kind: govcloud/erase-volumes
version: 1
system: case-mgmt
vault_password_file: vault-pw
operator: {name: Wang Gong, organisation: Capinfo Cloud}
destination: returned to the provider's storage pool
hosts:
  app-01:
    - {id: app-data, device: /dev/vdb, kind: plain, pattern: "a5"}
    - {id: app-crypt, device: /dev/vdc, kind: luks2, key: {vault_file: keys/crypt.yml, var: luks_passphrase}}
"""
_VAULTED: list[bytes] = []

INCIDENTS = """\
kind: govcloud/sla-incidents
version: 1
incidents:
  - id: INC-2026-0304-01
    systems: [litigation]
    cause: provider
    detected: 2026-03-04T10:00:00+08:00
    reported: 2026-03-04T10:02:00+08:00
    acknowledged: 2026-03-04T10:12:00+08:00
    isolated: 2026-03-04T10:25:00+08:00
    resolved: 2026-03-04T11:40:00+08:00
"""

CHANGES = """\
kind: govcloud/sla-changes
version: 1
changes:
  - id: CHG-2026-0312
    systems: [litigation]
    start: 2026-03-12T22:00:00+08:00
    end: 2026-03-12T23:30:00+08:00
    change: upgrade PostgreSQL 15.5 to 15.6
    approved: true
    approved_by: 张伟 (信息技术处)
    approved_at: 2026-03-10T16:00:00+08:00
"""


def volumes_sample(folder: Path) -> bytes:
    """The volumes file, with its vault password file and a key file really encrypted by ansible-vault
    beside it (encrypted once per process, copied into each folder)."""
    (folder / "keys").mkdir(exist_ok=True)
    pw = folder / "vault-pw"
    pw.write_text("test-vault-password\n")
    pw.chmod(0o600)
    key = folder / "keys" / "crypt.yml"
    if not _VAULTED:
        key.write_text("luks_passphrase: s3cret-key\n")
        subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "encrypt", "--vault-password-file",
                        str(pw), str(key)], check=True, capture_output=True)
        _VAULTED.append(key.read_bytes())
    key.write_bytes(_VAULTED[0])
    return VOLUMES.encode("utf-8")


def acceptance_text() -> str:
    return json.dumps({"kind": "govcloud/exit-acceptance", "version": 1, "contract": "2025095",
                       "system": "court-case", "manifest_sha256": "ab" * 32,
                       "accepted_by": {"name": "张三", "organisation": "北京市高级人民法院"},
                       "accepted_at": "2025-10-08T10:00:00+08:00"}, ensure_ascii=False, indent=2)


def _contract() -> Any:
    from govcloud.contract.loader import load_contract

    return load_contract(ROOT / "contracts" / "2025095.yaml")


def _stack_config(path: Path) -> Any:
    from govcloud.tenancy.config import read_stack_config

    return read_stack_config(path.parent, path.name.removeprefix("Pulumi.").removesuffix(".yaml"))


def _materials(path: Path) -> Any:
    from govcloud.runbook.steps.materials import checklist

    return checklist(path, contract=_contract(), as_of=date(2025, 10, 20))


@dataclass(frozen=True)
class Kind:
    """One kind of input: its file name, a sample's bytes and the reader the commands call."""

    name: str
    filename: str
    sample: Callable[[Path], bytes]
    read: Callable[[Path], Any]
    fmt: str  # yaml | json

    def write(self, folder: Path, data: bytes | None = None) -> Path:
        path = folder / self.filename
        path.write_bytes(self.sample(folder) if data is None else data)
        return path


def _file(rel: str) -> Callable[[Path], bytes]:
    return lambda _folder: (ROOT / rel).read_bytes()


def _text(text: str | Callable[[], str]) -> Callable[[Path], bytes]:
    return lambda _folder: (text() if callable(text) else text).encode("utf-8")


def _reader(module: str, name: str, **kwargs: Any) -> Callable[[Path], Any]:
    def read(path: Path) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(path, **kwargs)
    return read


_LAB_EXPORT: list[bytes] = []


def lab_export_bytes(_folder: Path | None = None) -> bytes:
    """The lab stack's export as `govcloud plan --export-state` writes it (made once per process)."""
    if not _LAB_EXPORT:
        tmp = Path(subprocess.run(["mktemp", "-d"], capture_output=True, text=True, check=True).stdout.strip())
        try:
            subprocess.run([*GOVCLOUD, "plan", "--stack", "lab", "--export-state", str(tmp / "lab.json"),
                            "--format", "json"], cwd=ROOT, capture_output=True, check=False)
            _LAB_EXPORT.append((tmp / "lab.json").read_bytes())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _LAB_EXPORT[0]


def _deliverables_map(path: Path) -> Any:
    from govcloud.contract.loader import load_contract
    from govcloud.deliverables.catalog import load_map

    return load_map(load_contract(ROOT / "contracts" / "2025095.yaml"), path)


def _sla_report(path: Path) -> Any:
    """The sample is a real ``govcloud sla report --format json`` of tests/sla/scenarios.py's carrier month with
    tests/sla/test_report.py's two incident records (its Prometheus URL made neutral)."""
    from govcloud.contract.loader import load_contract
    from govcloud.deliverables.inputs import _sla_report, period_of

    contract = load_contract(ROOT / "contracts" / "2025095.yaml")
    return _sla_report(path, contract, period_of("2026-03", contract))


HISTORY = json.dumps({"kind": "govcloud/sla-history", "version": 1, "contract": "2025095", "months": {
    "2026-01": {"events": [{"level": "B", "event": "outage-platform-10-30pct", "start": "2026-01-15T02:00:00+08:00",
                            "end": "2026-01-15T04:30:00+08:00", "share": "20.0%", "systems": ["litigation"]}],
                "verdict": "breached", "availability": "99.9327%", "coverage": "100.0000%",
                "platform": {"period_ms": 13392000000, "up_ms": 13383000000, "down_ms": 9000000, "unknown_ms": 0,
                             "excluded_ms": 0}}}})


KINDS: tuple[Kind, ...] = (
    Kind("contract", "contract.yaml", _file("contracts/2025095.yaml"), _reader("govcloud.contract.loader", "load_contract"), "yaml"),
    Kind("amendment", "amendment.yaml", _text(AMENDMENT), _reader("govcloud.contract.amendments", "load_amendment"), "yaml"),
    Kind("stack config", "Pulumi.lab.yaml", _file("Pulumi.lab.yaml"), _stack_config, "yaml"),
    Kind("host plan", "hostplan.yaml", _file("stacks/hostplans/lab.yaml"), _reader("govcloud.tenancy.hostplan", "load_host_plan"), "yaml"),
    Kind("runbook", "runbook.yaml", _file("playbooks/runbooks/exit.yaml"), _reader("govcloud.runbook.engine.loader", "load_runbook"), "yaml"),
    Kind("erase volumes", "volumes.yaml", volumes_sample, _reader("govcloud.runbook.steps.erase", "load_volumes"), "yaml"),
    Kind("materials", "materials.yaml", _text(MATERIALS), _materials, "yaml"),
    Kind("sla incidents", "incidents.yaml", _text(INCIDENTS), _reader("govcloud.sla.incidents", "load_incidents"), "yaml"),
    Kind("sla changes", "changes.yaml", _text(CHANGES), _reader("govcloud.sla.changes", "load_changes"), "yaml"),
    Kind("sla history", "history.json", _text(HISTORY), _reader("govcloud.sla.history", "load_history"), "json"),
    Kind("sla report", "sla-report.json", _file("tests/deliverables/data/sla-report-2026-03.json"), _sla_report, "json"),
    Kind("deliverables map", "map.yaml", _file("deliverables/map.yaml"), _deliverables_map, "yaml"),
    Kind("ignore file", "ignore.yaml", _text(IGNORE), _reader("govcloud.checks.ignore", "load_ignore"), "yaml"),
    Kind("control map", "controls.yml", _file("playbooks/controls.yml"), _reader("govcloud.hosts.controls", "load_control_map"), "yaml"),
    Kind("scan waivers", "scan-waivers.yml", _file("playbooks/scan-waivers.yml"), _reader("govcloud.hosts.scan_waivers", "load_scan_waivers"), "yaml"),
    Kind("acceptance", "acceptance.json", _text(acceptance_text), _reader("govcloud.runbook.steps.acceptance", "load_acceptance"), "json"),
    Kind("harden evidence", "evidence.json", _file("tests/runbook/data/harden-evidence.json"), _reader("govcloud.hosts.evidence", "load_evidence"), "json"),
    Kind("stack export", "export.json", lab_export_bytes, _reader("govcloud.state.export", "read_export"), "json"),
    Kind("stack outputs", "lab-hosts.json", _file("inventory/lab-hosts.json"), _reader("govcloud.hosts.inventory", "load_stack_hosts"), "json"),
    Kind("preview", "preview.json", _file("tests/state/data/lab-preview-update.json"), _reader("govcloud.state.preview", "read_preview"), "json"),
)
BY_NAME = {k.name: k for k in KINDS}
