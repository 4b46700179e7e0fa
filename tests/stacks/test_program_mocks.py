"""The Pulumi program under the SDK's mock runtime (Pulumi's documented unit-test path).

One subprocess runs the prod stack and dumps every registered resource with its
camelCase inputs; the tests assert on those inputs, per contract clause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netaddr import IPAddress, IPNetwork, IPSet

from tests.plan.support import ROOT, dump, make_stack

SECRET = "Zq-9431-never-printed"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's secret signature


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return dump("prod", ROOT, {"govcloud:adminPassword": SECRET})


def of_type(doc: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    return [r for r in doc["resources"] if r["type"].endswith(suffix)]


def one(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    found = of_type(doc, suffix)
    assert len(found) == 1, suffix
    return found[0]["inputs"]


def test_compute_quota_is_the_contract(prod: dict[str, Any]) -> None:
    q = one(prod, ":QuotaSetV2")
    assert (q["cores"], q["ram"], q["instances"]) == (1800, 4000 * 1024, 200)


def test_block_storage_quota_per_volume_type_and_backups(prod: dict[str, Any]) -> None:
    q = one(prod, ":QuoteSetV3")
    assert q["volumeTypeQuota"] == {"gigabytes_high-performance": "30720", "gigabytes_standard": "307200"}
    assert q["backupGigabytes"] == 198 * 1024
    assert q["gigabytes"] == 30720 + 307200


def test_volume_types_carry_the_contracted_iops(prod: dict[str, Any]) -> None:
    types = {r["inputs"]["name"]: r["inputs"] for r in of_type(prod, ":VolumeTypeV3")}
    assert types["high-performance"]["extraSpecs"]["govcloud:line_item"] == "storage_high_performance"
    assert types["standard"]["extraSpecs"]["govcloud:line_item"] == "storage_standard"
    qos = {r["inputs"]["name"]: r["inputs"]["specs"] for r in of_type(prod, ":QosV3")}
    assert qos["high-performance-iops"] == {"total_iops_sec": "10000", "minIOPS": "3000", "maxIOPS": "10000"}
    assert qos["standard-iops"] == {"total_iops_sec": "3000", "minIOPS": "1000", "maxIOPS": "3000"}
    assert len(of_type(prod, ":QosAssociationV3")) == 2


def test_flavors_record_the_clock_floor(prod: dict[str, Any]) -> None:
    flavors = [r["inputs"] for r in of_type(prod, ":Flavor")]
    assert len(flavors) == 5
    assert all(f["extraSpecs"]["govcloud:cpu_min_ghz"] == "2.4" for f in flavors)
    assert {f["name"]: (f["vcpus"], f["ram"]) for f in flavors}["gc.c16m64"] == (16, 64 * 1024)


def test_internet_bandwidth_is_a_1_5_gbps_limit(prod: dict[str, Any]) -> None:
    rule = one(prod, ":QosBandwidthLimitRule")
    assert (rule["maxKbps"], rule["direction"]) == (1_500_000, "egress")
    assert len(of_type(prod, ":QosPolicy")) == 1


def test_subscriptions_record_item_quantity_and_unit(prod: dict[str, Any]) -> None:
    subs = {r["inputs"]["itemId"]: r["inputs"] for r in of_type(prod, "Subscription")}
    expect = {"remote_access": ("33", "account"), "ssl_vpn": ("33", "account"), "anti_ddos": ("1", "subscription"),
              "cdn": ("50000", "GB/month"), "leased_line": ("2", "line-1Gbps"), "os_licence": ("200", "host"),
              "db_audit": ("11", "host"), "deep_monitoring": ("200", "host"), "antivirus": ("200", "host"),
              "host_protection": ("200", "host"), "host_hardening": ("200", "host"), "vuln_scan": ("200", "host"),
              "log_analysis": ("200", "host")}
    assert {k: (v["quantity"], v["unit"]) for k, v in subs.items()} == expect
    assert subs["leased_line"]["attributes"]["bandwidth"] == "1Gbps"
    assert all(not r["custom"] for r in of_type(prod, "Subscription"))  # component resources


def test_fleet_200_hosts_11_databases(prod: dict[str, Any]) -> None:
    hosts = [r["inputs"] for r in of_type(prod, ":Instance")]
    assert len(hosts) == 200
    dbs = [h for h in hosts if h["metadata"]["govcloud:role"] == "db"]
    assert len(dbs) == 11
    assert all("db_audit" in h["metadata"]["govcloud:addons"].split(",") for h in dbs)
    assert not any("db_audit" in h["metadata"]["govcloud:addons"] for h in hosts if h not in dbs)
    assert sum(d["volumeSize"] for h in hosts for d in h["blockDevices"] if d["volumeType"] == "high-performance") \
        == 30 * 1024
    assert all(h["blockDevices"][0]["sourceType"] == "image" and h["blockDevices"][0]["bootIndex"] == 0
               for h in hosts)


def test_admin_password_is_registered_as_a_secret_and_never_shown(prod: dict[str, Any], tmp_path: Path) -> None:
    host = of_type(prod, ":Instance")[0]["inputs"]
    assert SECRET_SIG in host["adminPass"]  # the runtime sends it as a secret value
    assert host["adminPass"]["value"] == "[secret]"
    import json

    assert SECRET not in json.dumps(prod)
    assert "adminPassword" not in json.dumps(prod["outputs"])


def test_addresses_inside_their_subnet_outside_reserved_and_unique(prod: dict[str, Any]) -> None:
    subnets = {r["inputs"]["name"].rsplit("-", 1)[-1]: IPNetwork(r["inputs"]["cidr"])
               for r in of_type(prod, ":Subnet")}
    reserved = IPSet(["10.95.0.0/24", "10.95.255.0/24"])
    supernet = IPNetwork("10.95.0.0/16")
    nets = list(subnets.values())
    for i, a in enumerate(nets):
        assert a in supernet and IPSet([a]).isdisjoint(reserved)
        for b in nets[i + 1:]:
            assert IPSet([a]).isdisjoint(IPSet([b]))
    seen: set[str] = set()
    for host in prod["outputs"]["hosts"]:
        ip = IPAddress(host["address"])
        net = subnets[host["network"]]
        assert ip in net and ip not in (net.network, net.broadcast, IPAddress(net.first + 1))
        assert host["address"] not in seen
        seen.add(host["address"])


def test_hostplan_quota_mode_sizes_quotas_to_hosts(tmp_path: Path) -> None:
    d = dump("lab", ROOT)
    q = one(d, ":QuotaSetV2")
    assert (q["cores"], q["ram"]) == (8, 16 * 1024)
    assert len(of_type(d, ":Instance")) == 4
    assert not [r for r in of_type(d, "Subscription") if r["inputs"]["itemId"] in ("cdn", "leased_line")]


def test_amendment_free_stack_with_missing_secret_still_plans_offline(tmp_path: Path) -> None:
    """No adminPassword in the stack file: the offline run stands in a placeholder, marked secret."""
    d = dump("test", make_stack(tmp_path))
    host = of_type(d, ":Instance")[0]["inputs"]
    assert SECRET_SIG in host["adminPass"]
