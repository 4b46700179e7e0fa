"""The findings model: one record per cause of something not being as the contract says, with
its effects on the line items attached.

A finding names the check that found it (``govcloud.checks.registry``), its line item id, the
clause, a readable subject (resource name and type, or a host) and, for a resource, its URN;
what was expected and what was found; and the effects: each line item the cause takes away from,
adds to or leaves unmeasured, with the item's own verdicts (under, drift, …) that the cause
explains. Writers (table, JSON, JUnit, Markdown) only read this.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from govcloud.ledger.counting import GB_PER_TB

Kind = Literal[
    "under",  # deployed less than contracted: the provider owes it (article 2)
    "over",  # deployed or allocated more than contracted without an amendment (articles 7, 77, 79)
    "drift",  # deployed differs from declared
    "missing",  # declared, not deployed
    "unmanaged",  # deployed, not declared
    "unverifiable",  # not measured: never reported as ok
    "pending-operation",  # an interrupted `pulumi up`: the state cannot be trusted
    "addon-missing",  # a contracted add-on not installed on a host
    "addon-inactive",  # installed but its service is not running
    "control-failed",  # a 等保 control failed on a host
    "ignore-expired",  # an ignore entry past its expiry date
    "availability-breached",  # a system below the contract's availability in a month (article 6)
    "late",  # a fault answered, attended or isolated later than articles 9-10 allow
    "unrecorded",  # an outage in the monitoring data with no incident record
    "untraced",  # an incident record with no outage in the monitoring data
    "event-a",  # an annex 3 A-level event (article 53)
    "event-b",  # an annex 3 B-level event (article 54)
    "termination-trigger",  # a termination right reached (articles 53-54)
    "data-loss",  # an incident record of lost data (article 6 data reliability, annex 3)
    "unapproved-maintenance",  # a maintenance window without approval before it began: nothing excluded
]
Severity = Literal["high", "medium", "low"]
Basis = Literal["provision", "allocation", "host", "resource"]

#: most severe first: findings sort in this order.
SEVERITY_ORDER: tuple[Severity, ...] = ("high", "medium", "low")


def worse(a: Severity, b: Severity) -> Severity:
    return a if SEVERITY_ORDER.index(a) <= SEVERITY_ORDER.index(b) else b


def signed(d: Decimal) -> str:
    """A change as ``+4`` / ``-0.5``: never in exponent form."""
    n = d.normalize()
    n = n.quantize(Decimal(1)) if n == n.to_integral_value() else n
    return f"{n:+f}"


@dataclass(frozen=True)
class Effect:
    """What one cause does to one line item.

    ``basis``: ``provision`` (a quota, rule or subscription: what the tenancy is given), ``allocation``
    (what a host or volume uses), ``host`` (an add-on's state on a host) or ``resource`` (a resource no
    quantity is counted from). ``delta`` is the change in the item's unit (deployed − declared), when
    the cause changes a counted quantity. ``statuses`` are the item's own verdicts this cause explains."""

    item: str
    basis: Basis
    delta: Decimal | None
    expected: str
    actual: str
    statuses: tuple[str, ...] = ()

    @property
    def change(self) -> str:
        """``vcpu -4 vCPU (drift, under)``: the item, the change in its unit, the verdicts it explains."""
        text = self.item
        if self.delta is not None:
            unit = self.expected.partition(" ")[2]
            delta = self.delta
            if unit == "TB" and delta != delta.to_integral_value():  # a 300 GB volume, not -0.29296875 TB
                delta, unit = delta * GB_PER_TB, "GB"
            text += f" {signed(delta)}" + (f" {unit}" if unit else "")
        return text + (f" ({', '.join(self.statuses)})" if self.statuses else "")


@dataclass(frozen=True)
class Finding:
    check: str  # the registered check's id
    kind: Kind
    severity: Severity  # the check's, raised to the worst item verdict among its effects
    item: str  # the line item the cause bears on first; "state" for the state file itself
    clause: str
    subject: str  # readable: "name (type)", "host#control", "host#add-on" or "item (line item)"
    expected: str
    actual: str
    message: str
    urn: str = ""  # the resource's URN, when the subject is a resource
    path: str = ""  # the changed attribute (property path), for a drift
    host: str = ""  # the host the cause is on, when it is one
    control: str = ""  # its control map id (playbooks/controls.yml): 等保 GB/T 22239-2019 8.1.4.1a, or addon.*
    effects: tuple[Effect, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.item, self.subject

    @property
    def items(self) -> tuple[str, ...]:
        """The line items the cause bears on: its own, then each effect's."""
        return tuple(dict.fromkeys((self.item, *(e.item for e in self.effects))))
