"""Article 68: materials holding the court's confidential information go back within 5 days of its
written notice, no copies kept (不得擅自复制留存).

``checklist(materials, *, contract, as_of, notice=None, base=None) -> Checklist`` reads the YAML
input (schemas/exit-materials.schema.json: items with id, description, holder, kind
paper|digital|media, and once done their disposition returned|destroyed, done_on and evidence),
computes the deadline with ``timeline.deadline_for`` (5 natural days from the notice, a last day
on a holiday moved to the next working day, 民法典 203) and gives each item a status:

* ``done``: returned or destroyed on or before the deadline, its evidence present and intact;
* ``late``: done with good evidence, but after the deadline;
* ``overdue``: not done and ``as_of`` is past the deadline;
* ``open``: not done, the deadline not yet passed;
* ``bad-evidence``: marked done but the evidence is missing, does not match its recorded SHA-256,
  or is not a sanitization certificate.

Evidence: a returned item names a ``file`` (a signed receipt or the returned file; its SHA-256 is
recorded and, when the input gives ``sha256``, must equal it). A destroyed paper item names a
destruction record ``file``; destroyed digital or media items name the ``certificate`` of
sanitization the erase step wrote (``kind: govcloud/erase-certificate``): for data, destruction
means sanitization (NIST SP 800-88), which is also how "no copies kept" is proven.
Evidence paths are relative to ``base`` (the run directory in a runbook; by default the input
file's directory).

``write_checklist(cl, json_path, html_path) -> (json_path, html_path)`` writes the JSON
(schemas/exit-materials-checklist.schema.json) and a small self-contained HTML page.

Built-ins for a runbook: action ``materials.checklist`` with {materials: FILE, out: DIR (default
materials), notice?: DATE, as_of?: DATE (default today), contract?: FILE} writes
``DIR/checklist.json`` and ``DIR/checklist.html``; check ``materials.complete`` with {out: DIR}
is ok only when every item is ``done``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from govcloud.containment import contained
from govcloud.contract.model import Contract
from govcloud.errors import InputError, Issue
from govcloud.jsondoc import load_json
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.journal import sha256_file
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.schemas import check_output, load_checked
from govcloud.yamldoc import YamlDocument

from .stack_contract import run_contract
from .timeline import Deadline, check_notice, deadline_for

INPUT_SCHEMA = "exit-materials.schema.json"
SCHEMA = "exit-materials-checklist.schema.json"
CLAUSE = "article-68"
CERTIFICATE_KIND = "govcloud/erase-certificate"
DONE, LATE, OVERDUE, OPEN, BAD = "done", "late", "overdue", "open", "bad-evidence"


@dataclass(frozen=True)
class Evidence:
    type: str  # file | certificate
    path: str
    sha256: str | None  # None when the file is missing
    certificate_id: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    description: str
    holder: str
    kind: str
    disposition: str | None
    done_on: date | None
    evidence: Evidence | None
    status: str
    problem: str | None


@dataclass(frozen=True)
class Checklist:
    source: Path
    contract: str
    system: str
    notice: date
    deadline: Deadline
    as_of: date
    items: tuple[Item, ...]

    @property
    def complete(self) -> bool:
        return all(i.status == DONE for i in self.items)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


def _semantic(doc: YamlDocument) -> list[Issue]:
    issues: list[Issue] = []
    f = str(doc.file)
    seen: set[str] = set()
    for n, it in enumerate(doc.data["items"]):
        def bad(key: str, expected: str) -> None:
            path = ("items", n, key) if key else ("items", n)
            issues.append(Issue(f, f"items[{n}]" + (f".{key}" if key else ""), expected, doc.line_of(path)))

        if it["id"] in seen:
            bad("id", f"expected a unique item id; '{it['id']}' appears twice")
        seen.add(it["id"])
        disp, ev = it.get("disposition"), it.get("evidence") or {}
        if disp is None:
            if "done_on" in it or ev:
                bad("disposition", "expected returned or destroyed when done_on or evidence is given")
            continue
        if "done_on" not in it:
            bad("done_on", f"expected the date the item was {disp} (YYYY-MM-DD)")
        if "sha256" in ev and "file" not in ev:
            bad("evidence", "expected sha256 only together with file")
        if disp == "destroyed" and it["kind"] in ("digital", "media"):
            if "certificate" not in ev:
                bad("evidence", f"expected a sanitization certificate (evidence.certificate) for destroyed "
                                f"{it['kind']} material (NIST SP 800-88)")
        elif "file" not in ev:
            what = "a signed receipt or the returned file" if disp == "returned" else "a destruction record"
            bad("evidence", f"expected evidence.file: {what}")
    return issues


def _evidence(ev: dict[str, Any], base: Path, materials: Path, field: str) -> tuple[Evidence, str | None]:
    """The evidence with its digest now, and a problem or None. A path that leaves ``base`` (``..``,
    absolute, a symlink out) is an ``InputError`` naming ``materials`` and ``field``: never read."""
    if "certificate" in ev:
        p = contained(base, ev["certificate"], file=materials, field=f"{field}.certificate")
        if not p.is_file():
            return Evidence("certificate", ev["certificate"], None), f"certificate {ev['certificate']} not found"
        digest = sha256_file(p)
        try:
            doc = load_json(p)
        except InputError as exc:
            return Evidence("certificate", ev["certificate"], digest), f"certificate unreadable: {exc}"
        if not isinstance(doc, dict) or doc.get("kind") != CERTIFICATE_KIND or not doc.get("certificate_id"):
            return (Evidence("certificate", ev["certificate"], digest),
                    f"{ev['certificate']} is not a certificate of sanitization (kind {CERTIFICATE_KIND})")
        return Evidence("certificate", ev["certificate"], digest, str(doc["certificate_id"])), None
    p = contained(base, ev["file"], file=materials, field=f"{field}.file")
    if not p.is_file():
        return Evidence("file", ev["file"], None), f"evidence file {ev['file']} not found"
    digest = sha256_file(p)
    if ev.get("sha256") and ev["sha256"] != digest:
        return Evidence("file", ev["file"], digest), f"{ev['file']}: SHA-256 {digest[:16]}… is not the recorded " \
                                                     f"{ev['sha256'][:16]}…"
    return Evidence("file", ev["file"], digest), None


def checklist(materials: Path, *, contract: Contract, as_of: date, notice: date | None = None,
              base: Path | None = None) -> Checklist:
    """The article-68 checklist of ``materials`` on ``as_of`` (see the module docstring).

    ``notice`` overrides the file's ``notice``; one of them is required. Raises ``InputError`` for a
    bad file and ``TimelineError`` for a notice the calendar or the contract cannot place.
    """
    doc = load_checked(materials, INPUT_SCHEMA, semantic=_semantic)
    d = doc.data
    what = "notice"
    if notice is None:
        if "notice" not in d:
            raise InputError.one(materials, "notice", "expected the date of the court's written notice "
                                                      "(YYYY-MM-DD), in the file or as an argument", 1)
        notice, what = date.fromisoformat(str(d["notice"])), f"{materials}: notice"
    check_notice(contract, notice, what)
    term = next((t for t in contract.exit_terms if t.clause == CLAUSE), None)
    if term is None:
        raise InputError.one(contract.source, "exit", f"expected an exit term with clause {CLAUSE}")
    due = deadline_for(term, notice, "the court's written notice")
    base = base or Path(materials).parent
    items = []
    for n, it in enumerate(d["items"]):
        done_on = date.fromisoformat(str(it["done_on"])) if "done_on" in it else None
        if done_on is not None and done_on > as_of:
            raise InputError.one(materials, f"items[{n}].done_on",
                                 f"expected a date on or before {as_of.isoformat()} (the checklist's date), "
                                 f"got {done_on.isoformat()}", doc.line_of(("items", n, "done_on")))
        ev, problem = (None, None)
        if it.get("disposition"):
            ev, problem = _evidence(it["evidence"], base, Path(materials), f"items[{n}].evidence")
        if it.get("disposition") is None:
            status = OVERDUE if as_of > due.date else OPEN
        elif problem:
            status = BAD
        else:
            status = DONE if done_on is not None and done_on <= due.date else LATE
        items.append(Item(it["id"], it["description"], it["holder"], it["kind"], it.get("disposition"), done_on,
                          ev, status, problem))
    return Checklist(Path(materials), contract.number, str(d.get("system", "")), notice, due, as_of, tuple(items))


def to_json(cl: Checklist) -> dict[str, Any]:
    doc = {
        "kind": "govcloud/materials-checklist", "version": 1, "contract": cl.contract, "system": cl.system,
        "clause": CLAUSE, "text_zh": cl.deadline.text_zh, "source": str(cl.source),
        "notice": cl.notice.isoformat(), "deadline": cl.deadline.date.isoformat(),
        "nominal_deadline": cl.deadline.nominal.isoformat(), "deadline_rule": cl.deadline.rule,
        "as_of": cl.as_of.isoformat(),
        "items": [{"id": i.id, "description": i.description, "holder": i.holder, "kind": i.kind,
                   "disposition": i.disposition, "done_on": i.done_on.isoformat() if i.done_on else None,
                   "evidence": None if i.evidence is None else
                   {"type": i.evidence.type, "path": i.evidence.path, "sha256": i.evidence.sha256,
                    "certificate_id": i.evidence.certificate_id},
                   "status": i.status, "problem": i.problem} for i in cl.items],
        "counts": {s: cl.count(s) for s in (DONE, LATE, OVERDUE, OPEN, BAD)},
        "overdue": [i.id for i in cl.items if i.status == OVERDUE],
        "complete": cl.complete,
    }
    check_output(doc, SCHEMA)
    return doc


def to_html(cl: Checklist) -> str:
    e = html.escape
    colour = {DONE: "#cfc", LATE: "#fd9", OVERDUE: "#f99", OPEN: "#eee", BAD: "#f99"}
    rows = "".join(
        f"<tr style='background:{colour[i.status]}'><td>{e(i.id)}</td><td>{e(i.description)}</td><td>{e(i.holder)}</td>"
        f"<td>{e(i.kind)}</td><td>{e(i.status)}</td><td>{e(i.disposition or '-')}</td>"
        f"<td>{e(i.done_on.isoformat() if i.done_on else '-')}</td>"
        f"<td>{e(_ev_text(i.evidence))}</td><td>{e(i.problem or '')}</td></tr>" for i in cl.items)
    d = cl.deadline
    moved = f" (nominal {d.nominal.isoformat()}, moved: 民法典 203)" if d.moved else ""
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
            f"<title>{e('article 68 materials ' + cl.system)}</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #666;padding:3px 6px}"
            "table{border-collapse:collapse}</style></head><body>"
            f"<h1>{e('归还保密资料 Return of materials (article 68) ' + cl.system)}</h1>"
            f"<p>{e(d.text_zh)}</p>"
            f"<p>{e(f'Contract {cl.contract}. Written notice received {cl.notice.isoformat()}; due {d.date.isoformat()}')}"
            f"{e(moved)}. {e(f'As of {cl.as_of.isoformat()}:')} <b>{e('complete' if cl.complete else 'not complete')}</b>"
            f" {e(f'({cl.count(DONE)} done, {cl.count(LATE)} late, {cl.count(OVERDUE)} overdue, {cl.count(OPEN)} open, {cl.count(BAD)} bad evidence)')}</p>"
            "<table><tr><th>id</th><th>material</th><th>holder</th><th>kind</th><th>status</th><th>disposition</th>"
            f"<th>done on</th><th>evidence (sha256)</th><th>problem</th></tr>{rows}</table></body></html>\n")


def _ev_text(ev: Evidence | None) -> str:
    if ev is None:
        return "-"
    cid = f" [{ev.certificate_id}]" if ev.certificate_id else ""
    return f"{ev.type}: {ev.path}{cid} {ev.sha256 or 'MISSING'}"


def write_checklist(cl: Checklist, json_path: Path, html_path: Path) -> tuple[Path, Path]:
    return output.write_json(json_path, to_json(cl)), output.write_text(html_path, to_html(cl))


# ------------------------------------------------------------------ built-ins
def _opt_date(args: dict[str, Any], key: str) -> date | None:
    v = args.get(key)
    return date.fromisoformat(str(v)) if v not in (None, "") else None


@action("materials.checklist")
def checklist_step(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Article 68's checklist into ``out``/checklist.json and .html."""
    out = ctx.path(args.get("out", "materials"))
    contract = run_contract(ctx.params, args)
    cl = checklist(Path(args["materials"]), contract=contract, as_of=_opt_date(args, "as_of") or date.today(),
                   notice=_opt_date(args, "notice"), base=ctx.run_dir)
    write_checklist(cl, out / "checklist.json", out / "checklist.html")
    ctx.note(f"article 68: {len(cl.items)} item(s), due {cl.deadline.date}; {cl.count(DONE)} done, "
             f"{cl.count(OVERDUE)} overdue")
    return ActionResult({"deadline": cl.deadline.date.isoformat(), "complete": cl.complete,
                         "overdue": [i.id for i in cl.items if i.status == OVERDUE]})


@check("materials.complete")
def checklist_complete(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    doc = load_json(ctx.path(args.get("out", "materials")) / "checklist.json")
    check_output(doc, SCHEMA)
    if doc["complete"]:
        return CheckResult(True, f"article 68: all {len(doc['items'])} item(s) returned or destroyed with evidence "
                                 f"by {doc['deadline']}")
    bad = [f"{i['id']} {i['status']}" for i in doc["items"] if i["status"] != DONE]
    return CheckResult(False, f"article 68 (due {doc['deadline']}): " + ", ".join(bad))
