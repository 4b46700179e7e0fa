"""Article 35 address plan: deterministic, non-overlapping, reserved ranges respected."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netaddr import IPNetwork, IPSet

from govcloud.tenancy.errors import StackError
from govcloud.tenancy.hostplan import HostPlan, NetworkTier, load_host_plan
from govcloud.tenancy.netplan import Where, plan_network
from tests.plan.support import PROD_HOSTPLAN

AT = Where("Pulumi.test.yaml", "govcloud:supernet")
RES = Where("Pulumi.test.yaml", "govcloud:reserved")


def _with_tiers(plan: HostPlan, prefixes: list[int]) -> HostPlan:
    tiers = tuple(NetworkTier(f"n{i}", p, None, "", i) for i, p in enumerate(prefixes))
    return HostPlan(plan.source, plan.systems, plan.flavors, tiers, plan.images, plan.reserved_head, ())


def test_prod_plan_is_deterministic() -> None:
    plan = load_host_plan(PROD_HOSTPLAN)
    a = plan_network("10.95.0.0/16", AT, ("10.95.0.0/24",), RES, plan)
    b = plan_network("10.95.0.0/16", AT, ("10.95.0.0/24",), RES, plan)
    assert a == b
    assert [s.cidr for s in a.subnets] == ["10.95.1.0/24", "10.95.2.0/24", "10.95.3.0/26", "10.95.3.64/26"]
    assert a.subnet("dmz").addresses[0] == ("hearing-web-01", "10.95.1.12")  # gateway .1, .2-.11 for the provider


@settings(max_examples=60, deadline=None)
@given(prefixes=st.lists(st.integers(min_value=20, max_value=28), min_size=1, max_size=8),
       reserved=st.lists(st.integers(min_value=0, max_value=15), max_size=4, unique=True))
def test_subnets_never_overlap_and_avoid_reserved(prefixes: list[int], reserved: list[int]) -> None:
    plan = _with_tiers(load_host_plan(PROD_HOSTPLAN), prefixes)
    reserved_cidrs = tuple(f"10.95.{16 * r}.0/20" for r in reserved)
    try:
        net = plan_network("10.95.0.0/16", AT, reserved_cidrs, RES, plan)
    except StackError as exc:
        assert "no free" in str(exc)  # the only acceptable failure: the supernet is full
        return
    taken = IPSet(reserved_cidrs)
    for s in net.subnets:
        cidr = IPNetwork(s.cidr)
        assert cidr in IPNetwork("10.95.0.0/16")
        assert IPSet([cidr]).isdisjoint(taken), s
        taken.add(cidr)


def test_a_full_supernet_names_the_tier() -> None:
    plan = _with_tiers(load_host_plan(PROD_HOSTPLAN), [25, 25, 25])
    with pytest.raises(StackError, match=r"networks\[2\]\.prefixlen: no free /25"):
        plan_network("10.95.0.0/24", AT, (), RES, plan)


def test_too_small_subnet_for_its_hosts(tmp_path: Path) -> None:
    text = PROD_HOSTPLAN.read_text(encoding="utf-8").replace("{name: dmz, prefixlen: 24", "{name: dmz, prefixlen: 26")
    p = tmp_path / "hp.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(StackError, match=r"networks\[0\]: 'dmz' \(10.95.1.0/26\) holds 51 hosts .* but 74 hosts"):
        plan_network("10.95.0.0/16", AT, ("10.95.0.0/24",), RES, load_host_plan(p))


def test_reserved_must_be_cidrs() -> None:
    plan = load_host_plan(PROD_HOSTPLAN)
    with pytest.raises(StackError, match=r"govcloud:reserved\[1\]: expected an IPv4 CIDR"):
        plan_network("10.95.0.0/16", AT, ("10.95.0.0/24", "10.95.1.0/40"), RES, plan)
