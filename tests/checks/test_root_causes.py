"""Issue 14: findings by root cause. From the real prod export: two hosts deleted, one host's flavor
changed, the compute quota lowered and one volume made by hand — five causes, and `govcloud check`
reports exactly five findings, each with its effects on the line items under it; the Markdown comment
names the five causes in its first ten lines (before: 43 findings, about 17 lines per missing host)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.checks.conftest import check_json, find, govcloud, resources

GONE = ("hearing-web-01", "hearing-web-02")
RESIZED = "hearing-web-03"
VOLUME = "scratch-by-hand"
ADDONS = {"deep_monitoring", "os_licence", "antivirus", "host_protection", "host_hardening", "vuln_scan",
          "log_analysis"}


def drift(doc: dict[str, Any]) -> None:
    """The five causes, done to the deployed state as they would be done in the cloud."""
    for name in GONE:
        assert find(doc, f"::{name}")["inputs"]["flavorName"] == "gc.c4m8"
    doc["deployment"]["resources"] = [r for r in resources(doc) if not r["urn"].endswith(GONE)]
    resized = find(doc, f"::{RESIZED}")
    assert resized["outputs"]["flavorName"] == "gc.c4m8"
    resized["outputs"]["flavorName"] = "gc.c8m16"  # 4 → 8 vCPU, 8 → 16 GB
    quota = next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))
    quota["outputs"]["cores"] = 1600
    props = {"name": VOLUME, "size": 500, "volumeType": "standard"}
    resources(doc).append({
        "urn": f"urn:pulumi:prod::govcloud::openstack:blockstorage/volume:Volume::{VOLUME}", "custom": True,
        "id": "vol-by-hand", "type": "openstack:blockstorage/volume:Volume", "provider": quota.get("provider", ""),
        "inputs": props, "outputs": {**props, "id": "vol-by-hand"}})


@pytest.fixture
def drifted(edited) -> Path:  # type: ignore[no-untyped-def]
    return edited(drift, "drifted.json")


def effects(f: dict[str, Any]) -> dict[str, tuple[str | None, list[str]]]:
    return {e["item"]: (e["change"], e["statuses"]) for e in f["effects"]}


def test_five_causes_are_five_findings_with_their_effects(drifted: Path, prod_export: Path) -> None:
    code, report, err = check_json(drifted, prod_export)
    assert code == 2, err
    findings = report["findings"]
    assert len(findings) == 5, [f["subject"] for f in findings]
    by_subject = {f["subject"]: f for f in findings}

    for name in GONE:  # a missing host: one finding, the items and add-ons it takes away under it
        gone = by_subject[f"{name} (compute/instance)"]
        assert (gone["check"], gone["kind"], gone["severity"], gone["host"]) == ("resource.missing", "missing",
                                                                                 "high", name)
        assert gone["urn"].endswith(f"instance:Instance::{name}")
        got = effects(gone)
        assert set(got) == {"vcpu", "memory", "storage_standard"} | ADDONS
        assert got["vcpu"] == ("-4", []) and got["memory"] == ("-8", [])
        assert all(got[a] == ("-1", ["drift"]) for a in ADDONS)  # 198 hosts carry them, 200 declared

    flavor = by_subject[f"{RESIZED} (compute/instance)"]  # one changed attribute, vcpu and memory its effects
    assert (flavor["kind"], flavor["property"], flavor["expected"], flavor["actual"]) == (
        "drift", "flavorName", "gc.c4m8", "gc.c8m16")
    assert effects(flavor) == {"vcpu": ("+4", []), "memory": ("+8", [])}

    quota = by_subject["cloud-hosts-quota (compute/quotaSetV2)"]  # the quota: one finding, its item's verdicts
    assert (quota["kind"], quota["property"], quota["severity"], quota["item"]) == ("drift", "cores", "high", "vcpu")
    assert effects(quota) == {"vcpu": ("-200", ["drift", "under"])}

    volume = by_subject[f"{VOLUME} (blockstorage/volume)"]
    assert (volume["kind"], volume["item"], volume["clause"]) == ("unmanaged", "storage_standard", "article-2")
    assert effects(volume) == {"storage_standard": ("+0.48828125", [])}  # 500 GB in TB

    # most severe first; the counts by cause and by effect are both in the JSON
    order = ("high", "medium", "low")
    assert [order.index(f["severity"]) for f in findings] == sorted(order.index(f["severity"]) for f in findings)
    counts = report["counts"]
    assert counts["causes"] == 5 and counts["effects"] == sum(len(f["effects"]) for f in findings) == 24
    assert counts["by_kind"] == {"drift": 2, "missing": 2, "unmanaged": 1}
    assert counts["verdicts_by_item"]["vcpu:under"] == 1 and counts["verdicts_by_item"]["antivirus:drift"] == 2

    # the line-item table counts per-host add-ons on the hosts deployed: not ok with two carrying hosts gone
    items = {i["id"]: i for i in report["items"]}
    for addon in ADDONS:
        assert (items[addon]["deployed"], items[addon]["statuses"]) == ("198", ["drift"]), addon
    assert items["vcpu"]["statuses"] == ["drift", "under"] and items["db_audit"]["status"] == "ok"
    hosts = {h["name"]: h for h in report["hosts"]}
    assert {hosts[n]["status"] for n in GONE} == {"missing"} and hosts[RESIZED]["status"] == "drift"


def test_the_first_ten_lines_of_the_comment_name_the_five_causes(drifted: Path, prod_export: Path) -> None:
    out = govcloud("check", "--stack", "prod", "--state", str(drifted), "--declared", str(prod_export),
                   "--format", "markdown")
    assert out.returncode == 2, out.stderr
    head = out.stdout.splitlines()[:10]
    assert "5 finding(s)" in "\n".join(head)
    causes = [line for line in head if line[:2] in {f"{k}." for k in range(1, 10)}]
    assert len(causes) == 5
    named = {
        GONE[0]: "declared, not deployed", GONE[1]: "declared, not deployed",
        RESIZED: "flavorName gc.c4m8 → gc.c8m16", "cloud-hosts-quota": "cores 1800 → 1600",
        VOLUME: "deployed, not declared",
    }
    for subject, what in named.items():
        assert sum(f"{subject} (" in line and what in line for line in causes) == 1, (subject, head)
    # the line-item table below says what the causes did
    for addon in ADDONS:
        row = next(line for line in out.stdout.splitlines() if line.startswith(f"| `{addon}` "))
        assert row.endswith("| 200 | 198 | drift |"), row


def test_junit_has_one_failure_per_cause_and_stays_valid(drifted: Path, prod_export: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    junit = tmp_path / "check.xml"
    out = govcloud("check", "--stack", "prod", "--state", str(drifted), "--declared", str(prod_export),
                   "--format", "junit", "--output", str(junit))
    assert out.returncode == 2, out.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    failed = {c.get("name"): len(c.findall("failure")) for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {GONE[0]: 1, GONE[1]: 1, RESIZED: 1, "vcpu": 1, "storage_standard": 1}


def test_an_ignore_entry_matches_a_cause_with_its_effects(drifted: Path, prod_export: Path, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "version: 1\nignore:\n"
        "  - kind: drift\n    subject: '*cloud-hosts-quota#cores'\n"  # the URN#attribute form still matches
        "    reason: quota lowered for the migration window, ticket GC-201\n    expires: 2026-05-31\n"
        "  - kind: missing\n    subject: hearing-web-0?\n"  # the host, by its name
        "    reason: two hearing hosts retired pending SA-2025095-03\n    expires: 2026-05-31\n"
        "  - kind: under\n    item: antivirus\n"  # an effect alone is never matched
        "    reason: an entry that names only an effect of a cause\n    expires: 2026-05-31\n", encoding="utf-8")
    code, report, _ = check_json(drifted, prod_export, "--ignore", str(ignore), "--on", "2026-05-31")
    assert code == 2
    assert sorted(f["subject"] for f in report["findings"]) == [f"{RESIZED} (compute/instance)",
                                                                f"{VOLUME} (blockstorage/volume)"]
    ignored = sorted((i["finding"]["subject"], i["finding"]["kind"]) for i in report["ignored"])
    assert ignored == [("cloud-hosts-quota (compute/quotaSetV2)", "drift"), (f"{GONE[0]} (compute/instance)", "missing"),
                       (f"{GONE[1]} (compute/instance)", "missing")]
    assert all(i["finding"]["effects"] for i in report["ignored"])  # ignored whole, effects with them


def test_the_pipelines_drift_is_one_cause_and_exits_2(edited, prod_export: Path) -> None:
    """`.ci/run`'s drifted copy: the compute quota lowered to 1600 (three findings before, one now)."""
    def lower(doc: dict[str, Any]) -> None:
        next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))["outputs"]["cores"] = 1600

    code, report, _ = check_json(edited(lower), prod_export)
    assert code == 2 and len(report["findings"]) == 1
    assert json.dumps(report["findings"][0]["effects"]) == json.dumps(
        [{"item": "vcpu", "basis": "provision", "change": "-200", "expected": "1800 vCPU", "actual": "1600 vCPU",
          "statuses": ["drift", "under"]}])
