"""The PDF deliverables' one look (articles 15-16), and the HTML pieces every PDF builder shares.

``render_pdf`` turns an HTML body into A4 pages with WeasyPrint: one stylesheet (Noto Sans CJK SC, a running
header with the contract number and the document's name, 第 N 页 共 M 页, table headers repeated on every page),
metadata fixed from the document's date, so the same body gives the same bytes (font subset tags are md5 of the
font's description, a fontTools subset's timestamp is ``SOURCE_DATE_EPOCH``, the /ID the md5 of the file,
matplotlib's SVG ids salted and undated).

Below it: HTML pieces (escaping, tables, the cover, charts, clause numbers and times in Chinese, the boxes a
person fills in). The SLA report's own wording is ``slawords``.
"""

from __future__ import annotations

import base64
import html as _html
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from govcloud.errors import GovcloudError

from .model import PDF, DeliverableInputs, Document, Period

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .catalog import MapEntry

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif'
CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")  # Debian fonts-noto-cjk
GENERATOR = "govcloud"

CSS = """
@page {
  size: A4 portrait;
  margin: 24mm 18mm 20mm 18mm;
  @top-left { content: string(rh-contract); font-size: 8pt; color: #555;
              vertical-align: bottom; padding-bottom: 2mm; border-bottom: 0.5pt solid #999; }
  @top-right { content: string(rh-document); font-size: 8pt; color: #555;
               vertical-align: bottom; padding-bottom: 2mm; border-bottom: 0.5pt solid #999; }
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 8pt; color: #555; }
}
@page :first { @top-left { content: none; border: none; } @top-right { content: none; border: none; } }
html { font-family: FONT; font-size: 10pt; line-height: 1.55; color: #111; }
.running { height: 0; overflow: hidden; margin: 0; }
.rh-contract { string-set: rh-contract content(text); }
.rh-document { string-set: rh-document content(text); }
.cover { break-after: page; padding-top: 45mm; text-align: center; }
.cover h1 { font-size: 22pt; margin: 0 0 4mm; }
.cover .period { font-size: 13pt; margin-bottom: 30mm; }
.cover table { width: 80%; margin: 0 auto; font-size: 10.5pt; }
.cover th, .cover td { border: none; border-bottom: 0.5pt solid #bbb; padding: 2.2mm 2mm; text-align: left; }
.cover th { width: 32%; background: none; color: #444; font-weight: normal; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 1pt solid #1f4e79; color: #1f4e79;
     break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 1.5mm 0; }
.verdict { font-size: 12pt; padding: 3mm 4mm; border: 1pt solid #999; background: #f4f6f8; break-inside: avoid; }
.verdict.met { border-color: #2e7d32; background: #edf7ee; }
.verdict.breached { border-color: #c62828; background: #fdecea; }
.verdict.unverifiable { border-color: #ef6c00; background: #fff4e5; }
.note { font-size: 8.5pt; color: #444; }
table.data { width: 100%; border-collapse: collapse; font-size: 8.5pt; margin: 2mm 0 3mm; }
table.data thead { display: table-header-group; }
table.data th { background: #e3eaf2; font-weight: bold; text-align: left; white-space: nowrap; }
table.data th, table.data td { border: 0.5pt solid #9aa5b1; padding: 1mm 1.5mm; vertical-align: top; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data td.nw { white-space: nowrap; }
table.data td.bad { background: #fde2e2; color: #a40000; }
table.data tr.total td { font-weight: bold; background: #f4f6f8; }
table.data tr { break-inside: avoid; }
.none { color: #555; font-style: italic; }
figure { margin: 3mm 0; break-inside: avoid; text-align: center; }
figure img { width: 100%; }
figcaption { font-size: 8.5pt; color: #444; }
""".replace("FONT", FONT_FAMILY)


# ------------------------------------------------------------------------------------------------ rendering
def page_html(html: str, *, generated: datetime, title: str) -> str:
    """The whole HTML page a PDF is rendered from (a browser shows the same page)."""
    stamp = generated.isoformat(timespec="seconds")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="generator" content="{GENERATOR}">'
            f'<meta name="dcterms.created" content="{stamp}"><meta name="dcterms.modified" content="{stamp}">'
            f"<style>{CSS}</style></head><body>{html}</body></html>")


def render_pdf(html: str, *, base_url: Path | None, generated: datetime, title: str) -> bytes:
    """``html`` (a body's content) as A4 pages: the stylesheet above, title, creation and modification dates
    from ``generated`` (never the wall clock), a /ID from the file's own digest. Same input, same bytes."""
    from weasyprint import HTML

    require_cjk_font()
    doc = HTML(string=page_html(html, generated=generated, title=title),
               base_url=str(base_url) if base_url is not None else None)
    with source_date_epoch(generated):
        return doc.write_pdf(pdf_identifier=True)  # type: ignore[no-any-return]


@contextmanager
def source_date_epoch(when: datetime) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``when`` meanwhile: fontTools, which subsets the fonts when HarfBuzz-subset is
    not installed, stamps each subset's ``head.modified`` with it instead of the wall clock."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


@cache
def cjk_font_files() -> tuple[Path, ...]:
    """The Noto Sans CJK files on this machine (regular and bold), found the way matplotlib finds fonts."""
    from matplotlib import font_manager

    found = {Path(f).name: Path(f) for f in font_manager.findSystemFonts(fontext="otf")}
    return tuple(found[name] for name in CJK_FONT_FILES if name in found)


def require_cjk_font() -> None:
    """Without Noto Sans CJK the Chinese text would be boxes: an error, not a silently wrong document."""
    if not cjk_font_files():
        raise GovcloudError("the PDF deliverables need the Noto Sans CJK font (Debian: apt-get install "
                            "fonts-noto-cjk; deps/apt-main.txt)")


def document(inputs: DeliverableInputs, entry: MapEntry, body: str, *, title: str | None = None) -> Document:
    """``body`` rendered as the entry's PDF, named ``{name_zh}-{period}.pdf``, dated ``inputs.generated``; the
    running header names ``title`` (default the map's name) and the period."""
    title = f"{title or entry.name_zh} {inputs.period.label}"
    html = running_header(inputs.contract.number, title) + body
    data = render_pdf(html, base_url=None, generated=inputs.generated, title=title)
    return Document(entry.id, entry.filename(inputs.period, "pdf"), data, PDF,
                    page_html(html, generated=inputs.generated, title=title))


# ------------------------------------------------------------------------------------------------ the period
PLACEHOLDER = "XX时期"  # article 16's name for the period a document covers


def period_zh(p: Period) -> str:
    """``2026-03`` → 2026年3月, ``2026-Q1`` → 2026年第1季度, ``term`` → 合同期; else the label."""
    if p.label == "term":
        return "合同期"
    year, _, rest = p.label.partition("-")
    if rest.upper().startswith("Q") and rest[1:].isdigit():
        return f"{year}年第{int(rest[1:])}季度"
    if rest.isdigit():
        return f"{year}年{int(rest)}月"
    return p.label


def titled(entry: MapEntry, p: Period) -> str:
    """The map's name with its XX时期 made the period: 北京市政务云平台2026年3月安全检测报告."""
    return entry.name_zh.replace(PLACEHOLDER, period_zh(p))


# ------------------------------------------------------------------------------------------------ HTML pieces
def esc(value: object) -> str:
    """Text for HTML (``&``, ``<``, ``>`` and quotes escaped)."""
    return _html.escape(str(value), quote=True)


def running_header(contract_number: str, title: str) -> str:
    """The strings of the running header (CSS ``string-set``): the contract number and the document's name."""
    return (f'<div class="running"><span class="rh-contract">合同编号：{esc(contract_number)}</span>'
            f'<span class="rh-document">{esc(title)}</span></div>')


@dataclass(frozen=True)
class Cell:
    """A table cell: text, right-aligned when a number, highlighted when below the contract."""

    text: str
    num: bool = False
    bad: bool = False
    wrap: bool = True

    def html(self) -> str:
        cls = " ".join(c for c, on in (("num", self.num), ("bad", self.bad), ("nw", not self.wrap)) if on)
        return f'<td class="{cls}">{esc(self.text)}</td>' if cls else f"<td>{esc(self.text)}</td>"


CellLike = Cell | str


def table(head: Sequence[str], rows: Iterable[Sequence[CellLike]], *, totals: int = 0, empty: str = "无。") -> str:
    """A data table whose header row repeats on every page (a header breaks only at its ``\\n``); the last
    ``totals`` rows bold; ``empty`` when there are no rows."""
    listed = list(rows)
    if not listed:
        return f'<p class="none">{esc(empty)}</p>'
    body = []
    for i, r in enumerate(listed):
        cls = ' class="total"' if i >= len(listed) - totals else ""
        body.append(f"<tr{cls}>" + "".join((c if isinstance(c, Cell) else Cell(c)).html() for c in r) + "</tr>")
    heads = "".join(f"<th>{esc(h).replace(chr(10), '<br>')}</th>" for h in head)
    return f'<table class="data"><thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def section(title: str, *parts: str) -> str:
    return f"<h2>{esc(title)}</h2>" + "".join(parts)


def para(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def date_zh(day: date) -> str:
    """``2026年4月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def cover(inputs: DeliverableInputs, entry: MapEntry, rows: Sequence[tuple[str, str]] = ()) -> str:
    """The cover page: the document's name, the contract (number, name), the parties (甲方/乙方, chapter 1), the
    period, the document's date and any ``rows`` a builder adds."""
    c, p = inputs.contract, inputs.period
    parties = [(f"{label}（{c.parties[key].role_zh}）", c.parties[key].name_zh)
               for key, label in (("tenant", "甲方"), ("provider", "乙方"), ("authority", "管理单位"))
               if key in c.parties]
    lines = [("合同编号", c.number), ("合同名称", c.title_zh), *parties,
             ("报告期间", f"{p.label}（{p.start.isoformat()} 至 {p.end.isoformat()}，北京时间）"), *rows,
             ("编制日期", date_zh(inputs.generated.date()))]
    return (f'<section class="cover"><h1>{esc(entry.name_zh)}</h1><div class="period">{esc(p.label)}</div>'
            "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in lines)
            + "</table></section>")


# ------------------------------------------------------------------------------------------------ charts
CHART_RC = {"svg.hashsalt": "govcloud", "svg.fonttype": "none", "font.size": 9,
            "font.family": ["Noto Sans CJK SC", "DejaVu Sans"], "axes.unicode_minus": False}


@cache
def _register_cjk_fonts() -> None:
    from matplotlib import font_manager

    for f in cjk_font_files():
        font_manager.fontManager.addfont(str(f))


def chart(draw: Callable[[Figure], None], *, size: tuple[float, float], caption: str,
          fmt: Literal["svg", "png"] = "svg") -> str:
    """A matplotlib figure drawn by ``draw`` embedded as a data URI: SVG (text left as text, set in the CJK
    font by WeasyPrint; ids salted, no date) or PNG (no software or date metadata). Deterministic either way."""
    import matplotlib
    from matplotlib.figure import Figure

    _register_cjk_fonts()
    with matplotlib.rc_context(CHART_RC):
        fig = Figure(figsize=size)
        draw(fig)
        buf = io.BytesIO()
        if fmt == "svg":
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        else:
            fig.savefig(buf, format="png", dpi=200, bbox_inches="tight", metadata={"Software": None})
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    uri = f"data:{media};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"
    return f'<figure><img src="{uri}" alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'


def clause_zh(clause: str) -> str:
    """``article-61`` → ``第61条``; anything else as given."""
    return re.sub(r"article-(\d+)", r"第\1条", clause)


def when(text: str | None, *, year: bool = False) -> str:
    """``2026-03-18T14:00:00+08:00`` → ``03-18 14:00`` (seconds when not zero; the year with ``year``); every
    time of the report is Beijing time."""
    if not text:
        return "—"
    day, clock = text[:10], text[11:19]
    clock = clock[:5] if clock.endswith(":00") else clock
    return f"{day if year else day[5:]} {clock}"


def for_person(title: str, hint: str = "", *, height_mm: int = 45) -> str:
    """A heading, a hint, and an empty ruled box a person fills in (a partial document's hand-written part)."""
    return (f'<div style="break-inside: avoid;"><h3>{esc(title)}</h3>'
            + (f'<p class="note">{esc(hint)}</p>' if hint else "") +
            f'<div style="border: 0.6pt solid #9aa5b1; height: {height_mm}mm; margin: 1mm 0 4mm;"></div></div>')


def paged_section(title: str, parts: list[str], empty: str) -> str:
    """A section starting on a new page, each of its ``parts`` on a page of its own (a record, a problem: what a
    person fills in stays with its data); ``empty`` when there are none."""
    if not parts:
        return section(title, para(empty, "none"))
    first, *rest = parts
    return ('<div style="break-before: page;">' + section(title, first) + "</div>"
            + "".join(f'<div style="break-before: page;">{p}</div>' for p in rest))
