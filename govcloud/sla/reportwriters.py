"""The SLA report for people: Markdown (a merge request, a mail to the court's IT office) and a terminal table.
Both are drawn from the JSON document (``report.as_json``), so the three formats cannot say different things."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

VERDICT_WORD = {"met": "MET", "breached": "BREACHED", "unverifiable": "UNVERIFIABLE"}


def _clock(text: str | None) -> str:
    """``2026-03-12T09:00:00+08:00`` → ``03-12 09:00:00`` (every time of the report is Beijing time)."""
    return "—" if not text else text[5:19].replace("T", " ")


def _avail_rows(doc: dict[str, Any]) -> list[list[str]]:
    rows = []
    for a in [*doc["availability"]["systems"], doc["availability"]["platform"]]:
        m = a["minutes"]
        rows.append([a["system"], VERDICT_WORD[a["verdict"]], a["availability"], a["coverage"], m["down"],
                     m["budget"], a["budget_spent"], m["unknown"], m["excluded"]])
    return rows


AVAIL_HEAD = ["system", "verdict", "availability", "coverage", "down min", "budget min", "spent", "unknown min",
              "excluded min"]


def _sections(doc: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) for each table of the report, in reading order."""
    p = doc["period"]
    out: list[tuple[str, list[str], list[list[str]], str]] = []
    out.append((f"Availability, {p['label']} (target {doc['target']})", AVAIL_HEAD, _avail_rows(doc),
                f"Verdict basis: {doc['verdict_basis']}. Platform: {doc['availability']['platform']['basis']}. "
                "Unknown time (no samples) is never counted as up: met only if met with it counted as down."))
    out.append(("Quarter and term so far (shown, not judged)",
                ["period", "months", "availability", "coverage", "down min", "budget min", "spent", "history lacks"],
                [[u["label"], str(len(u["months"])), u["platform"]["availability"], u["platform"]["coverage"],
                  u["platform"]["minutes"]["down"], u["platform"]["minutes"]["budget"],
                  u["platform"]["budget_spent"], ", ".join(u["missing_months"]) or "—"]
                 for u in doc["rollups"] if u["platform"]], ""))
    out.append(("Outages", ["system", "start", "end", "minutes", "excluded by"],
                [[o["system"], _clock(o["start"]), _clock(o["end"]) + (" (ongoing)" if o["ongoing"] else ""),
                  o["minutes"], o["excluded_by"] or "—"] for o in doc["outages"]], ""))
    ann = doc["annex3"]
    out.append(("Annex 3 events", ["level", "event", "start", "end", "minutes", "peak share", "systems", "counted"],
                [[e["level"], e["event"], _clock(e["start"]), _clock(e["end"]), e["minutes"], e["peak_share"],
                  ", ".join(e["systems"]), "yes" if k == "counted" else f"no ({e['excluded_by']})"]
                 for k in ("counted", "excluded") for e in ann[k]],
                f"{ann['note']} ({ann['systems_known']})."))
    out.append(("Termination (articles 53-54)", ["level", "clause", "events in window", "needed", "window", "reached"],
                [[t["level"], t["clause"], str(t["count"]), str(t["needed"]), f"{t['window_months']} months",
                  "YES" if t["reached"] else "no"] for t in doc["termination"]], ""))
    inc = doc["incidents"]
    if inc is not None:
        out.append(("Incident clocks (articles 9-10)",
                    ["incident", "clock", "clause", "from", "start", "limit min", "taken", "status"],
                    [[c["incident"], c["clock"], c["clause"], c["from"], _clock(c["start"]), str(c["limit_minutes"]),
                      c["taken"], c["status"]] for c in inc["clocks"]],
                    f"{inc['records']} records, {inc['started_in_period']} started this month; data-loss records: "
                    f"{inc['data_losses']}. {inc['data_reliability']}."))
    if doc["maintenance"] is not None:
        out.append(("Maintenance windows", ["change", "systems", "start", "end", "approved by", "excluded"],
                    [[m["change"], ", ".join(m["systems"]), _clock(m["start"]), _clock(m["end"]),
                      m["approved_by"] or "—", "yes" if m["excludes"] else f"no: {m['refused']}"]
                     for m in doc["maintenance"]], "Only approved windows take time out; every excluded minute "
                                                    "is in the JSON report."))
    out.append(("Findings", ["severity", "check", "clause", "subject", "expected", "actual"],
                [[f["severity"], f["check"], f["clause"], f["subject"], f["expected"], f["actual"]]
                 for f in doc["findings"]], ""))
    return out


def _headline(doc: dict[str, Any]) -> str:
    p, s = doc["period"], doc["summary"]
    plat = doc["availability"]["platform"]
    partial = "" if p["complete"] else f" (month not over: up to {_clock(p['end'])})"
    return (f"Contract {doc['contract']}, {p['label']}{partial}: platform availability {plat['availability']} "
            f"(coverage {plat['coverage']}) against {doc['target']}: {VERDICT_WORD[doc['verdict']]}; "
            f"{s['findings']} findings ({s['high']} high); exit {s['exit_code']}")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict[str, Any]) -> str:
    """The report as Markdown tables."""
    lines = [f"# SLA report, contract {doc['contract']}, {doc['period']['label']}", "", f"**{_headline(doc)}**", "",
             f"Times are Beijing time (Asia/Shanghai). Generated {doc['generated'][:19].replace('T', ' ')}.", ""]
    for title, head, rows, note in _sections(doc):
        lines += [f"## {title}", ""]
        if rows:
            lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
        else:
            lines.append("None.")
        if note:
            lines += ["", note]
        lines.append("")
    return "\n".join(lines)


def print_table(doc: dict[str, Any], console: Console) -> None:
    """The report as rich tables for a terminal."""
    from rich.table import Table

    console.print(_headline(doc), style="bold red" if doc["summary"]["exit_code"] else "bold green",
                  highlight=False)
    for title, head, rows, note in _sections(doc):
        if not rows:
            console.print(f"{title}: none", highlight=False)
            continue
        t = Table(title=title, title_justify="left")
        for h in head:
            t.add_column(h)
        for r in rows:
            t.add_row(*r)
        console.print(t)
        if note:
            console.print(note, style="dim", highlight=False)
