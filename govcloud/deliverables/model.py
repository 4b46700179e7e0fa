"""What every deliverable builder takes and gives (articles 15-16).

A builder reads ``DeliverableInputs`` and returns a ``Document``: bytes that depend only on the inputs (the
document's date is the period's, never the wall clock), so the same inputs give the same SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govcloud.contract.model import Contract
    from govcloud.hosts.evidence import Evidence
    from govcloud.hosts.inventory import StackHost
    from govcloud.hosts.scan_reports import ScanReports
    from govcloud.ledger.day import Contracted
    from govcloud.sla.changes import ChangeRecords
    from govcloud.sla.incidents import IncidentRecords
    from govcloud.state.export import Deployment

    from .previews import Previews
    from .runs import Runs

BEIJING = timezone(timedelta(hours=8))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
MEDIA_TYPES = {"xlsx": XLSX, "pdf": PDF}


@dataclass(frozen=True)
class Period:
    """What a document covers: whole Beijing calendar days ``start``..``end`` (both included)."""

    label: str  # 2026-03 | 2026-Q1 | term
    start: date
    end: date

    @property
    def generated(self) -> datetime:
        """The documents' own date: the day after the period's last day, 00:00 Beijing time."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=BEIJING)


@dataclass(frozen=True)
class Document:
    id: str  # the map's id, e.g. asset-inventory
    filename: str
    data: bytes
    media_type: str
    html: str = ""  # a PDF's source page (what a browser shows of it); not written to the package


@dataclass(frozen=True)
class DeliverableInputs:
    """Everything a builder may read; what was not given is None (a builder that needs it is not run)."""

    contract: Contract
    stack: str
    period: Period
    hosts: tuple[StackHost, ...] = ()
    evidence: Evidence | None = None
    export: Deployment | None = None
    sla_report: dict[str, Any] | None = None  # `govcloud sla report --format json` (schemas/sla-report.schema.json)
    contracted: Contracted | None = None  # the items in force on the period's last day, amendments applied
    incidents: IncidentRecords | None = None  # schemas/sla-incidents.schema.json
    changes: ChangeRecords | None = None  # schemas/sla-changes.schema.json
    prometheus: str | None = None  # a Prometheus-compatible query URL (node exporter usage)
    previews: Previews | None = None  # `govcloud diff --format json` outputs (schemas/diff.schema.json)
    runs: Runs | None = None  # runbook journals (RUN_DIR/journal.jsonl) under a folder
    scans: ScanReports | None = None  # the vuln_scan role's fetched reports (<fetch dir>/<host>/), one folder
    declared: Deployment | None = None  # what the program declares (`govcloud plan --export-state`)

    @property
    def generated(self) -> datetime:
        return self.period.generated
