"""What the deliverables tests read back from a document: a PDF's text as ``pdftotext`` gives it, a workbook's
rows and highlighting as openpyxl opens them, and the real evidence with one change made."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from govcloud.deliverables.model import Document
from govcloud.deliverables.workbook import FLAG_RGB
from govcloud.hosts.evidence import Evidence, load_evidence

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE_FILE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"  # a recorded real harden run


def flat(text: str) -> str:
    return "".join(text.split())


def text_of(pdf: bytes, folder: Path) -> str:
    """The PDF's text in content order (``pdftotext -raw``: a table cell's lines stay together), every space and
    line break taken out: cells wrap where their width says, so phrases are compared without spaces too."""
    path = folder / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return flat(out)


def has(text: str, *phrases: str) -> bool:
    """Every phrase in ``text`` (a ``text_of``), spaces ignored."""
    return all(flat(p) in text for p in phrases)


def workbook(doc: Document) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(doc.data))


def header_row(ws: Worksheet) -> int:
    """The header row: the one after the blank row that ends the title block."""
    return next(r for r in range(1, 20) if ws.cell(r, 1).value is None) + 1


def records(ws: Worksheet) -> list[dict[str, Any]]:
    """The data rows as {header: cell}."""
    h = header_row(ws)
    headers = [c.value for c in ws[h]]
    return [dict(zip(headers, row)) for row in ws.iter_rows(min_row=h + 1) if row[0].value is not None]


def flagged(cell: Any) -> bool:
    """Highlighted as below the contract or failed (the workbooks' one fill)."""
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == FLAG_RGB


def evidence_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Evidence:
    """The real evidence with ``change(doc)`` applied, written and loaded again (schema-checked)."""
    doc = json.loads(EVIDENCE_FILE.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "harden-evidence.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return load_evidence(path)
