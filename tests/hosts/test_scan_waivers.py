"""OpenSCAP waivers (playbooks/scan-waivers.yml) and the judge's arithmetic, without hosts: the project
file loads, bad files name file, field and line, and failing rules split into waived and unwaived."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.hosts.judges import judge_profile, rule_results
from govcloud.hosts.scan_waivers import load_scan_waivers

HEAD = "version: 1\ncontent: ssg-debian12-ds.xml\nwaivers:\n"
GOOD = HEAD + """\
  - rule: partition_for_home
    profiles: [standard]
    reason: partitions come with the provider's image
  - rule: service_auditd_enabled
    profiles: [standard, anssi_bp28_minimal]
    host_kinds: [container]
    control: addon.host_protection.auditd_runtime
    reason: auditd needs the initial audit namespace
"""
RESULTS = """<?xml version="1.0"?>
<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2"><TestResult>
<rule-result idref="xccdf_org.ssgproject.content_rule_partition_for_home"><result>fail</result></rule-result>
<rule-result idref="xccdf_org.ssgproject.content_rule_service_auditd_enabled"><result>fail</result></rule-result>
<rule-result idref="xccdf_org.ssgproject.content_rule_sshd_disable_root_login"><result>pass</result></rule-result>
<rule-result idref="xccdf_org.ssgproject.content_rule_package_telnet_removed"><result>error</result></rule-result>
<rule-result idref="xccdf_org.ssgproject.content_rule_grub2_password"><result>notapplicable</result></rule-result>
<rule-result idref="xccdf_org.ssgproject.content_rule_selinux_state"><result>notselected</result></rule-result>
</TestResult></Benchmark>"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scan-waivers.yml"
    p.write_text(text, encoding="utf-8")
    return p


def _issues(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        load_scan_waivers(path)
    assert all(i.file == str(path) for i in err.value.issues)
    return [f"{i.line}:{i.path}: {i.expected}" for i in err.value.issues]


def test_the_project_waivers_load_and_name_known_controls():
    w = load_scan_waivers()
    assert w.waivers and all(len(x.reason) >= 20 for x in w.waivers)
    assert w.find("standard", "service_auditd_enabled", "container").control == "addon.host_protection.auditd_runtime"
    # kernel-bound rules are excused on containers only, never on a real machine
    assert w.find("standard", "service_auditd_enabled", "machine") is None


def test_failing_rules_split_into_waived_and_unwaived(tmp_path):
    w = load_scan_waivers(_write(tmp_path, GOOD))
    results = rule_results(RESULTS)
    assert results["partition_for_home"] == "fail" and "selinux_state" in results
    v = judge_profile("standard", results, w, "container")
    assert v.summary() == {"pass": 1, "fail": 3, "waived": 2, "unwaived": 1, "notapplicable": 1, "notchecked": 0}
    assert v.unwaived == ("package_telnet_removed",)
    on_machine = judge_profile("standard", results, w, "machine")
    assert on_machine.unwaived == ("package_telnet_removed", "service_auditd_enabled")
    other = judge_profile("anssi_bp28_minimal", results, w, "container")
    assert other.unwaived == ("package_telnet_removed", "partition_for_home")


def test_a_waiver_needs_a_reason_and_a_known_profile_shape(tmp_path):
    p = _write(tmp_path, HEAD + "  - rule: partition_for_home\n    profiles: [Standard]\n    reason: too short\n")
    assert _issues(p) == [
        "5:waivers[0].profiles[0]: expected a profile id without the xccdf_org.ssgproject.content_profile_ "
        "prefix, e.g. standard, got 'Standard'",
        "6:waivers[0].reason: expected at least 20 characters, got 'too short'"]


def test_unknown_fields_controls_and_duplicates(tmp_path):
    p = _write(tmp_path, GOOD + """\
  - rule: partition_for_home
    profiles: [standard]
    control: "8.1.4.99z"
    reason: the same rule and profile again, on every host kind
""")
    assert _issues(p) == [
        "12:waivers[2].rule: one waiver per rule, profile and host kind; 'partition_for_home' in 'standard' "
        "on container hosts is also waivers[0]",
        "14:waivers[2].control: the id of a control in controls.yml; '8.1.4.99z' is not"]
    p = _write(tmp_path, GOOD.replace("    host_kinds: [container]\n", "    host_kinds: [vm]\n    owner: me\n"))
    issues = _issues(p)
    assert any(i.startswith("9:waivers[1].host_kinds[0]: expected one of container, chroot, machine") for i in issues)
    assert any(i.startswith("10:waivers[1].owner: unknown field 'owner'") for i in issues)


def test_missing_file_and_version(tmp_path):
    with pytest.raises(InputError, match="scan waiver file not found"):
        load_scan_waivers(tmp_path / "none.yml")
    assert _issues(_write(tmp_path, GOOD.replace("version: 1", "version: 2"))) == ["1:version: expected 1, got 2"]
