"""Writers over one ``CheckReport``: JSON (schema-checked), JUnit XML, Markdown, terminal table.

A new format is a new writer here; the checks know nothing of printing. Secrets never
reach a writer: the state readers replaced them with ``[secret]``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govcloud.checks.engine import CheckReport
from govcloud.checks.findings import Finding
from govcloud.contract.money import number
from govcloud.schemas import check_output

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA = "check.schema.json"


def _dec(d: Decimal | None) -> str | None:
    return None if d is None else number(d)


def _finding(f: Finding) -> dict[str, str]:
    return {"kind": f.kind, "severity": f.severity, "item": f.item, "clause": f.clause, "subject": f.subject,
            "expected": f.expected, "actual": f.actual, "message": f.message}


def to_json(report: CheckReport, addons_checked: bool) -> dict[str, Any]:
    out = {
        "stack": report.stack,
        "contract": report.contract,
        "on": report.on.isoformat(),
        "compliant": not report.findings,
        "exit_code": report.exit_code,
        "addons_checked": addons_checked,
        "sources": dict(report.sources),
        "items": [{"id": i.id, "name_zh": i.name_zh, "unit": i.unit, "clause": i.clause,
                   "contracted": number(i.contracted), "declared": _dec(i.declared), "deployed": _dec(i.deployed),
                   "allocated": _dec(i.allocated), "status": i.status, "statuses": list(i.statuses)}
                  for i in report.items],
        "hosts": [{"name": h.name, "presence": h.presence, "flavor_declared": h.flavor_declared,
                   "flavor_deployed": h.flavor_deployed, "addons": dict(h.addons), "status": h.status}
                  for h in report.hosts],
        "coverage": {"managed": report.coverage.managed, "missing": report.coverage.missing,
                     "unmanaged": report.coverage.unmanaged, "changed": report.coverage.changed,
                     "percent": round(report.coverage.percent, 2)},
        "findings": [_finding(f) for f in report.findings],
        "ignored": [{"finding": _finding(i.finding), "reason": i.entry.reason, "expires": i.entry.expires.isoformat()}
                    for i in report.ignored],
    }
    check_output(out, SCHEMA)
    return out


def write_json(report: CheckReport, addons_checked: bool) -> str:
    return json.dumps(to_json(report, addons_checked), ensure_ascii=False, indent=2)


def _host_of(f: Finding, hosts: set[str]) -> str | None:
    head = f.subject.split("#", 1)[0]
    return head if head in hosts else None


def write_junit(report: CheckReport) -> str:
    """One test case per line item and per host; each finding is a failure of exactly one case."""
    hosts = {h.name for h in report.hosts}
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        host = _host_of(f, hosts)
        by_case[("hosts", host) if host else ("contract", f.item)].append(f)
    cases: list[tuple[str, str]] = [("contract", i.id) for i in report.items]
    cases += [("hosts", h.name) for h in report.hosts]
    cases += [k for k in by_case if k not in cases]
    failures = sum(1 for k in cases if by_case.get(k))
    suite = ET.Element("testsuite", name=f"govcloud check {report.stack}", tests=str(len(cases)),
                       failures=str(failures), errors="0", skipped="0", time=f"{report.seconds:.3f}")
    for group, name in cases:
        case = ET.SubElement(suite, "testcase", classname=f"govcloud.{group}", name=name)
        for f in by_case.get((group, name), []):
            fail = ET.SubElement(case, "failure", message=f.message[:500], type=f.kind)
            fail.text = (f"line item: {f.item}\nclause: {f.clause}\nsubject: {f.subject}\n"
                         f"expected: {f.expected}\nactual: {f.actual}")
    for ig in report.ignored:
        ET.SubElement(ET.SubElement(suite, "testcase", classname="govcloud.ignored", name=ig.finding.subject or ig.finding.item),
                      "skipped", message=f"ignored until {ig.entry.expires}: {ig.entry.reason}")
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(report: CheckReport, addons_checked: bool) -> str:
    """For a merge-request comment: verdict, the line items, then the findings."""
    verdict = "✅ compliant, no drift" if not report.findings else f"❌ {len(report.findings)} finding(s)"
    lines = [f"### govcloud check — stack `{report.stack}`, contract {report.contract}, on {report.on}", "",
             f"**{verdict}** · coverage {report.coverage.percent:.1f}% "
             f"({report.coverage.managed} managed, {report.coverage.missing} missing, "
             f"{report.coverage.unmanaged} unmanaged, {report.coverage.changed} changed)"
             + ("" if addons_checked else " · add-ons not checked (no host evidence)"), "",
             "| line item | contracted | declared | deployed | status |", "| --- | ---: | ---: | ---: | --- |"]
    for i in report.items:
        lines.append(f"| `{i.id}` {_md_cell(i.name_zh)} | {number(i.contracted)} {i.unit} | "
                     f"{_dec(i.declared) or '—'} | {_dec(i.deployed) or '—'} | {', '.join(i.statuses) or 'ok'} |")
    if report.findings:
        lines += ["", "| kind | line item | clause | subject | expected | actual |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for f in report.findings[:200]:
            lines.append(f"| {f.kind} | `{f.item}` | {f.clause} | {_md_cell(f.subject)} | {_md_cell(f.expected)} | "
                         f"{_md_cell(f.actual)} |")
        if len(report.findings) > 200:
            lines.append(f"| … | {len(report.findings) - 200} more in the JSON report | | | | |")
    if report.ignored:
        lines += ["", f"{len(report.ignored)} finding(s) ignored by the ignore file (each with a reason and expiry)."]
    return "\n".join(lines) + "\n"


def print_table(report: CheckReport, console: "Console", addons_checked: bool) -> None:
    from rich.table import Table  # only the table format needs rich

    t = Table(title=f"govcloud check — {report.stack} against contract {report.contract} on {report.on}")
    for col in ("line item", "unit", "contracted", "declared", "deployed", "status"):
        t.add_column(col, justify="right" if col in ("contracted", "declared", "deployed") else "left", no_wrap=True)
    for i in report.items:
        status = ", ".join(i.statuses) or "ok"
        style = "green" if status == "ok" else "bold red"
        t.add_row(i.id, i.unit, number(i.contracted), _dec(i.declared) or "—", _dec(i.deployed) or "—",
                  f"[{style}]{status}[/]")
    console.print(t)
    console.print(f"hosts: {len(report.hosts)} ({sum(h.presence == 'present' for h in report.hosts)} present, "
                  f"{sum(h.presence == 'absent' for h in report.hosts)} absent, "
                  f"{sum(h.presence == 'extra' for h in report.hosts)} extra); "
                  + ("add-ons checked from host evidence" if addons_checked else "add-ons not checked (no --evidence)"))
    console.print(f"coverage {report.coverage.percent:.1f}%: {report.coverage.managed} managed, "
                  f"{report.coverage.missing} missing, {report.coverage.unmanaged} unmanaged, "
                  f"{report.coverage.changed} changed")
    if report.findings:
        ft = Table(title=f"{len(report.findings)} finding(s)")
        for col in ("kind", "item", "clause", "subject", "expected", "actual"):
            ft.add_column(col, overflow="fold")
        for f in report.findings[:100]:
            ft.add_row(f.kind, f.item, f.clause, f.subject[-60:], f.expected, f.actual)
        console.print(ft)
        if len(report.findings) > 100:
            console.print(f"… {len(report.findings) - 100} more (use --format json)")
    if report.ignored:
        console.print(f"{len(report.ignored)} finding(s) ignored (reason and expiry in the ignore file)")
    console.print("[green]compliant, no drift[/]" if not report.findings else
                  f"[bold red]{len(report.findings)} finding(s): exit 2[/]")
