"""The one judgement of a line item: contracted against counted quantities (article 2; articles 7, 77, 79).

The contract states minimums (数量上不低于以下最低要求): less than contracted is ``under`` (the
provider owes it, article 2); more provisioned, or more allocated to hosts, is ``over`` (more
needs a supplementary agreement, articles 7, 77, 79). Nothing counted counts as zero.

Where a deployed state is compared with what is declared (``govcloud check``): ``missing``
(declared, not deployed), ``unmanaged`` (deployed, not declared), ``drift`` (both, different)
and ``unverifiable`` (not measured: never ``ok``).

An item can have several statuses at once; its one status is the first in ``ORDER``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    """A per line item verdict (its value is the word every report prints)."""

    OK = "ok"
    UNDER = "under"  # article 2: the provider owes the difference
    OVER = "over"  # articles 7, 77, 79: more needs a supplementary agreement
    DRIFT = "drift"  # deployed differs from declared
    MISSING = "missing"  # declared, not deployed
    UNMANAGED = "unmanaged"  # deployed, not declared
    UNVERIFIABLE = "unverifiable"  # not measured: never ok


#: the order in which an item's statuses give its one status (first wins); ``ok`` only when there is no other.
ORDER: tuple[Status, ...] = (Status.MISSING, Status.UNMANAGED, Status.DRIFT, Status.UNDER, Status.OVER,
                             Status.UNVERIFIABLE, Status.OK)


def provision(contracted: Decimal, quantity: Decimal | None) -> Status:
    """What the tenancy is given against the contract: ``under`` below it (article 2), ``over``
    above it (articles 7, 77, 79), else ``ok``. Nothing provided counts as zero."""
    q = quantity if quantity is not None else Decimal(0)
    return Status.OVER if q > contracted else Status.UNDER if q < contracted else Status.OK


def allocation(contracted: Decimal, allocated: Decimal | None) -> Status:
    """What the hosts use: ``over`` above the contract (articles 7, 77, 79); less is never a finding."""
    return Status.OVER if allocated is not None and allocated > contracted else Status.OK


def deployment(declared: Decimal | None, deployed: Decimal | None, measured: bool = True) -> Status:
    """Deployed against declared: ``unverifiable`` when not measured, ``missing``, ``unmanaged``, ``drift``."""
    if not measured:
        return Status.UNVERIFIABLE
    if deployed is None and declared is not None:
        return Status.MISSING
    if deployed is not None and declared is None:
        return Status.UNMANAGED
    if deployed is not None and declared is not None and deployed != declared:
        return Status.DRIFT
    return Status.OK


def worst(statuses: Iterable[Status | str]) -> Status:
    """An item's one status: the first of its statuses in ``ORDER`` (``ok`` when it has none)."""
    found = {Status(s) for s in statuses}
    return next((s for s in ORDER if s in found), Status.OK)


@dataclass(frozen=True)
class Judgement:
    """An item judged against the contract: each status found, in the order it was found, and the one status."""

    statuses: tuple[Status, ...]

    @property
    def status(self) -> Status:
        return worst(self.statuses)


def judge(contracted: Decimal, provided: Decimal | None, allocated: Decimal | None = None) -> Judgement:
    """The contract verdict of one item: under/over what is provided, over what the hosts allocate."""
    found = [s for s in (provision(contracted, provided), allocation(contracted, allocated)) if s is not Status.OK]
    return Judgement(tuple(dict.fromkeys(found)))
