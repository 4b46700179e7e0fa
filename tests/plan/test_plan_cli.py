"""`govcloud plan`: the program under the SDK's mock runtime against the contract (article 2).

Each run is a subprocess (mock state is global to a process), as the CLI runs it.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.plan.support import ROOT, govcloud, items, load_hostplan, make_stack, plan_json

# Article 2 tables of contract 2025095: id -> (quantity, unit)
SEED = {
    "vcpu": ("1800", "vCPU"), "memory": ("4000", "GB"), "storage_high_performance": ("30", "TB"),
    "storage_standard": ("300", "TB"), "backup_local": ("198", "TB"), "internet_bandwidth": ("1.5", "Gbps"),
    "remote_access": ("33", "account"), "ssl_vpn": ("33", "account"), "deep_monitoring": ("200", "host"),
    "os_licence": ("200", "host"), "anti_ddos": ("1", "subscription"), "antivirus": ("200", "host"),
    "host_protection": ("200", "host"), "host_hardening": ("200", "host"), "vuln_scan": ("200", "host"),
    "log_analysis": ("200", "host"), "db_audit": ("11", "host"), "cdn": ("50000", "GB/month"),
    "leased_line": ("2", "line-1Gbps"),
}
PER_HOST = ("deep_monitoring", "os_licence", "antivirus", "host_protection", "host_hardening", "vuln_scan",
            "log_analysis")


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("prod") / "outputs.json"
    proc = govcloud("plan", "--stack", "prod", "--format", "json", "--outputs", str(out))
    return proc.returncode, json.loads(proc.stdout), json.loads(out.read_text(encoding="utf-8"))


def test_prod_declares_every_seed_item_exactly(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    code, doc, _ = prod
    assert code == 0
    assert doc["compliant"] is True
    got = items(doc)
    assert list(got) == list(SEED)  # contract order, every line item
    for item_id, (qty, unit) in SEED.items():
        line = got[item_id]
        assert (line["contracted"], line["declared"], line["unit"], line["status"]) == (qty, qty, unit, "ok"), item_id


def test_prod_hosts_allocate_exactly_the_contract(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    got = items(prod[1])
    assert got["vcpu"]["allocated"] == "1800"
    assert got["memory"]["allocated"] == "4000"
    assert got["storage_high_performance"]["allocated"] == "30"
    assert got["storage_standard"]["allocated"] == "300"
    assert got["db_audit"]["allocated"] == "11"
    for item_id in PER_HOST:
        assert got[item_id]["allocated"] == "200", item_id
    for item_id in ("backup_local", "internet_bandwidth", "cdn", "leased_line", "anti_ddos"):
        assert got[item_id]["allocated"] is None


def test_prod_cost_is_the_contract_total_to_the_fen(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    doc = prod[1]
    assert doc["totals"]["term_cost"] == "5983667.20"  # article 17
    got = items(doc)
    assert got["backup_local"]["term_cost"] == "729907.20"
    assert got["vuln_scan"]["term_cost"] == "240000.00"  # 300 × 200 × 4 occasions
    assert got["host_hardening"]["term_cost"] == "160000.00"  # once
    assert got["vcpu"]["monthly_cost"] == "25200.00"
    assert sum(Decimal(i["term_cost"]) for i in doc["items"]) == Decimal("5983667.20")


def test_prod_resources_declared(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    doc = prod[1]
    by_type = doc["resources"]["by_type"]
    assert doc["hosts"] == 200
    assert by_type["openstack:compute/instance:Instance"] == 200
    assert by_type["openstack:compute/quotaSetV2:QuotaSetV2"] == 1
    assert by_type["openstack:blockstorage/quoteSetV3:QuoteSetV3"] == 1
    assert by_type["openstack:blockstorage/volumeTypeV3:VolumeTypeV3"] == 2
    assert by_type["govcloud:contract:Subscription"] == 13
    assert doc["resources"]["total"] == sum(by_type.values())


def test_plan_json_matches_its_schema(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(prod[1])) == []
    broken = dict(prod[1], exit_code=1)
    assert list(Draft202012Validator(schema).iter_errors(broken))  # the schema does reject


def test_outputs_file_lists_hosts_and_declared_totals(prod: tuple[int, dict[str, Any], dict[str, Any]]) -> None:
    outputs = prod[2]
    hosts = outputs["hosts"]
    assert len(hosts) == 200
    assert len({h["name"] for h in hosts}) == 200
    assert len({h["address"] for h in hosts}) == 200
    assert {"name", "address", "groups", "role", "flavor", "addons", "system"} <= set(hosts[0])
    dbs = [h for h in hosts if h["role"] == "db"]
    assert len(dbs) == 11 and all("db_audit" in h["addons"] and "role_db" in h["groups"] for h in dbs)
    assert all(set(PER_HOST) <= set(h["addons"]) for h in hosts)
    assert {h["system"] for h in hosts} == {"hearing", "litigation", "disclosure", "platform"}
    assert outputs["declared"]["vcpu"] == {"quantity": "1800", "allocated": "1800", "unit": "vCPU"}
    assert outputs["declared"]["cdn"]["quantity"] == "50000"


def test_committed_inventories_are_current(prod: tuple[int, dict[str, Any], dict[str, Any]], tmp_path: Path) -> None:
    """inventory/*-hosts.json are generated by `govcloud plan --outputs`; they must not go stale."""
    assert json.loads((ROOT / "inventory" / "prod-hosts.json").read_text(encoding="utf-8")) == prod[2]
    out = tmp_path / "lab.json"
    proc = govcloud("plan", "--stack", "lab", "--format", "json", "--outputs", str(out))
    assert proc.returncode == 2  # the lab is sized to its four hosts: contract items under
    assert json.loads((ROOT / "inventory" / "lab-hosts.json").read_text(encoding="utf-8")) == json.loads(
        out.read_text(encoding="utf-8"))


def test_lab_outputs_four_hosts_by_role(tmp_path: Path) -> None:
    out = tmp_path / "lab.json"
    proc = govcloud("plan", "--stack", "lab", "--outputs", str(out))
    assert proc.returncode == 2, proc.stderr
    assert "under" in proc.stdout
    hosts = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    assert [(h["name"], h["role"]) for h in hosts] == [
        ("lab-app-01", "app"), ("lab-app-02", "app"), ("lab-db-01", "db"), ("lab-log-01", "log")]


def test_table_for_people(tmp_path: Path) -> None:
    proc = govcloud("plan", "--stack", "prod", env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "compliant" in proc.stdout and "5983667.20" in proc.stdout
    assert "openstack:compute/instance:Instance" in proc.stdout


def _bump_group(plan: dict[str, Any], group: str, **changes: Any) -> dict[str, Any]:
    for g in plan["groups"]:
        if g["name"] == group:
            g.update(changes)
            return plan
    raise AssertionError(group)


def test_over_allocated_vcpu_is_over_and_exit_2(tmp_path: Path) -> None:
    plan = _bump_group(load_hostplan(), "hearing-app", flavor="gc.c16m32")  # 24 hosts × +8 vCPU, +16 GB
    code, doc, err = plan_json(make_stack(tmp_path, hostplan=plan))
    assert code == 2, err
    got = items(doc)
    assert got["vcpu"]["status"] == "over" and got["vcpu"]["allocated"] == "1992"
    assert got["vcpu"]["declared"] == "1800"  # the quota stays at the contract
    assert got["memory"]["status"] == "over"
    assert got["storage_standard"]["status"] == "ok"
    assert doc["compliant"] is False


def test_over_allocated_storage_is_over_and_exit_2(tmp_path: Path) -> None:
    plan = _bump_group(load_hostplan(), "hearing-media", disks={"storage_standard": 4100})
    code, doc, err = plan_json(make_stack(tmp_path, hostplan=plan))
    assert code == 2, err
    got = items(doc)
    assert got["storage_standard"]["status"] == "over"
    assert Decimal(got["storage_standard"]["allocated"]) == Decimal(307200 + 30 * 100) / 1024
    assert got["vcpu"]["status"] == "ok"


def test_under_provisioned_quota_is_under_and_exit_2(tmp_path: Path) -> None:
    code, doc, err = plan_json(make_stack(tmp_path, govcloud__quotaOverrides={"vcpu": 1600, "backup_local": 150}))
    assert code == 2, err
    got = items(doc)
    assert (got["vcpu"]["declared"], got["vcpu"]["status"]) == ("1600", "under")
    assert (got["backup_local"]["declared"], got["backup_local"]["status"]) == ("150", "under")
    assert got["vcpu"]["term_cost"] == "268800.00"  # 14 × 1600 × 12: the cost of what is declared
    assert got["memory"]["status"] == "ok"


def test_quota_above_contract_is_over(tmp_path: Path) -> None:
    code, doc, _ = plan_json(make_stack(tmp_path, govcloud__quotaOverrides={"internet_bandwidth": 2}))
    assert code == 2
    assert items(doc)["internet_bandwidth"]["status"] == "over"


def test_overlapping_subnets_name_file_and_key(tmp_path: Path) -> None:
    plan = load_hostplan()
    plan["networks"][0] = {"name": "dmz", "cidr": "10.95.8.0/22"}
    plan["networks"][1] = {"name": "app", "cidr": "10.95.10.0/24"}
    d = make_stack(tmp_path, hostplan=plan)
    code, _, err = plan_json(d)
    assert code == 1
    assert f"{d / 'hostplan-test.yaml'}: networks[1].cidr" in err
    assert "overlaps subnet 'dmz'" in err


def test_subnet_on_reserved_range_is_an_error(tmp_path: Path) -> None:
    plan = load_hostplan()
    plan["networks"][0] = {"name": "dmz", "cidr": "10.95.0.0/24"}
    code, _, err = plan_json(make_stack(tmp_path, hostplan=plan))
    assert code == 1 and "networks[0].cidr" in err and "reserved" in err


@pytest.mark.parametrize("supernet, expected", [
    ("10.95.0.0/33", "expected an IPv4 CIDR"),
    ("10.95.0.1/16", "host bits set"),
    ("banana", "expected an IPv4 CIDR such as 10.95.0.0/16"),
])
def test_bad_supernet_names_the_key(tmp_path: Path, supernet: str, expected: str) -> None:
    code, _, err = plan_json(make_stack(tmp_path, govcloud__supernet=supernet))
    assert code == 1
    assert "govcloud:supernet" in err and expected in err


def test_unknown_flavor_names_file_and_key(tmp_path: Path) -> None:
    plan = _bump_group(load_hostplan(), "litigation-db", flavor="gc.c99m999")
    d = make_stack(tmp_path, hostplan=plan)
    code, _, err = plan_json(d)
    assert code == 1
    assert "hostplan-test.yaml" in err and "groups[7].flavor" in err
    assert "unknown flavor 'gc.c99m999'" in err and "gc.c16m64" in err


def test_db_group_without_db_audit_is_an_error(tmp_path: Path) -> None:
    plan = _bump_group(load_hostplan(), "hearing-db", addons=["deep_monitoring", "os_licence"])
    code, _, err = plan_json(make_stack(tmp_path, hostplan=plan))
    assert code == 1 and "groups[3].addons" in err and "db_audit" in err


@pytest.mark.parametrize("config, key, expected", [
    ({"govcloud__supernett": "10.0.0.0/8"}, "govcloud:supernett", "unknown field"),
    ({"govcloud__projectName": None}, "govcloud:projectName", "missing required field"),
    ({"govcloud__provision": "maybe"}, "govcloud:provision", "expected one of contract, hostplan"),
    ({"govcloud__adminPassword": "hunter2"}, "govcloud:adminPassword", "pulumi config set --secret"),
    ({"govcloud__reserved": ["10.95.0.0"]}, "govcloud:reserved[0]", "IPv4 CIDR"),
])
def test_config_schema_errors_name_the_key(tmp_path: Path, config: dict[str, Any], key: str, expected: str) -> None:
    code, _, err = plan_json(make_stack(tmp_path, **config))
    assert code == 1
    assert "Pulumi.test.yaml:" in err and f": {key}: " in err and expected in err
    assert "hunter2" not in err


def test_unknown_stack_is_an_error() -> None:
    proc = govcloud("plan", "--stack", "nosuch")
    assert proc.returncode == 1
    assert "Pulumi.nosuch.yaml" in proc.stderr and "lab, prod" in proc.stderr


AMENDMENT = """schema_version: 1
id: SA-2026-01
contract: "2025095"
signed: 2026-01-10
effective: 2026-01-16
clause: article-77
changes:
  - item: vcpu
    quantity: 2000
  - item: memory
    quantity: 4400
"""


@pytest.mark.parametrize("on, status, code", [("2025-12-01", "over", 2), ("2026-02-01", "ok", 0)])
def test_an_amendment_in_force_allows_the_larger_fleet(tmp_path: Path, on: str, status: str, code: int) -> None:
    """Articles 7, 77: more than contracted needs a supplementary agreement, from its effective date."""
    amendment = tmp_path / "sa-2026-01.yaml"
    amendment.write_text(AMENDMENT, encoding="utf-8")
    plan = _bump_group(load_hostplan(), "hearing-app", flavor="gc.c16m32")  # 1992 vCPU, 4384 GB
    got_code, doc, err = plan_json(make_stack(tmp_path, hostplan=plan, govcloud__amendments=[str(amendment)],
                                              govcloud__on=on))
    assert got_code == code, err
    got = items(doc)
    assert got["vcpu"]["status"] == status and got["memory"]["status"] == status
    assert got["vcpu"]["allocated"] == "1992"
    if status == "ok":
        assert (got["vcpu"]["contracted"], got["vcpu"]["declared"]) == ("2000", "2000")
