"""The CrossGuard pack (policy/): each validate function called on the argument objects
pulumi-policy builds for the engine, with the props the prod program registers."""

from __future__ import annotations

import copy
import sys
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs,
)

from tests.plan.support import ROOT, dump

sys.path.insert(0, str(ROOT / "policy"))
import contract_policies as cp  # noqa: E402


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _resource(r: dict[str, Any]) -> PolicyResource:
    urn = f"urn:pulumi:prod::govcloud::{r['type']}::{r['name']}"
    return PolicyResource(r["type"], r["inputs"], urn, r["name"], _opts(), None, None, [], {})


@pytest.fixture(scope="module")
def prod_resources() -> list[dict[str, Any]]:
    return dump("prod", ROOT)["resources"]


def _stack(resources: list[dict[str, Any]]) -> StackValidationArgs:
    return StackValidationArgs([_resource(r) for r in resources], {})


def _violations(validate: Any, args: Any) -> list[str]:
    found: list[str] = []
    validate(args, lambda message, urn=None: found.append(message))
    return found


def _edit(resources: list[dict[str, Any]], suffix: str, name: str | None = None, **inputs: Any) -> list[dict[str, Any]]:
    out = copy.deepcopy(resources)
    target = next(r for r in out if r["type"].endswith(suffix) and name in (None, r["name"]))
    target["inputs"].update(inputs)
    return out


def test_prod_passes_every_policy(prod_resources: list[dict[str, Any]]) -> None:
    args = _stack(prod_resources)
    assert _violations(cp.validate_quotas, args) == []
    assert _violations(cp.validate_allocation, args) == []
    for r in prod_resources:
        res = _resource(r)
        rargs = ResourceValidationArgs(res.resource_type, res.props, res.urn, res.name, _opts(), None)
        assert _violations(cp.validate_host_addons, rargs) == []


def test_quota_below_contract_is_a_violation(prod_resources: list[dict[str, Any]]) -> None:
    found = _violations(cp.validate_quotas, _stack(_edit(prod_resources, ":QuotaSetV2", cores=1600)))
    assert found == ["vcpu (vCPU(主频不低于2.4GHz), article-2): provisioned 1600 vCPU, contract requires at least "
                     "1800 vCPU"]


def test_missing_subscription_is_a_violation(prod_resources: list[dict[str, Any]]) -> None:
    without_cdn = [r for r in prod_resources if r["inputs"].get("itemId") != "cdn"]
    found = _violations(cp.validate_quotas, _stack(without_cdn))
    assert len(found) == 1 and found[0].startswith("cdn ")


def test_allocation_above_contract_needs_an_amendment(prod_resources: list[dict[str, Any]]) -> None:
    resources = _edit(prod_resources, ":Instance", "hearing-web-01", flavorName="gc.c16m64")  # c4m8: +12 vCPU
    found = _violations(cp.validate_allocation, _stack(resources))
    assert any(m.startswith("vcpu ") and "allocation 1812 vCPU exceeds the contracted 1800" in m and "article 7" in m
               for m in found)
    assert any(m.startswith("memory ") for m in found)


def test_quota_above_contract_is_a_violation(prod_resources: list[dict[str, Any]]) -> None:
    found = _violations(cp.validate_allocation, _stack(_edit(prod_resources, ":QosBandwidthLimitRule",
                                                             maxKbps=2_000_000)))
    assert found and found[0].startswith("internet_bandwidth ") and "provision 2 Gbps" in found[0]


def test_db_host_without_db_audit_is_a_violation(prod_resources: list[dict[str, Any]]) -> None:
    db = copy.deepcopy(next(r for r in prod_resources if r["type"].endswith(":Instance")
                            and r["inputs"]["metadata"]["govcloud:role"] == "db"))
    db["inputs"]["metadata"]["govcloud:addons"] = "deep_monitoring,os_licence,antivirus"
    res = _resource(db)
    found = _violations(cp.validate_host_addons,
                        ResourceValidationArgs(res.resource_type, res.props, res.urn, res.name, _opts(), None))
    assert found == [f"instance {db['name']} (role db) lacks contracted add-ons: host_protection, host_hardening, "
                     "vuln_scan, log_analysis, db_audit (article 2)"]


def test_uncountable_stack_is_reported_not_crashed(prod_resources: list[dict[str, Any]]) -> None:
    found = _violations(cp.validate_quotas, _stack(_edit(prod_resources, ":Instance", flavorName="nope")))
    assert len(found) == 1 and "unknown flavor 'nope'" in found[0]


def test_pack_declares_three_mandatory_policies() -> None:
    assert [p.name for p in cp.POLICIES] == ["quotas-not-below-contract", "allocation-within-contract",
                                             "hosts-carry-contracted-addons"]
    assert all(p.enforcement_level.value == "mandatory" for p in cp.POLICIES)
