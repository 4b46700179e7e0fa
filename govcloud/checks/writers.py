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
from govcloud.checks.findings import Finding, signed
from govcloud.checks.registry import CHECKS
from govcloud.contract.money import number
from govcloud.schemas import check_output

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA = "check.schema.json"


def _dec(d: Decimal | None) -> str | None:
    return None if d is None else number(d)


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as every JSON report writes it (``check``, ``verify-hosts``): its check's metadata too."""
    return {"check": f.check, "kind": f.kind, "severity": f.severity, "item": f.item, "clause": f.clause,
            "subject": f.subject, "urn": f.urn, "property": f.path, "host": f.host, "control": f.control,
            "expected": f.expected, "actual": f.actual, "message": f.message,
            "remediation": CHECKS[f.check].remediation if f.check in CHECKS else "",
            "effects": [{"item": e.item, "basis": e.basis, "change": None if e.delta is None else signed(e.delta),
                         "expected": e.expected, "actual": e.actual, "statuses": list(e.statuses)}
                        for e in f.effects]}


def _effects_line(f: Finding, limit: int = 12) -> str:
    """``vcpu -4 vCPU (drift, under), memory -8 GB, …``: each effect, its change and the verdicts it explains."""
    parts = [e.change for e in f.effects[:limit]]
    if len(f.effects) > limit:
        parts.append(f"… {len(f.effects) - limit} more")
    return ", ".join(parts)


def _cause_line(f: Finding) -> str:
    """One line naming a cause: its severity, subject, what happened, and what it does to the line items."""
    what = {"missing": "declared, not deployed", "unmanaged": "deployed, not declared",
            "drift": f"{f.path} {f.expected} → {f.actual}" if f.path else f"{f.expected} → {f.actual}"
            }.get(f.kind, f"{f.kind}: {f.message}" if f.kind not in ("under", "over") else f.message)
    effects = _effects_line(f)
    return f"**{f.severity}** {f.subject}: {what}" + (f" · effects: {effects}" if effects else "")


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
                   "flavor_deployed": h.flavor_deployed, "addons": {a: str(st) for a, st in h.addons.items()},
                   "status": h.status}
                  for h in report.hosts],
        "coverage": {"managed": report.coverage.managed, "missing": report.coverage.missing,
                     "unmanaged": report.coverage.unmanaged, "changed": report.coverage.changed,
                     "percent": round(report.coverage.percent, 2)},
        "counts": report.counts(),
        "findings": [finding_json(f) for f in report.findings],
        "ignored": [{"finding": finding_json(i.finding), "reason": i.entry.reason,
                     "expires": i.entry.expires.isoformat()}
                    for i in report.ignored],
    }
    check_output(out, SCHEMA)
    return out


def write_json(report: CheckReport, addons_checked: bool) -> str:
    return json.dumps(to_json(report, addons_checked), ensure_ascii=False, indent=2)


def write_junit(report: CheckReport) -> str:
    """One test case per line item and per host; each finding is a failure of exactly one case."""
    hosts = {h.name for h in report.hosts}
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        host = f.host if f.host in hosts else None
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
            fail.text = (f"check: {f.check} ({f.severity})\nline item: {f.item}\nclause: {f.clause}\n"
                         f"subject: {f.subject}\n" + (f"urn: {f.urn}\n" if f.urn else "")
                         + (f"control: {f.control}\n" if f.control else "")
                         + f"expected: {f.expected}\nactual: {f.actual}\n"
                         + (f"effects: {_effects_line(f, 50)}\n" if f.effects else ""))
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
    """For a merge-request comment: the verdict, then the causes (one line each, most severe first, so
    the first lines name them), then the line items, then each cause with its effects."""
    n = len(report.findings)
    verdict = ("✅ compliant, no drift" if not n else
               f"❌ {n} finding(s): {n} cause(s), {report.effects} effect(s)")
    lines = [f"### govcloud check — stack `{report.stack}`, contract {report.contract}, on {report.on}", "",
             f"**{verdict}**", ""]
    shown = report.findings[:100]
    lines += [f"{k}. {_md_inline(_cause_line(f))}" for k, f in enumerate(shown, 1)]
    if n > len(shown):
        lines.append(f"{len(shown) + 1}. … {n - len(shown)} more causes in the JSON report")
    if shown:
        lines.append("")
    lines += [f"Coverage {report.coverage.percent:.1f}% ({report.coverage.managed} managed, {report.coverage.missing} "
              f"missing, {report.coverage.unmanaged} unmanaged, {report.coverage.changed} changed)"
              + ("" if addons_checked else " · add-ons not checked (no host evidence)"), "",
              "| line item | contracted | declared | deployed | status |", "| --- | ---: | ---: | ---: | --- |"]
    for i in report.items:
        lines.append(f"| `{i.id}` {_md_cell(i.name_zh)} | {number(i.contracted)} {i.unit} | "
                     f"{_dec(i.declared) or '—'} | {_dec(i.deployed) or '—'} | {', '.join(i.statuses) or 'ok'} |")
    if report.findings:
        lines += ["", "| # | severity | check | line item | clause | subject | expected | actual | effects |",
                  "| ---: | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for k, f in enumerate(report.findings[:200], 1):
            lines.append(f"| {k} | {f.severity} | `{f.check}` | `{f.item}` | {f.clause} | {_md_cell(f.subject)} | "
                         f"{_md_cell(f.expected)} | {_md_cell(f.actual)} | {_md_cell(_effects_line(f))} |")
        if n > 200:
            lines.append(f"| … | | | | | {n - 200} more in the JSON report | | | |")
    if report.ignored:
        lines += ["", f"{len(report.ignored)} finding(s) ignored by the ignore file (each with a reason and expiry)."]
    return "\n".join(lines) + "\n"


def _md_inline(text: str) -> str:
    return text.replace("\n", " ")


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
        console.print(f"[bold]{len(report.findings)} finding(s): one per cause, {report.effects} effect(s)[/]")
        for k, f in enumerate(report.findings[:100], 1):
            console.print(f"{k}. {_cause_line(f).replace('**', '')}", soft_wrap=True, markup=False, highlight=False)
        if len(report.findings) > 100:
            console.print(f"… {len(report.findings) - 100} more (use --format json)")
    if report.ignored:
        console.print(f"{len(report.ignored)} finding(s) ignored (reason and expiry in the ignore file)")
    console.print("[green]compliant, no drift[/]" if not report.findings else
                  f"[bold red]{len(report.findings)} finding(s): exit 2[/]")
