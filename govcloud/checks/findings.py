"""The findings model: one record per thing that is not as the contract says.

A finding names its line item id, the clause, the subject (a resource URN or a host), what
was expected and what was found. Writers (table, JSON, JUnit, Markdown) only read this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
]
Severity = Literal["high", "medium", "low"]

SEVERITY: dict[str, Severity] = {
    "under": "high", "missing": "high", "pending-operation": "high", "addon-missing": "high",
    "addon-inactive": "high", "control-failed": "high", "over": "medium", "drift": "medium",
    "unmanaged": "medium", "unverifiable": "low", "ignore-expired": "low",
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    item: str  # line item id; "state" for findings about the state file itself
    clause: str
    subject: str  # resource URN, host name, or "" for the line item as a whole
    expected: str
    actual: str
    message: str

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.item, self.subject
