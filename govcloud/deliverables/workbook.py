"""The acceptance workbooks of article 16 (资产信息统计表, 软硬件信息统计表, 巡检维护表): one Excel writer, and what
the three builders share.

``write_workbook`` turns sheet specs into xlsx bytes: a title block (the document, the contract, its parties 甲方/乙方,
the period and the date), a header row frozen below it with an autofilter, per column a kind with its number format
(money ``#,##0.00`` exact to the fen, ``0.000%``, integers, dates), widths that fit Chinese text (a CJK character
counts two), a light red fill on flagged cells (below the contract, failed, not measured), native charts drawn from
the sheet's own cells, and a print setup a person can use (landscape, one page wide, the header row on every page, rows
as tall as their wrapped text, the print area the table and its charts). The bytes depend on
the sheets and ``generated`` only: fixed workbook properties and fixed zip entry times, so the same inputs give the
same SHA-256 (article 15's package records it).
"""

from __future__ import annotations

import io
import math
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from govcloud.errors import InputError
from govcloud.hosts.inventory import stack_outputs_file

from .model import BEIJING, MEDIA_TYPES, DeliverableInputs, Document
from .package import SOURCE_FLAGS, MissingInput

if TYPE_CHECKING:
    from govcloud.hosts.evidence import Evidence
    from govcloud.hosts.inventory import StackHost

    from .catalog import MapEntry

Kind = Literal["text", "int", "decimal2", "decimal3", "percent3", "date", "datetime"]
NUMBER_FORMATS: dict[str, str] = {
    "text": "General", "int": "#,##0", "decimal2": "#,##0.00", "decimal3": "#,##0.000", "percent3": "0.000%",
    "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss",
}
FLAG_RGB = "FFFFC7CE"  # Excel's "light red fill"
FLAG_FILL = PatternFill("solid", fgColor=FLAG_RGB)
FLAG_FONT = Font(color="FF9C0006")
HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, horizontal="center", vertical="center")
MIN_WIDTH, MAX_WIDTH = 6, 60
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ROW_POINTS = 15  # a default row's height
MAX_ROW_POINTS = 409  # Excel's tallest row
ROW_CM = ROW_POINTS * 2.54 / 72  # where a chart below the table ends
CORE_XML = "docProps/core.xml"
FEN = Decimal("0.01")
BAD_SHEET_CHARS = set("[]:*?/\\")

NO_EVIDENCE = "无证据"  # a host the evidence does not cover: no figure is invented for it
NOT_GATHERED = "未采集"  # the evidence covers the host but has no facts (unreachable)


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    wrap: bool = False  # long text (reasons, details): wrapped at MAX_WIDTH


@dataclass(frozen=True)
class Cell:
    """A value with what the reader must see: ``flagged`` (light red) and a ``kind`` other than its column's."""

    value: Any
    flagged: bool = False
    kind: Kind | None = None


def flag(value: Any, when: bool) -> Any:
    """``value`` highlighted when ``when`` (below the contract, failed, missing)."""
    return Cell(value, True) if when else value


@dataclass(frozen=True)
class Chart:
    """A native Excel chart drawn from the sheet's own cells (so figures and chart cannot disagree): one series
    per column of ``series`` (1-based, its header the series name) over the rows, labelled by ``categories``."""

    kind: Literal["bar", "line"]
    title: str
    categories: int
    series: tuple[int, ...]
    y_title: str = ""
    percent: bool = False  # the values are shares: the axis reads 0%..
    horizontal: bool = False  # bars run across, the first row on top: long labels (item names) read level

    def height_cm(self, rows: int) -> float:
        """Tall enough for every bar of a horizontal chart and its label (0.3 cm a bar), else 9 cm."""
        return max(9.0, 3 + 0.3 * rows * len(self.series)) if self.horizontal else 9.0


@dataclass(frozen=True)
class SheetSpec:
    name: str  # at most 31 characters, none of []:*?/\
    heading: tuple[str, ...]  # the title block, the document's name first
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    frozen_columns: int = 1  # columns kept in view when scrolling right (the host name)
    charts: tuple[Chart, ...] = ()  # drawn below the table

    @property
    def header_row(self) -> int:
        return len(self.heading) + 2  # one blank row between the title block and the header


# --- the writer


def display_width(text: str) -> int:
    """Columns ``text`` takes: a wide (CJK) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(value: Any, kind: Kind) -> str:
    """How the value reads in the cell, for the column width."""
    if isinstance(value, str) or value is None:
        return value or ""
    if kind == "percent3":
        return f"{Decimal(value) * 100:.3f}%"
    if kind in ("decimal2", "decimal3"):
        return f"{Decimal(value):,.{kind[-1]}f}"
    if kind == "int" and isinstance(value, (int, Decimal)):
        return f"{value:,}"
    if isinstance(value, datetime):
        return "0000-00-00 00:00:00"
    if isinstance(value, date):
        return "0000-00-00"
    return str(value)


def _excel(value: Any, kind: Kind) -> Any:
    """A value Excel stores: money exact to the fen, times in Beijing time (Excel keeps no time zone)."""
    if isinstance(value, Decimal) and kind == "decimal2":
        return value.quantize(FEN, rounding=ROUND_HALF_UP)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(BEIJING).replace(tzinfo=None)
    return value


def _check_name(name: str) -> str:
    if not name or len(name) > 31 or BAD_SHEET_CHARS & set(name):
        raise ValueError(f"sheet name {name!r}: 1-31 characters, none of []:*?/\\")
    return name


class _Styles:
    """A data cell's style (number format, flagged, wrapped) made once and copied onto each cell that has it:
    setting font, fill and format one by one is most of the time of a 10,000-row sheet."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, bool, bool], StyleArray] = {}

    def apply(self, cell: Any, fmt: str, flagged: bool, wrap: bool) -> None:
        key = (fmt, flagged, wrap)
        if key == ("General", False, False):
            return
        if key in self.made:
            cell._style = copy(self.made[key])
            return
        cell.number_format = fmt
        if flagged:
            cell.fill, cell.font = FLAG_FILL, FLAG_FONT
        if wrap:
            cell.alignment = WRAP
        self.made[key] = copy(cell._style)


def _write_sheet(ws: Worksheet, spec: SheetSpec) -> None:
    ncols = len(spec.columns)
    last = get_column_letter(ncols)
    for r, line in enumerate(spec.heading, start=1):
        ws.cell(r, 1, line).font = TITLE_FONT if r == 1 else Font()
        if ncols > 1:
            ws.merge_cells(f"A{r}:{last}{r}")
    h = spec.header_row
    widths = [display_width(c.header) + 2 for c in spec.columns]
    for c, col in enumerate(spec.columns, start=1):
        cell = ws.cell(h, c, col.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    styles = _Styles()
    wrapped: list[tuple[int, int, str]] = []  # (row, column, text) of wrapped text cells
    for r, row in enumerate(spec.rows, start=h + 1):
        if len(row) != ncols:
            raise ValueError(f"sheet {spec.name}: row {r} has {len(row)} values for {ncols} columns")
        for c, (col, raw) in enumerate(zip(spec.columns, row), start=1):
            value, flagged, kind = (raw.value, raw.flagged, raw.kind or col.kind) if isinstance(raw, Cell) \
                else (raw, False, col.kind)
            cell = ws.cell(r, c, _excel(value, kind))
            fmt = "General" if isinstance(value, str) or kind == "text" else NUMBER_FORMATS[kind]
            styles.apply(cell, fmt, flagged, col.wrap)
            if col.wrap and isinstance(value, str) and len(value) > MAX_WIDTH // 4:
                wrapped.append((r, c, value))
            if widths[c - 1] < MAX_WIDTH:
                widths[c - 1] = max(widths[c - 1], display_width(_text(value, kind)) + 2)
    widths = [max(MIN_WIDTH, min(MAX_WIDTH, w)) for w in widths]
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    for r, line in enumerate(spec.heading[1:], start=2):  # a note wider than the table wraps in its merged row
        if ncols > 1 and _lines(line, sum(widths)) > 1:
            ws.cell(r, 1).alignment = WRAP
            ws.row_dimensions[r].height = ROW_POINTS * _lines(line, sum(widths))
    tallest: dict[int, int] = {}
    for r, c, text in wrapped:  # neither Excel nor LibreOffice fits a row to its wrapped text on opening the file
        tallest[r] = max(tallest.get(r, 1), _lines(text, widths[c - 1]))
    for r, lines in tallest.items():
        if lines > 1:
            ws.row_dimensions[r].height = min(MAX_ROW_POINTS, ROW_POINTS * lines)
    ws.freeze_panes = f"{get_column_letter(spec.frozen_columns + 1)}{h + 1}"
    end = h + max(1, len(spec.rows))
    ws.auto_filter.ref = f"A{h}:{last}{end}"
    at = end + 3
    for chart in spec.charts:  # below the table, one under the other
        _add_chart(ws, spec, chart, f"A{at}")
        at += math.ceil(chart.height_cm(len(spec.rows)) / ROW_CM) + 2
        end = at - 1
    ws.print_area = f"A1:{last}{end}"  # the table and its charts: nothing else widens the printed page
    ws.print_title_rows = f"{h}:{h}"  # the frozen header row on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _lines(text: str, width: float) -> int:
    """The lines ``text`` takes wrapped in ``width`` columns, its own breaks kept: one where it fits as the widths were
    made (2 spare), else a tenth more than it fills (fonts differ)."""
    def one(part: int) -> int:
        return 1 if part <= width - 2 else math.ceil(part * 1.1 / width)

    return sum(one(display_width(part)) for part in text.split("\n"))


def _add_chart(ws: Worksheet, spec: SheetSpec, chart: Chart, anchor: str) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.data_source import AxDataSource, StrRef

    h, last = spec.header_row, spec.header_row + len(spec.rows)
    c = BarChart() if chart.kind == "bar" else LineChart()
    c.title, c.y_axis.title = chart.title, chart.y_title or None
    c.width, c.height = 24, chart.height_cm(len(spec.rows))
    if chart.horizontal:
        c.type = "bar"
        c.x_axis.scaling.orientation, c.y_axis.crosses = "maxMin", "max"  # first row on top, values along the bottom
        c.x_axis.tickLblSkip = 1  # every item named
    for col in chart.series:
        c.add_data(Reference(ws, min_col=col, min_row=h, max_row=last), titles_from_data=True)
    cats = Reference(ws, min_col=chart.categories, min_row=h + 1, max_row=last)
    for series in c.series:  # the labels are text (items, months): a string reference, not openpyxl's numeric one
        series.cat = AxDataSource(strRef=StrRef(f=str(cats)))
        if chart.kind == "line":  # monthly points: each one marked (a month alone still shows), straight lines
            series.marker.symbol, series.smooth = "circle", False
    if chart.percent:
        c.y_axis.number_format, c.y_axis.scaling.min = "0%", 0
    c.y_axis.delete = c.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told
    ws.add_chart(c, anchor)


def _fixed_zip(data: bytes, core: bytes) -> bytes:
    """The same archive with fixed entry times and ``core`` as its core properties (openpyxl stamps 'now')."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, core if info.filename == CORE_XML else src.read(info.filename))
    return out.getvalue()


def write_workbook(sheets: Sequence[SheetSpec], *, title: str, generated: datetime) -> bytes:
    """The xlsx bytes of ``sheets``; created and modified are ``generated`` (never the wall clock)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    wb = Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        _write_sheet(wb.create_sheet(_check_name(spec.name)), spec)
    when = generated.astimezone(UTC).replace(tzinfo=None)
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = title, "govcloud", None
    buf = io.BytesIO()
    wb.save(buf)
    props.created = props.modified = when  # openpyxl's save sets modified to now: written again here
    return _fixed_zip(buf.getvalue(), tostring(props.to_tree()))


# --- what the three builders share


def beijing(ts: str | datetime) -> datetime:
    """An ISO timestamp with its offset (evidence ``generated_at``) in Beijing time."""
    t = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    return t.astimezone(BEIJING)


def heading(inputs: DeliverableInputs, entry: MapEntry, *notes: str) -> tuple[str, ...]:
    """The title block: the document, the contract (number, name), 甲方 and 乙方 (chapter 1), the period and the
    generation date (article 16), then ``notes`` (where the figures come from)."""
    c, p = inputs.contract, inputs.period
    tenant, provider = c.parties["tenant"], c.parties["provider"]
    return (
        entry.name_zh,
        f"合同编号：{c.number}　合同名称：{c.title_zh}",
        f"甲方（{tenant.role_zh}）：{tenant.name_zh}　乙方（{provider.role_zh}）：{provider.name_zh}",
        (f"统计期间：{p.start.isoformat()} 至 {p.end.isoformat()}（{p.label}）　栈：{inputs.stack}　"
         f"生成日期：{inputs.generated.astimezone(BEIJING).date().isoformat()}"),
        *notes,
    )


def require_evidence(inputs: DeliverableInputs, entry: MapEntry) -> Evidence:
    """The harden evidence, or a ``MissingInput`` naming the document and the option; evidence of another
    contract is an ``InputError`` naming the file."""
    ev = inputs.evidence
    if ev is None:
        raise MissingInput(f"the {entry.name_zh} needs harden evidence: give {SOURCE_FLAGS['evidence']} "
                           f"(written by `govcloud harden`)")
    if ev.doc.get("contract") != inputs.contract.number:
        raise InputError.one(ev.path, "contract", f"evidence of contract {inputs.contract.number}, "
                                                  f"got {ev.doc.get('contract')}'s")
    return ev


def require_hosts(inputs: DeliverableInputs, entry: MapEntry) -> tuple[StackHost, ...]:
    """The stack's hosts, or a ``MissingInput`` naming the document and the stack outputs file."""
    if not inputs.hosts:
        raise MissingInput(f"the {entry.name_zh} needs the stack's hosts: {stack_outputs_file(inputs.stack)} "
                           f"with a `hosts` list (run the stack, or give its outputs)")
    return inputs.hosts


def evidence_note(ev: Evidence | None) -> str:
    """Which evidence the figures come from, and when the hosts were looked at."""
    if ev is None:
        return f"证据：未提供（各主机标注“{NO_EVIDENCE}”）"
    at = beijing(ev.doc["generated_at"]).strftime("%Y-%m-%d %H:%M")
    mode = "加固并检查" if ev.mode == "apply" else "仅检查，未更改主机"
    return f"证据：{ev.path.name}，采集时间 {at}（北京时间），运行方式 {ev.mode}（{mode}）"


@dataclass(frozen=True)
class HostView:
    """One host as the workbooks list it: a host of the stack's outputs or of the evidence, with its evidence record."""

    name: str
    evidence: dict[str, Any] | None


def host_views(inputs: DeliverableInputs) -> list[HostView]:
    """The stack's hosts in its order, then hosts only the evidence names (sorted)."""
    ev = inputs.evidence.hosts if inputs.evidence is not None else {}
    views = [HostView(h.name, ev.get(h.name)) for h in inputs.hosts]
    known = {h.name for h in inputs.hosts}
    return views + [HostView(n, ev[n]) for n in sorted(ev) if n not in known]


def no_evidence_row(name: str, ncols: int, word: str = NO_EVIDENCE) -> tuple[Any, ...]:
    """The row of a host the evidence does not cover: its name, ``无证据`` flagged, nothing invented."""
    return (name, Cell(word, True), *([None] * (ncols - 2)))


def not_gathered_row(name: str, ncols: int) -> tuple[Any, ...]:
    """The row of a host the evidence covers without this part (unreachable: facts not gathered)."""
    return no_evidence_row(name, ncols, NOT_GATHERED)


Rows = list[tuple[Any, ...]]
PerHost = Callable[[DeliverableInputs, str, dict[str, Any]], Rows]


def host_rows(inputs: DeliverableInputs, ncols: int, per_host: PerHost) -> tuple[tuple[Any, ...], ...]:
    """``per_host(inputs, name, evidence record)`` for each host of ``host_views``; a host without evidence one
    ``无证据`` row."""
    out: Rows = []
    for v in host_views(inputs):
        out += per_host(inputs, v.name, v.evidence) if v.evidence is not None else [no_evidence_row(v.name, ncols)]
    return tuple(out)


def item_name(inputs: DeliverableInputs, item_id: str) -> str:
    """A line item's short Chinese name as the contract prints it: its 子类 (article 2), or its own name where items
    share the 子类 (vCPU and 内存 are both X86平台云主机服务); an id the contract lacks as it is."""
    items = inputs.contract.line_items
    li = next((li for li in items if li.id == item_id), None)
    if li is None:
        return item_id
    shared = sum(other.subclass_zh == li.subclass_zh for other in items) > 1
    return li.name_zh if shared else li.subclass_zh


def addon_names(inputs: DeliverableInputs, addons: Iterable[str]) -> str:
    return "、".join(item_name(inputs, a) for a in addons)


def label(words_zh: dict[str, str], value: str | None) -> str:
    """A recorded word in Chinese with the word itself (``通过（pass）``); an unknown word as it is."""
    if value is None:
        return "未测"
    return f"{words_zh[value]}（{value}）" if value in words_zh else value


def yes_no(value: bool | None) -> Any:
    """是 / 否 (flagged) / 未测 (flagged: not measured is never yes)."""
    return "是" if value is True else Cell("否" if value is False else "未测", True)


def plain(number: float | Decimal) -> str:
    """A number as people write it: ``256`` for 256.0, ``0.5``."""
    d = Decimal(str(number)).normalize()
    return f"{d:f}"


def measured_disks(ev_host: dict[str, Any] | None) -> str:
    """The disks the evidence found (``vda 256 GB``); ``无证据`` when it does not cover the host."""
    if ev_host is None:
        return NO_EVIDENCE
    disks = (ev_host.get("facts") or {}).get("disks") or []
    return "；".join(f"{d['device']} {plain(d['size_gb'])} GB" if d.get("size_gb") is not None else d["device"]
                    for d in disks) or NOT_GATHERED


def os_name(ev_host: dict[str, Any] | None) -> str:
    """The operating system the evidence found (``Debian 12（bookworm）``)."""
    if ev_host is None:
        return NO_EVIDENCE
    os = (ev_host.get("facts") or {}).get("os")
    if not os:
        return NOT_GATHERED
    release = f"（{os['release']}）" if os.get("release") else ""
    return f"{os.get('distribution') or ''} {os['version']}{release}".strip()


def document(inputs: DeliverableInputs, entry: MapEntry, sheets: Sequence[SheetSpec]) -> Document:
    """The workbook of ``entry`` for the inputs' period, named as the map says."""
    data = write_workbook(sheets, title=f"{entry.name_zh}（{inputs.period.label}）", generated=inputs.generated)
    return Document(entry.id, entry.filename(inputs.period, "xlsx"), data, MEDIA_TYPES["xlsx"])
