"""The counting table (resource type + property -> line item, unit conversion), on plain
(type, inputs) pairs as a `pulumi stack export` holds them — no runtime involved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from govcloud.ledger.counting import (
    BANDWIDTH_RULE, FLAVOR, INSTANCE, QUOTA_BLOCK, QUOTA_COMPUTE, RULES, SUBSCRIPTION, VOLUME, VOLUME_TYPE,
    MappingError, Resource, tally,
)

BASE = [
    Resource(FLAVOR, "flavor-a", {"name": "gc.c8m16", "vcpus": 8, "ram": 16384}),
    Resource(VOLUME_TYPE, "vt-hp", {"name": "high-performance",
                                    "extraSpecs": {"govcloud:line_item": "storage_high_performance"}}),
    Resource(VOLUME_TYPE, "vt-std", {"name": "standard", "extraSpecs": {"govcloud:line_item": "storage_standard"}}),
]


def test_quota_units_convert() -> None:
    t = tally(BASE + [
        Resource(QUOTA_COMPUTE, "q", {"cores": 1800.0, "ram": 4096000.0}),  # the engine sends floats
        Resource(QUOTA_BLOCK, "b", {"volumeTypeQuota": {"gigabytes_high-performance": "30720",
                                                        "gigabytes_standard": "307200", "volumes_standard": "50"},
                                    "backupGigabytes": 202752, "gigabytes": 337920}),
        Resource(BANDWIDTH_RULE, "bw", {"maxKbps": 1500000, "direction": "egress"}),
        Resource(BANDWIDTH_RULE, "bw-in", {"maxKbps": 9000000, "direction": "ingress"}),
    ])
    assert t.total("vcpu", "provision") == Decimal(1800)
    assert t.total("memory", "provision") == Decimal(4000)
    assert t.total("storage_high_performance", "provision") == Decimal(30)
    assert t.total("storage_standard", "provision") == Decimal(300)
    assert t.total("backup_local", "provision") == Decimal(198)
    assert t.total("internet_bandwidth", "provision") == Decimal("1.5")  # ingress not counted
    assert t.total("vcpu", "allocation") is None


def test_instances_count_flavor_disks_and_addons() -> None:
    host = {"name": "h1", "flavorName": "gc.c8m16",
            "blockDevices": [{"destinationType": "volume", "volumeSize": 100, "volumeType": "standard"},
                             {"destinationType": "volume", "volumeSize": 512, "volumeType": "high-performance"},
                             {"destinationType": "local", "volumeSize": 999, "volumeType": "standard"}],
            "metadata": {"govcloud:role": "db", "govcloud:addons": "antivirus,db_audit"}}
    t = tally(BASE + [Resource(INSTANCE, "h1", host), Resource(INSTANCE, "h2", dict(host, name="h2")),
                      Resource(VOLUME, "v", {"size": 1024, "volumeType": "standard"})])
    assert t.total("vcpu", "allocation") == 16
    assert t.total("memory", "allocation") == 32
    assert t.total("storage_high_performance", "allocation") == Decimal(1024) / 1024
    assert t.total("storage_standard", "allocation") == Decimal(200 + 1024) / 1024
    assert t.total("db_audit", "allocation") == 2 and t.total("antivirus", "allocation") == 2
    assert [h.name for h in t.hosts] == ["h1", "h2"] and t.hosts[0].role == "db"


def test_subscription_counts_its_item() -> None:
    t = tally([Resource(SUBSCRIPTION, "s", {"itemId": "cdn", "quantity": "50000", "unit": "GB/month"})])
    assert t.total("cdn", "provision") == 50000 and t.units == {"cdn": "GB/month"}


@pytest.mark.parametrize("resource, message", [
    (Resource(INSTANCE, "h", {"flavorName": "nope"}), "h.flavorName: unknown flavor 'nope'"),
    (Resource(VOLUME, "v", {"size": 1, "volumeType": "gold"}), "v.volumeType: unknown volume type 'gold'"),
    (Resource(QUOTA_COMPUTE, "q", {"cores": "lots"}), "q.cores: expected a number"),
    (Resource(SUBSCRIPTION, "s", {"quantity": "1"}), "s.itemId: expected a line item id"),
])
def test_uncountable_resources_are_errors(resource: Resource, message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tally(BASE + [resource])


def test_the_table_names_every_mapped_type() -> None:
    types = {r.type for r in RULES}
    assert {QUOTA_COMPUTE, QUOTA_BLOCK, BANDWIDTH_RULE, SUBSCRIPTION, INSTANCE, VOLUME} <= types
    assert next(r for r in RULES if r.property == "ram").factor * 1024 == 1
