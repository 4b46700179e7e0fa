"""The inputs of an acceptance package, each read and checked once: a period inside the term (article 13), the
stack's hosts, and, when given, harden evidence of those hosts, the stack's export and an SLA report of the same
contract and month, `govcloud diff` previews and runbook journals of the same contract and stack, and the scan reports
the vuln_scan role fetched from the stack's hosts. A file of another contract, stack or month (or a scan folder of
another stack's host) is refused naming the file and the field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from govcloud.contract.model import Contract
from govcloud.errors import GovcloudError, InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.paths import PROJECT_ROOT
from govcloud.sla.clock import PeriodError, local_date, month, quarter, term

from .model import DeliverableInputs, Period

if TYPE_CHECKING:
    from .previews import Previews
    from .runs import Runs

SLA_REPORT_SCHEMA = "sla-report.schema.json"
SCANS_SOURCE = "vuln-scans"  # the map's name of --scans DIR (the manifest records the folder's digest)


def period_of(text: str, contract: Contract) -> Period:
    """``2026-03`` (a month), ``2026-Q1`` (a quarter) or ``term``, clipped to the term; outside it is an error."""
    t = term(contract)
    try:
        p = t if text == "term" else quarter(text) if "Q" in text.upper() else month(text)
    except PeriodError as exc:
        raise GovcloudError(f"--period: {exc}; or term") from None
    start, end = max(p.start_ms, t.start_ms), min(p.end_ms, t.end_ms)
    if end <= start:
        raise GovcloudError(f"--period {text} is outside the contract's {t.label} (article 13)")
    return Period("term" if text == "term" else p.label, local_date(start), local_date(end - 1))


def _sla_report(path: Path, contract: Contract, period: Period) -> dict:  # type: ignore[type-arg]
    doc = load_json(path)
    issues = json_issues(path, doc, SLA_REPORT_SCHEMA)
    if issues:
        raise InputError(issues)
    if doc["contract"] != contract.number:
        raise InputError.one(path, "contract", f"an SLA report of contract {contract.number}, got {doc['contract']}'s")
    if doc["period"]["label"] != period.label:
        raise InputError.one(path, "period.label", f"an SLA report of {period.label} (one month per report), "
                                                   f"got {doc['period']['label']}'s")
    return doc  # type: ignore[no-any-return]


def gather(contract: Contract, stack: str, period_text: str, *, evidence: Path | None = None,
           state: Path | None = None, declared: Path | None = None, sla_report: Path | None = None,
           incidents: Path | None = None, changes: Path | None = None, prometheus: str | None = None,
           previews: Sequence[Path] = (),
           journals: Path | None = None, scans: Path | None = None) -> tuple[DeliverableInputs, dict[str, Path]]:
    """The checked inputs and the files they came from (the manifest records their digests)."""
    from govcloud.hosts.evidence import load_evidence
    from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
    from govcloud.hosts.scan_waivers import DEFAULT_SCAN_WAIVERS
    from govcloud.ledger import contracted
    from govcloud.sla.changes import load_changes
    from govcloud.sla.incidents import load_incidents
    from govcloud.state.export import read_export
    from govcloud.state.identity import stack_identity
    from govcloud.tenancy.config import load_stack_settings, stack_file

    period = period_of(period_text, contract)
    outputs = stack_outputs_file(stack)
    hosts = tuple(load_stack_hosts(outputs))
    sources = {"stack-outputs": outputs}
    in_force = None
    if stack_file(PROJECT_ROOT, stack).exists():  # the builders read the stack's host plan (flavors, disks)
        settings = load_stack_settings(stack)
        sources["host-plan"] = settings.host_plan_path
        in_force = contracted(settings, period.end)  # the stack's amendments applied, on the period's last day
        sources.update({f"amendment {p.name}": p for p in settings.amendments})
    ev = exp = rep = None
    if evidence is not None:
        ev = load_evidence(evidence)
        if ev.doc.get("contract") != contract.number:
            raise InputError.one(evidence, "contract", f"evidence of contract {contract.number}, got "
                                                       f"{ev.doc.get('contract')}'s")
        ev.require_hosts((), known={h.name for h in hosts}, known_from=f"stack {stack} ({outputs.name})")
        sources["evidence"] = evidence
        if DEFAULT_SCAN_WAIVERS.exists():  # the security report reads the waivers beside the evidence
            sources["scan-waivers"] = DEFAULT_SCAN_WAIVERS
    if state is not None:
        exp = read_export(state, stack_identity(PROJECT_ROOT, stack))
        sources["stack-export"] = state
    dec = None
    if declared is not None:  # the program's declared state, read as `govcloud check --declared` reads it
        dec = read_export(declared, stack_identity(PROJECT_ROOT, stack))
        sources["stack-declared"] = declared
    if sla_report is not None:
        rep = _sla_report(sla_report, contract, period)
        sources["sla-report"] = sla_report
    inc = chg = None
    if incidents is not None:
        inc = load_incidents(incidents)
        sources["sla-incidents"] = incidents
    if changes is not None:
        chg = load_changes(changes)
        sources["sla-changes"] = changes
    pv, runs = _previews(previews, contract, stack, sources), _runs(journals, contract, stack, sources)
    found = None
    if scans is not None:  # the vuln_scan role's fetched reports, this stack's hosts only; one digest for the folder
        from govcloud.hosts.scan_reports import load_scan_reports

        found = load_scan_reports(scans, known={h.name for h in hosts}, known_from=f"stack {stack} ({outputs.name})")
        sources[SCANS_SOURCE] = scans
    return DeliverableInputs(contract, stack, period, hosts, ev, exp, rep, in_force, inc, chg, prometheus,
                             previews=pv, runs=runs, scans=found, declared=dec), sources


def _previews(paths: Sequence[Path], contract: Contract, stack: str, sources: dict[str, Path]) -> Previews | None:
    """``govcloud diff --format json`` outputs of this contract and stack (files or folders); None when none given."""
    from .previews import load_previews

    if not paths:
        return None
    pv = load_previews(paths, contract.number, stack)
    for p in pv.given:  # by file name (the manifest holds no folder paths), numbered when two share one
        key = f"diff-preview {p.path.name}"
        n = 2
        while key in sources:
            key, n = f"diff-preview {p.path.name} ({n})", n + 1
        sources[key] = p.path
    return pv


def _runs(folder: Path | None, contract: Contract, stack: str, sources: dict[str, Path]) -> Runs | None:
    """The runbook runs under ``folder`` (their journals), this stack's; None when no folder was given."""
    from .runs import load_runs

    if folder is None:
        return None
    runs = load_runs(folder, contract.number, stack)
    sources.update({f"runbook-journal {r.name}": r.journal for r in runs.given})
    return runs
