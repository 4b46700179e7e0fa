"""The registry of checks against the report schemas: every check's kind and severity is in the report
schema and every kind the schemas list is one a check produces, so adding a check is one function
(registered where it is defined) and one test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from govcloud.checks import registry
from govcloud.checks.findings import Kind, Severity
from govcloud.checks.hosts import AddonStatus
from govcloud.paths import SCHEMAS_DIR

ROOT = Path(__file__).resolve().parents[2]
CHECKS = registry.load()


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))


def test_check_kinds_and_severities_are_the_report_schemas() -> None:
    defs = _schema("check.schema.json")["$defs"]
    kinds = {c.kind for c in CHECKS.values()}
    assert kinds == set(defs["kind"]["enum"]), "a check's kind missing from check.schema.json, or a kind no check makes"
    assert {c.severity for c in CHECKS.values()} <= set(defs["severity"]["enum"])
    assert set(Kind.__args__) == kinds and set(Severity.__args__) == set(defs["severity"]["enum"])  # type: ignore[attr-defined]


def test_the_ignore_schema_lists_every_kind_a_check_can_have_ignored() -> None:
    # `sla report` reads no ignore file: its exclusions are approved changes and incident causes
    ignorable = {c.kind for c in CHECKS.values() if c.stage not in ("ignore", "sla")}
    enum = set(_schema("check-ignore.schema.json")["properties"]["ignore"]["items"]["properties"]["kind"]["enum"])
    assert enum == ignorable


def test_every_check_has_its_metadata() -> None:
    for c in CHECKS.values():
        assert c.id.split(".")[0] in {"state", "resource", "addon", "control", "item", "ignore", "sla"}, c.id
        assert c.clause.startswith(("article-", "annex-")) and c.title and c.remediation and c.applies_to, c.id
        assert c.stage in ("cause", "host", "item", "ignore", "sla")
        assert (c.stage == "sla") == c.id.startswith("sla.") == (c.run.__module__ == "govcloud.sla.rules"), c.id


def test_the_verify_hosts_schema_lists_the_host_checks_of_the_registry() -> None:
    """verify-hosts runs the checks of stage ``host`` alone: its schema names exactly their ids and kinds, its
    findings are check.schema.json's findings, and both reports print add-ons in the one vocabulary."""
    defs, check_defs = _schema("verify-hosts.schema.json")["$defs"], _schema("check.schema.json")["$defs"]
    host = [c for c in CHECKS.values() if c.stage == "host"]
    assert {c.id for c in host} == set(defs["check"]["enum"]), "a host check missing from verify-hosts.schema.json"
    assert {c.kind for c in host} == set(defs["kind"]["enum"])
    assert {c.severity for c in host} <= set(defs["severity"]["enum"]) == set(check_defs["severity"]["enum"])
    assert {c.kind for c in host} <= set(check_defs["kind"]["enum"])
    assert defs["finding"]["required"] == check_defs["finding"]["required"]
    assert set(defs["finding"]["properties"]) == set(check_defs["finding"]["properties"])
    assert set(AddonStatus) == set(defs["addon_status"]["enum"]) == set(check_defs["addon_status"]["enum"])
    assert {c.id for c in host} == {"addon.missing", "addon.inactive", "addon.unverifiable", "control.failed",
                                    "control.unverifiable"}


def test_a_check_registered_twice_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="registered twice"):
        registry.check("resource.missing", kind="missing", severity="high", clause="article-2", title="t",
                       applies_to=("x",), remediation="r")(lambda ctx: iter(()))


def test_the_rule_modules_register_on_import_without_a_list() -> None:
    probe = ("from govcloud.checks import registry; import sys; "
             "print(sorted(m for m in sys.modules if m.startswith('govcloud.checks.rules.')))")
    before = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert before.stdout.strip() == "[]"
    rules = sorted(p.stem for p in (ROOT / "govcloud" / "checks" / "rules").glob("*.py") if p.stem != "__init__")
    assert {c.run.__module__.rsplit(".", 1)[-1] for c in CHECKS.values() if c.stage not in ("ignore", "sla")} \
        == set(rules)


def test_the_sla_rules_are_loaded_by_name_and_checks_never_imports_sla() -> None:
    """checks sits below sla in the layers: the registry names govcloud.sla.rules as a string, and the
    SLA checks are of their own stage, so `govcloud check` never runs them."""
    assert registry.TOOL_RULES == ("govcloud.sla.rules",)
    sla = {c.id for c in CHECKS.values() if c.stage == "sla"}
    assert {"sla.availability", "sla.response", "sla.on-site", "sla.isolation", "sla.termination"} <= sla
    assert not sla & {c.id for c in registry.of_stage("cause", "host", "item", "ignore")}
    for path in (ROOT / "govcloud" / "checks").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import govcloud.sla" not in text and "from govcloud.sla" not in text, path
