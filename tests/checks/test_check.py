"""`govcloud check` on edited copies of the real prod export: each kind of finding, exactly."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.checks.conftest import check_json, find, govcloud, resources

INSTANCE = "openstack:compute/instance:Instance"
ADDONS = {"deep_monitoring", "os_licence", "antivirus", "host_protection", "host_hardening", "vuln_scan",
          "log_analysis"}


def kinds(report: dict) -> set[tuple[str, str]]:
    return {(f["kind"], f["item"]) for f in report["findings"]}


def test_the_prod_export_is_compliant(prod_export: Path) -> None:
    code, report, err = check_json(prod_export, prod_export)
    assert code == 0, err
    assert report["compliant"] and report["findings"] == []
    assert {i["id"]: i["status"] for i in report["items"]} == {i["id"]: "ok" for i in report["items"]}
    assert len(report["items"]) == 19
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert (vcpu["contracted"], vcpu["declared"], vcpu["deployed"], vcpu["allocated"]) == ("1800", "1800", "1800", "1800")
    assert report["coverage"]["percent"] == 100.0 and report["coverage"]["missing"] == 0
    assert len(report["hosts"]) == 200 and {h["presence"] for h in report["hosts"]} == {"present"}


def test_check_runs_the_program_when_no_declared_export_is_given(prod_export: Path) -> None:
    out = govcloud("check", "--stack", "prod", "--state", str(prod_export), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sources"]["declared"] == "program (mock runtime)"


def test_compute_quota_lowered_is_under_and_drift(prod_export: Path, edited) -> None:
    def lower(doc: dict) -> None:
        next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))["outputs"]["cores"] = 1600

    code, report, _ = check_json(edited(lower), prod_export)
    assert code == 2
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert vcpu["status"] == "drift" and set(vcpu["statuses"]) == {"drift", "under"} and vcpu["deployed"] == "1600"
    # one cause: the quota's `cores`; the item's drift and under are its effect, and raise it to high
    [quota] = report["findings"]
    assert (quota["check"], quota["kind"], quota["severity"], quota["item"], quota["clause"]) == (
        "resource.drift", "drift", "high", "vcpu", "article-2")
    assert quota["subject"] == "cloud-hosts-quota (compute/quotaSetV2)" and quota["property"] == "cores"
    assert quota["urn"].endswith("quotaSetV2:QuotaSetV2::cloud-hosts-quota")
    assert (quota["expected"], quota["actual"]) == ("1800", "1600")
    assert [(e["item"], e["basis"], e["change"], e["statuses"]) for e in quota["effects"]] == [
        ("vcpu", "provision", "-200", ["drift", "under"])]
    assert report["counts"]["causes"] == 1 and report["counts"]["verdicts_by_item"] == {"vcpu:drift": 1, "vcpu:under": 1}


def test_instance_removed_is_a_missing_host_and_its_addons(prod_export: Path, edited) -> None:
    def remove(doc: dict) -> None:
        doc["deployment"]["resources"] = [r for r in resources(doc) if not r["urn"].endswith("::hearing-web-01")]

    code, report, _ = check_json(edited(remove), prod_export)
    assert code == 2
    host = next(h for h in report["hosts"] if h["name"] == "hearing-web-01")
    assert host["presence"] == "absent" and set(host["addons"]) == ADDONS
    assert set(host["addons"].values()) == {"missing"}
    [gone] = report["findings"]  # one cause, its items and add-ons the effects
    assert (gone["kind"], gone["subject"], gone["host"]) == ("missing", "hearing-web-01 (compute/instance)",
                                                             "hearing-web-01")
    assert host["status"] == "missing"
    assert {e["item"] for e in gone["effects"]} == ADDONS | {"vcpu", "memory", "storage_standard"}
    assert {e["item"]: e["statuses"] for e in gone["effects"] if e["item"] in ADDONS} == {a: ["drift"] for a in ADDONS}
    assert {i["id"]: i["deployed"] for i in report["items"] if i["id"] in ADDONS} == {a: "199" for a in ADDONS}
    assert report["coverage"]["missing"] == 1
    # the quotas still provide the contract: vCPU and memory are not under
    assert {i["id"]: i["status"] for i in report["items"] if i["id"] in ("vcpu", "memory")} == {"vcpu": "ok",
                                                                                                "memory": "ok"}


def test_instance_the_program_does_not_declare_is_unmanaged_and_over(prod_doc: dict, prod_export: Path, edited) -> None:
    def add(doc: dict) -> None:
        rogue = copy.deepcopy(find(doc, "::hearing-web-01"))
        rogue["urn"] = rogue["urn"].replace("hearing-web-01", "rogue-01")
        rogue["id"] = "rogue-01-id"
        rogue["inputs"]["name"] = rogue["outputs"]["name"] = "rogue-01"
        resources(doc).append(rogue)

    code, report, _ = check_json(edited(add), prod_export)
    assert code == 2
    [rogue] = report["findings"]  # the host is the cause; the vCPU allocated over the contract its effect
    assert (rogue["kind"], rogue["item"], rogue["subject"]) == ("unmanaged", "vcpu", "rogue-01 (compute/instance)")
    vcpu = next(e for e in rogue["effects"] if e["item"] == "vcpu")
    assert (vcpu["basis"], vcpu["change"], vcpu["statuses"]) == ("allocation", "+4", ["over"])
    item = next(i for i in report["items"] if i["id"] == "vcpu")
    assert item["allocated"] == "1804" and item["statuses"] == ["over"]
    assert next(h for h in report["hosts"] if h["name"] == "rogue-01")["presence"] == "extra"
    assert report["coverage"]["unmanaged"] == 1 and report["coverage"]["percent"] < 100


def test_qos_spec_changed_is_drift_on_its_storage_tier(prod_export: Path, edited) -> None:
    def weaken(doc: dict) -> None:
        qos = next(r for r in resources(doc) if r["urn"].endswith("::qos-high-performance"))
        qos["outputs"]["specs"]["minIOPS"] = "500"

    code, report, _ = check_json(edited(weaken), prod_export)
    assert code == 2
    assert [(f["kind"], f["item"], f["expected"], f["actual"]) for f in report["findings"]] == [
        ("drift", "storage_high_performance", "3000", "500")]
    assert report["findings"][0]["subject"] == "qos-high-performance (blockstorage/qosV3)"
    assert report["findings"][0]["property"] == "specs.minIOPS"


def test_subscription_quantity_cut(prod_export: Path, edited) -> None:
    def cut(doc: dict) -> None:
        sub = next(r for r in resources(doc) if r["type"] == "govcloud:contract:Subscription"
                   and r["outputs"].get("itemId") == "cdn")
        sub["outputs"]["quantity"] = "40000"

    code, report, _ = check_json(edited(cut), prod_export)
    assert code == 2
    assert kinds(report) == {("drift", "cdn")}
    assert [(e["item"], e["change"], e["statuses"]) for e in report["findings"][0]["effects"]] == [
        ("cdn", "-10000", ["drift", "under"])]


def test_pending_operation_means_the_state_cannot_be_trusted(prod_export: Path, edited) -> None:
    def interrupt(doc: dict) -> None:
        doc["deployment"]["pending_operations"] = [{"type": "creating", "resource": copy.deepcopy(find(doc, "::hearing-web-02"))}]

    code, report, _ = check_json(edited(interrupt), prod_export)
    assert code == 2
    assert [(f["kind"], f["item"]) for f in report["findings"]] == [("pending-operation", "state")]
    assert "interrupted" in report["findings"][0]["message"]


def test_amendment_changes_the_verdict_by_date(prod_export: Path, tmp_path: Path) -> None:
    sa = tmp_path / "sa.yaml"
    sa.write_text('schema_version: 1\nid: SA-1\ncontract: "2025095"\nsigned: 2026-01-20\neffective: 2026-03-01\n'
                  "clause: article-77\nchanges:\n  - item: vcpu\n    quantity: 2000\n", encoding="utf-8")
    before, report_before, _ = check_json(prod_export, prod_export, "--amendment", str(sa), "--on", "2026-02-28")
    after, report_after, _ = check_json(prod_export, prod_export, "--amendment", str(sa), "--on", "2026-03-01")
    assert before == 0 and report_before["findings"] == []
    assert after == 2 and kinds(report_after) == {("under", "vcpu")}
    assert next(i for i in report_after["items"] if i["id"] == "vcpu")["contracted"] == "2000"


def test_ignore_file_suppresses_until_it_expires(prod_export: Path, edited, tmp_path: Path) -> None:
    def cut(doc: dict) -> None:
        next(r for r in resources(doc) if r["type"] == "govcloud:contract:Subscription"
             and r["outputs"].get("itemId") == "cdn")["outputs"]["quantity"] = "40000"

    state = edited(cut)
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("version: 1\nignore:\n  - item: cdn\n    reason: CDN cut agreed pending SA-2025095-02\n"
                      "    expires: 2026-03-31\n", encoding="utf-8")
    code, report, _ = check_json(state, prod_export, "--ignore", str(ignore), "--on", "2026-03-31")
    assert code == 0 and report["findings"] == [] and len(report["ignored"]) == 1  # the cause, effects with it
    code, report, _ = check_json(state, prod_export, "--ignore", str(ignore), "--on", "2026-04-01")
    assert code == 2
    assert kinds(report) == {("ignore-expired", "cdn"), ("drift", "cdn")}
    expired = next(f for f in report["findings"] if f["kind"] == "ignore-expired")
    assert "ignore.yaml:3" in expired["message"] and "expired on 2026-03-31" in expired["message"]


def test_ignore_entry_without_a_reason_is_refused(prod_export: Path, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("version: 1\nignore:\n  - item: cdn\n    expires: 2026-03-31\n", encoding="utf-8")
    code, _report, err = check_json(prod_export, prod_export, "--ignore", str(ignore))
    assert code == 1 and "ignore.yaml:3: ignore[0].reason: missing required field 'reason'" in err


def test_junit_and_markdown(prod_export: Path, edited, tmp_path: Path) -> None:
    def lower(doc: dict) -> None:
        next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))["outputs"]["cores"] = 1600

    state = edited(lower)
    junit = tmp_path / "check.xml"
    out = govcloud("check", "--stack", "prod", "--state", str(state), "--declared", str(prod_export),
                   "--format", "junit", "--output", str(junit))
    assert out.returncode == 2
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["vcpu"]
    [failure] = failed[0].findall("failure")  # one cause: the quota's cores, its drift and under the effects
    assert "effects: vcpu -200 vCPU (drift, under)" in (failure.text or "")
    assert int(suite.get("tests")) == 19 + 200
    md = govcloud("check", "--stack", "prod", "--state", str(state), "--declared", str(prod_export),
                  "--format", "markdown")
    assert md.returncode == 2
    assert "❌ 1 finding(s)" in md.stdout and "| `vcpu` vCPU(主频不低于2.4GHz) | 1800 vCPU | 1800 | 1600 | drift, under |" in md.stdout


def test_subnet_changed_is_drift_on_the_ip_plan(prod_export: Path, edited) -> None:
    def move(doc: dict) -> None:
        subnet = next(r for r in resources(doc) if r["type"].endswith("subnet:Subnet"))
        subnet["outputs"]["cidr"] = "10.99.0.0/24"

    code, report, _ = check_json(edited(move), prod_export)
    assert code == 2
    assert [(f["kind"], f["item"], f["clause"], f["actual"]) for f in report["findings"]] == [
        ("drift", "ip_plan", "article-35", "10.99.0.0/24")]


def test_the_lab_export_checked_as_lab_finds_only_what_the_lab_leaves_under(tmp_path: Path) -> None:
    lab = tmp_path / "lab-export.json"
    assert govcloud("plan", "--stack", "lab", "--export-state", str(lab), "--format", "json").returncode == 2
    out = govcloud("check", "--stack", "lab", "--state", str(lab), "--format", "json")
    assert out.returncode == 2, out.stderr  # Pulumi.lab.yaml sizes the lab to its four hosts: under by design
    report = json.loads(out.stdout)
    assert {f["kind"] for f in report["findings"]} == {"under"} and report["coverage"]["percent"] == 100.0
