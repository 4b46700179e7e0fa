"""The one judgement: ok / under (article 2) / over (articles 7, 77, 79), and the statuses of a deployed state."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from govcloud.ledger.judgement import ORDER, Status, allocation, deployment, judge, provision, worst


@pytest.mark.parametrize("quantity, expected", [
    (D(1800), Status.OK), (D(1600), Status.UNDER), (D(2000), Status.OVER), (None, Status.UNDER),
    (D("1800.0"), Status.OK), (D("1799.99"), Status.UNDER),
])
def test_provision(quantity, expected) -> None:  # type: ignore[no-untyped-def]
    assert provision(D(1800), quantity) is expected


@pytest.mark.parametrize("allocated, expected", [
    (None, Status.OK), (D(0), Status.OK), (D(1800), Status.OK), (D(1812), Status.OVER),
])
def test_allocation_is_never_under(allocated, expected) -> None:  # type: ignore[no-untyped-def]
    assert allocation(D(1800), allocated) is expected


@pytest.mark.parametrize("declared, deployed, measured, expected", [
    (D(1), D(1), True, Status.OK), (None, None, True, Status.OK), (D(1), None, True, Status.MISSING),
    (None, D(1), True, Status.UNMANAGED), (D(1), D(2), True, Status.DRIFT), (D(1), D(1), False, Status.UNVERIFIABLE),
])
def test_deployment(declared, deployed, measured, expected) -> None:  # type: ignore[no-untyped-def]
    assert deployment(declared, deployed, measured) is expected


@pytest.mark.parametrize("provided, allocated, statuses, status", [
    (D(1800), D(1800), (), Status.OK),
    (D(1800), D(1700), (), Status.OK),
    (D(1600), D(1700), (Status.UNDER,), Status.UNDER),
    (D(2000), None, (Status.OVER,), Status.OVER),
    (D(1800), D(1812), (Status.OVER,), Status.OVER),
    (D(2000), D(2000), (Status.OVER,), Status.OVER),  # one over, found once
    (D(1600), D(1812), (Status.UNDER, Status.OVER), Status.UNDER),  # both: under comes first
])
def test_judge(provided, allocated, statuses, status) -> None:  # type: ignore[no-untyped-def]
    j = judge(D(1800), provided, allocated)
    assert (j.statuses, j.status) == (statuses, status)


def test_worst_follows_the_one_order() -> None:
    assert worst([]) is Status.OK
    assert worst(["over", "under"]) is Status.UNDER
    assert worst([Status.UNDER, Status.DRIFT]) is Status.DRIFT
    assert worst(["unverifiable", "over"]) is Status.OVER
    assert [s.value for s in ORDER] == ["missing", "unmanaged", "drift", "under", "over", "unverifiable", "ok"]


def test_a_status_prints_and_serialises_as_its_word() -> None:
    assert f"{Status.UNDER}" == "under" and Status.OVER == "over"
    assert json.dumps({"status": Status.DRIFT}) == '{"status": "drift"}'
