"""北京市政务云平台XX时期安全检测报告 (article 16, map status ``partial``): what the harden evidence shows of the hosts'
等保三级 controls (GB/T 22239-2019 8.1.4 安全计算环境; article 6) for a period, the lynis and OpenSCAP figures it
holds, the contract's vulnerability scans (article 2, 主机漏洞扫描 "4次/年") against the scans it shows, and the
OpenSCAP waivers of ``playbooks/scan-waivers.yml``. The penetration test's findings (由检测机构填写) and the
rectification plan are the person's: empty sections, the plan seeded with the failed controls.

Only what the inputs record is reported. The lynis hardening index, the OpenSCAP counts per profile and the dated
scans come from the scan reports the vuln_scan role fetched (``--scans DIR``, govcloud.hosts.scan_reports; the
sections are in ``security_scans``); without them the report says they are absent and which flag gives them, never
inferring them from the control map or the role's defaults. The evidence's time is its ``generated_at`` (as the
inspection table reads it); evidence taken outside the period is said so on the first page of the body.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from govcloud.hosts.evidence import Evidence
from govcloud.hosts.scan_waivers import DEFAULT_SCAN_WAIVERS, ScanWaivers, load_scan_waivers

from . import security_scans as sc
from .catalog import MapEntry
from .inspection import FAILED, RESULT_ZH
from .model import DeliverableInputs, Document
from .package import SOURCE_FLAGS
from .pdf import Cell, cover, date_zh, document, esc, para, period_zh, section, table, titled
from .workbook import beijing, host_views, item_name, require_evidence

VULN_SCAN_ITEM = sc.VULN_SCAN_ITEM  # contract line item 主机漏洞扫描 (article 2)
OSCAP_CONTROL = "addon.vuln_scan.oscap"
LYNIS_CONTROL = "8.1.4.4e"  # the control map's lynis scan (入侵防范 e)
SCAN_CONTROLS = ("8.1.4.4e", "addon.vuln_scan.schedule", "addon.vuln_scan.reports", OSCAP_CONTROL)
ABSENT = "证据未记录"
ONE_DAY = timedelta(days=1)
#: result order in the summary table: the evidence schema's
RESULTS = tuple(RESULT_ZH)


#: this document's additions to the shared stylesheet: fixed column widths (``sized``) and long ids and rule names
#: broken where they must be, so a table never runs off the page
STYLE = ("<style>table.sized { table-layout: fixed; } table.sized td, table.sized th { overflow-wrap: anywhere; "
         "white-space: normal; } td.blank { height: 9mm; }</style>")


def sized(html: str, widths: Sequence[int]) -> str:
    """A ``pdf.table`` with fixed column widths (percent of the page's width, in the columns' order)."""
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    return html.replace('<table class="data">', f'<table class="data sized"><colgroup>{cols}</colgroup>', 1)


# ------------------------------------------------------------------------------------------------ the evidence
def _taken(ev: Evidence) -> date:
    return beijing(ev.doc["generated_at"]).date()


def _when_note(inputs: DeliverableInputs, ev: Evidence) -> str:
    """When the hosts were looked at, and plainly whether that is inside the period (and the term)."""
    at = beijing(ev.doc["generated_at"])
    p, term = inputs.period, inputs.contract.term
    text = f"证据采集时间：{at:%Y-%m-%d %H:%M}（北京时间），文件 {ev.path.name}，运行方式 {ev.mode}。"
    if p.start <= at.date() <= p.end:
        return text + "采集时间在本报告期间内。"
    where = "之前" if at.date() < p.start else "之后"
    text += (f"注意：证据采集于本报告期间（{p.start.isoformat()} 至 {p.end.isoformat()}）{where}，"
             "以下结果反映采集当时主机的状态，不能证明本期间内的状态")
    if not term.contains(at.date()):
        text += f"；采集时间亦不在合同服务期（{term.start.isoformat()} 至 {term.end.isoformat()}）内"
    return text + "。"


def _counts(h: dict[str, Any]) -> Counter[str]:
    return Counter(c["result"] for c in h.get("controls", {}).values())


def _host_kind(h: dict[str, Any]) -> str:
    virt = (h.get("facts") or {}).get("virtualization") or {}
    return str(virt.get("type") or "—")


def _summary(inputs: DeliverableInputs, ev: Evidence) -> str:
    views = host_views(inputs)
    missing = [v.name for v in views if v.evidence is None]
    rows = []
    for v in views:
        if v.evidence is None:
            rows.append([Cell(v.name, wrap=False), Cell("无证据（未检测）", bad=True), *[""] * (len(RESULTS) + 2)])
            continue
        n, h = _counts(v.evidence), v.evidence
        rows.append([Cell(v.name, wrap=False), "是" if h.get("reachable") else Cell("否", bad=True),
                     Cell(_host_kind(h), wrap=False), Cell(str(sum(n.values())), num=True),
                     *(Cell(str(n[r]), num=True, bad=r == FAILED and n[r] > 0) for r in RESULTS)])
    total = _total_counts(ev)
    rows.append(["合计", "", "", Cell(str(sum(total.values())), num=True),
                 *(Cell(str(total[r]), num=True, bad=r == FAILED and total[r] > 0) for r in RESULTS)])
    checked = len(views) - len(missing)
    lines = [f"栈 {inputs.stack}：{len(views)} 台主机，其中 {checked} 台有检测结果"
             + (f"；无证据（未检测）：{'、'.join(missing)}" if missing else "") + "。",
             (f"控制项共 {len(ev.controls)} 项（证据自带的控制项映射：GB/T 22239-2019 8.1.4 各条款及合同附加服务）；"
              f"不通过 {total[FAILED]} 项次。")]
    failed = [[Cell(host, wrap=False, bad=True), Cell(cid, bad=True),
               Cell(ev.controls.get(cid, {}).get("clause_zh", ""), wrap=False, bad=True), Cell(reason, bad=True)]
              for host in sorted(ev.hosts) for cid, _item, reason in ev.failed_controls(host)]
    return section(
        "一、检测概况",
        _when_box(inputs, ev),
        *(para(x) for x in lines),
        table(["主机", "可达", "运行\n环境", "控制\n项数", *(RESULT_ZH[r] for r in RESULTS)], rows, totals=1),
        "<h3>不通过的控制项</h3>",
        table(["主机", "控制项", "条款", "原因"], failed, empty="无不通过的控制项。"),
    )


def _when_box(inputs: DeliverableInputs, ev: Evidence) -> str:
    inside = inputs.period.start <= _taken(ev) <= inputs.period.end
    return f'<div class="verdict {"met" if inside else "breached"}"><strong>{esc(_when_note(inputs, ev))}</strong></div>'


def _total_counts(ev: Evidence) -> Counter[str]:
    total: Counter[str] = Counter()
    for h in ev.hosts.values():
        total += _counts(h)
    return total


# ------------------------------------------------------------------------------------------------ per family
def family(clause_zh: str) -> str:
    """``身份鉴别 a`` → 身份鉴别 (the 8.1.4 heading a control belongs to)."""
    return clause_zh.split()[0] if clause_zh.strip() else "其他"


def _result_cell(results: dict[str, dict[str, Any]], hosts: int) -> Cell:
    n = Counter(c["result"] for c in results.values())
    parts = [f"{RESULT_ZH.get(r, r)} {n[r]}" for r in (FAILED, *(r for r in RESULTS if r != FAILED)) if n[r]]
    if len(results) < hosts:
        parts.append(f"未记录 {hosts - len(results)}")
    return Cell("，".join(parts) or "—", bad=n[FAILED] > 0)


def _explain(results: dict[str, dict[str, Any]], hosts: int) -> Cell:
    """The reasons of every result but a pass, grouped by result and reason: 全部主机 when every host agrees."""
    groups: dict[tuple[str, str], list[str]] = {}
    for host, c in sorted(results.items()):
        if c["result"] != "pass":
            groups.setdefault((c["result"], " ".join(c["reason"].split())), []).append(host)
    order = {r: i for i, r in enumerate((FAILED, *RESULTS))}
    lines = []
    for (result, reason), names in sorted(groups.items(), key=lambda g: (order.get(g[0][0], 99), g[0][1])):
        who = "全部主机" if len(names) == hosts else "、".join(names)
        lines.append(f"{RESULT_ZH.get(result, result)}（{who}）：{reason}")
    return Cell("；".join(lines) or "—", bad=any(r == FAILED for r, _ in groups))


def _families(inputs: DeliverableInputs, ev: Evidence) -> str:
    hosts = len(ev.hosts)
    by_family: dict[str, list[str]] = {}
    for cid, info in ev.controls.items():
        by_family.setdefault(family(info.get("clause_zh", "")), []).append(cid)
    parts = [para("每个控制项列出各主机的结果及数量；不通过者标红并列出主机和原因；豁免、人工核查、未运行、不适用者列出原因。"
                  "“通过”的说明从略（证据记录的是执行的任务数）。", "note")]
    for i, (name, cids) in enumerate(by_family.items(), 1):
        rows = []
        for cid in cids:
            info = ev.controls[cid]
            results = {host: h["controls"][cid] for host, h in ev.hosts.items() if cid in h.get("controls", {})}
            rows.append([Cell(cid), Cell(info.get("clause_zh", "")),
                         f"{info.get('title', '')}（{item_name(inputs, info.get('line_item', ''))}）",
                         _result_cell(results, hosts), _explain(results, hosts)])
        parts.append(f"<h3>{i}. {esc(name)}</h3>" + sized(table(["控制项", "条款", "内容（合同项目）", "结果（主机数）", "说明"], rows),
                                                          (21, 11, 26, 11, 31)))
    return section("二、等保三级控制项检测结果（GB/T 22239-2019 8.1.4 安全计算环境）", *parts)


# ------------------------------------------------------------------------------------------------ lynis, OpenSCAP
def _control(h: dict[str, Any], cid: str) -> str:
    c = h.get("controls", {}).get(cid)
    return RESULT_ZH.get(c["result"], c["result"]) if c is not None else ABSENT


def _kinds(inputs: DeliverableInputs, ev: Evidence) -> dict[str, str]:
    """Each host's kind for the waiver file (container or machine), from its evidence."""
    return {h.name: sc.host_kind(ev.hosts.get(h.name)) for h in inputs.hosts}


def _latest_cells(inputs: DeliverableInputs, name: str) -> tuple[str, str]:
    """The hardening index and the OpenSCAP pass/fail per profile of the host's latest scan in the period."""
    if inputs.scans is None:
        return ABSENT, ABSENT
    s = sc.latest_in(inputs.scans, name, inputs.period.start, inputs.period.end)
    if s is None:
        return "本期无扫描", "本期无扫描"
    index = str(s.lynis.hardening_index) if s.lynis is not None and s.lynis.hardening_index is not None else "—"
    oscap = "；".join(f"{r.profile} {r.count('pass')}/{r.count('fail')}" for r in s.oscap) or "未评估"
    return f"{index}（{s.day.isoformat()}）", oscap


def _tools(inputs: DeliverableInputs, ev: Evidence, waivers: ScanWaivers | None) -> str:
    rows = []
    for v in host_views(inputs):
        h = v.evidence
        index, oscap_counts = _latest_cells(inputs, v.name)
        if h is None:
            rows.append([Cell(v.name, wrap=False), Cell("无证据（未检测）", bad=True), "", index, "", oscap_counts])
            continue
        lynis = (h.get("packages") or {}).get("lynis")
        rows.append([Cell(v.name, wrap=False), lynis or ABSENT, _control(h, LYNIS_CONTROL), index,
                     _control(h, OSCAP_CONTROL), oscap_counts])
    head = table(["主机", "lynis\n版本", f"lynis 控制项\n{LYNIS_CONTROL}", "lynis\n加固指数",
                  f"OpenSCAP 控制项\n{OSCAP_CONTROL}", "OpenSCAP 规则\n通过/不通过"], rows)
    if inputs.scans is not None:
        return section("三、lynis 与 OpenSCAP 检测数据", para(sc.profiles_note(inputs.scans)), head,
                       *sc.readings(inputs, inputs.scans, scan_windows(inputs)[1], waivers, _kinds(inputs, ev), sized))
    oscap = {" ".join(h["controls"][OSCAP_CONTROL]["reason"].split())
             for h in ev.hosts.values() if OSCAP_CONTROL in h.get("controls", {})
             and h["controls"][OSCAP_CONTROL]["result"] != "pass"}
    notes = [para("lynis：证据未包含 lynis 的检测结果（加固指数 hardening index、警告数、建议数），只记录了 lynis 软件包版本和"
                  f"控制项 {LYNIS_CONTROL}（入侵防范 e）的执行结果；加固指数须从扫描报告另行取得。"),
             para("OpenSCAP：证据未包含 OpenSCAP 的评估结果（配置文件、通过/不通过规则数）"
                  + (f"；控制项 {OSCAP_CONTROL} 的记录：{'；'.join(sorted(oscap))}" if oscap else "") + "。"),
             para(f"未给出扫描报告：以 {SOURCE_FLAGS['vuln-scans']} 给出 vuln_scan 角色取回的报告目录（如 runs/vuln-scan，"
                  "每台主机一个目录）后，本节按扫描期列出各主机最近一次扫描的 lynis 加固指数与 OpenSCAP 各配置文件的结果、"
                  "全体主机加固指数的最低/中位数/最高值和无扫描的主机，第四节列出本期每次扫描的日期。", "note")]
    return section("三、lynis 与 OpenSCAP 检测数据", head, *notes)


# ------------------------------------------------------------------------------------------------ scan schedule
@dataclass(frozen=True)
class ScanWindow:
    """One of the contract year's scan occasions: a run of months, one scan due in it (主机漏洞扫描 "4次/年")."""

    number: int
    start: date
    end: date


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def scan_windows(inputs: DeliverableInputs) -> tuple[int, tuple[ScanWindow, ...]]:
    """The contract's occasions per term (line item ``vuln_scan``, article 2) and the term cut into as many equal
    runs of months from its start: 4 a year over 12 months is one scan in each 3 months of the contract year."""
    term = inputs.contract.term
    li = next((li for li in inputs.contract.line_items if li.id == VULN_SCAN_ITEM), None)
    occasions = (li.occasions or 0) if li is not None else 0
    if occasions <= 0:
        return 0, ()
    step = max(term.months // occasions, 1)
    out, start = [], term.start
    for n in range(1, occasions + 1):
        end = term.end if n == occasions else _add_months(start, step) - ONE_DAY
        out.append(ScanWindow(n, start, end))
        start = end + ONE_DAY
    return occasions, tuple(out)


def _scans(inputs: DeliverableInputs, ev: Evidence) -> str:
    p = inputs.period
    occasions, windows = scan_windows(inputs)
    touching = [w for w in windows if not (w.end < p.start or w.start > p.end)]
    scans = inputs.scans
    if scans is not None:
        rows = [sc.window_row(inputs, scans, w) for w in touching]
        head = ["扫描", "期间", "计划日期\n（schedule.json）", "已扫描\n主机", "扫描日期", "结论"]
    else:
        rows = [[Cell(f"第{w.number}次", wrap=False), Cell(f"{w.start.isoformat()} 至 {w.end.isoformat()}", wrap=False),
                 Cell("1", num=True), "无", _unknown_verdict(w, p.end)] for w in touching]
        head = ["扫描", "期间", "应扫描\n次数", "证据所示扫描日期", "结论"]
    per_host = []
    for v in host_views(inputs):
        h = v.evidence
        days = (sc.host_days(scans, v.name, p.start, p.end) if scans is not None else "") or "无"
        if h is None:
            per_host.append([Cell(v.name, wrap=False), Cell("无证据（未检测）", bad=True), "", "", "", days])
            continue
        per_host.append([Cell(v.name, wrap=False), "是" if VULN_SCAN_ITEM in h.get("addons", ()) else "否",
                         *(_control(h, cid) for cid in SCAN_CONTROLS[1:]), days])
    basis = (f"合同第2条：{item_name(inputs, VULN_SCAN_ITEM)}“{occasions}次/年”。按合同服务期"
             f"（{inputs.contract.term.start.isoformat()} 起）均分为 {len(windows)} 期，每期应扫描 1 次。"
             if occasions else "合同未规定主机漏洞扫描次数。")
    if scans is not None:
        count = [para(sc.count_text(inputs, scans))]
        listed = ["<h3>本期各次扫描（按日期）</h3>", sc.every_scan(inputs, scans)]
    else:
        count = [para(f"本报告期间（{p.start.isoformat()} 至 {p.end.isoformat()}）证据所示的扫描：0 次。证据（harden evidence "
                      "第2版）不记录扫描及其日期，只记录扫描计划与报告收集控制项的执行结果，因此无法由证据判定本期扫描次数是否达到"
                      "合同频次；须以带日期的扫描报告为准。"),
                 para(f"以 {SOURCE_FLAGS['vuln-scans']} 给出 vuln_scan 角色取回的扫描报告目录后，本节按扫描期判定每台应扫描的"
                      "主机是否已扫描，并列出本期每次扫描的日期。", "note")]
        listed = []
    return section("四、主机漏洞扫描计划与执行（入侵防范 e）",
                   para(basis), *count,
                   table(head, rows, empty="本期间不涉及扫描期。"), *listed,
                   "<h3>各主机扫描相关控制项</h3>",
                   table(["主机", "购买主机\n漏洞扫描", "扫描计划\naddon.vuln_scan.schedule",
                          "报告收集\naddon.vuln_scan.reports", "OpenSCAP\naddon.vuln_scan.oscap", "扫描日期"], per_host))


def _unknown_verdict(w: ScanWindow, last: date) -> Cell:
    """A window's verdict without scan reports: nothing shows a scan."""
    if w.end <= last:
        return Cell("未见扫描记录：不能证明满足合同频次", bad=True)
    return Cell(f"该期未结束于本报告期间内（至 {w.end.isoformat()}）；截至本期末未见扫描记录")


# ------------------------------------------------------------------------------------------------ waivers
def _waivers(inputs: DeliverableInputs, waivers: ScanWaivers | None, ev: Evidence, path: Path) -> str:
    """Every waiver with its reason; with scan reports (``--scans``) also what it waived in the period's scans."""
    if waivers is None:
        return section("五、OpenSCAP 规则豁免", para(f"未提供豁免文件（{path.name} 不存在）：无已记录的豁免。"))
    scans = inputs.scans
    use = sc.waiver_use(inputs, scans, waivers, _kinds(inputs, ev)) if scans is not None else None
    rows = []
    for i, w in enumerate(waivers.waivers):
        used = []
        if use is not None:
            n, hosts = use.get(i, (0, set()))
            used = [Cell(f"{n} 次（{len(hosts)} 台主机）" if n else "未用到")]
        rows.append([Cell(w.rule), Cell("、".join(w.profiles)), Cell(" ".join(w.host_kinds)), Cell(w.control or "—"),
                     w.reason, *used, Cell("未规定", wrap=False)])
    if scans is not None:
        left = sc.unwaived(inputs, scans, waivers, _kinds(inputs, ev))
        how = para("“本期豁免”为本报告期间各次扫描中该豁免所豁免的不通过规则结果数（主机数）；主机类型取自加固证据。"
                   + (f"各主机本期最近一次扫描中未豁免的不通过规则共 {len(left)} 条，已列入第七节整改计划。" if left
                      else "各主机本期最近一次扫描中没有未豁免的不通过规则。"), "note")
        head, widths = ["规则", "配置文件", "主机类型", "关联控制项", "原因", "本期豁免", "有效期"], (19, 11, 10, 12, 32, 9, 7)
    else:
        ran = any(h.get("controls", {}).get(OSCAP_CONTROL, {}).get("result") == "pass" for h in ev.hosts.values())
        how = para(f"本期证据中控制项 {OSCAP_CONTROL} 在任何主机上均未通过，证据中没有 OpenSCAP 的规则结果：以下豁免未用于本报告的"
                   "任何结果，列出备查。" if not ran else "OpenSCAP 的不通过规则按下表豁免（规则结果见扫描报告）。", "note")
        head, widths = ["规则", "配置文件", "主机类型", "关联控制项", "原因", "有效期"], (19, 12, 11, 15, 35, 8)
    return section(
        "五、OpenSCAP 规则豁免（playbooks/scan-waivers.yml）",
        para(f"共 {len(waivers.waivers)} 条豁免，适用内容：{waivers.content}。每条豁免说明该规则为何不通过以及为何可接受；"
             "未列入豁免的不通过规则计为未豁免（目标为 0）。"),
        para("有效期：豁免文件未规定有效期（schemas/scan-waivers.schema.json 无此字段），下表记为“未规定”；"
             "请在整改计划中确定复核日期。", "note"),
        how,
        sized(table(head, rows), widths),
    )


def _load_waivers(path: Path) -> ScanWaivers | None:
    """The waiver file read through its reader (schema and semantic checks); None when the file is absent (the
    map lists it as optional). A file that is there but wrong is an error, not an empty list."""
    return load_scan_waivers(path) if Path(path).exists() else None


# ------------------------------------------------------------------------------------------------ the person's
def _blank(head: Sequence[str], widths: Sequence[int], rows: int) -> str:
    """An empty table of ``rows`` rows for the person to fill in."""
    heads = "".join(f"<th>{esc(h)}</th>" for h in head)
    cells = '<td class="blank"></td>' * len(head)
    return sized(f'<table class="data"><thead><tr>{heads}</tr></thead><tbody>'
                 + f"<tr>{cells}</tr>" * rows + "</tbody></table>", widths)


def _box(label: str, height_mm: int) -> str:
    return (f'<table class="data"><tbody><tr><th style="width:22%">{esc(label)}</th>'
            f'<td style="height:{height_mm}mm"></td></tr></tbody></table>')


def _pentest() -> str:
    return section(
        "六、渗透测试结果（由检测机构填写）",
        para("本节由检测机构填写，govcloud 不生成任何内容。", "note"),
        _box("检测机构", 8), _box("检测日期", 8), _box("检测范围", 14),
        _blank(["编号", "发现的问题", "风险等级", "影响主机/系统", "整改建议"], (8, 36, 10, 18, 28), 6),
        _box("检测结论", 24), _box("检测机构签章", 20),
    )


def _plan(inputs: DeliverableInputs, ev: Evidence, waivers: ScanWaivers | None) -> str:
    failed = [[Cell(f"控制项检测：{host}", bad=True), Cell(f"{cid} 不通过：{reason}", bad=True), "", "", "", ""]
              for host in sorted(ev.hosts) for cid, _item, reason in ev.failed_controls(host)]
    if inputs.scans is not None:  # the failing OpenSCAP rules without a waiver, each host's latest scan
        failed += [[Cell(f"OpenSCAP 扫描：{profile}", bad=True), Cell(f"规则 {rule} 不通过（未豁免）：{'、'.join(hosts)}",
                                                                    bad=True), "", "", "", ""]
                   for profile, rule, hosts in sc.unwaived(inputs, inputs.scans, waivers, _kinds(inputs, ev))]
    head, widths = ["问题来源", "问题", "整改措施", "责任人", "计划完成日期", "状态"], (16, 30, 22, 10, 12, 10)
    seeded = (para("以下已列出本期检测中不通过的控制项，整改措施、责任人与日期由乙方填写；渗透测试发现的问题请续填。", "note")
              + sized(table(head, failed), widths)) if failed else para(
        "本期检测无不通过的控制项；渗透测试发现的问题请填入下表。", "note")
    return section("七、整改计划（由乙方填写）", seeded, _blank(head, widths, 6), _box("甲方确认", 20))


# ------------------------------------------------------------------------------------------------ the document
def build(inputs: DeliverableInputs, entry: MapEntry, *, scan_waivers: Path = DEFAULT_SCAN_WAIVERS) -> Document:
    """The security test report of ``inputs.period`` from the harden evidence (refused without it), the scan
    waivers file (optional) and the scan reports (``inputs.scans``, optional)."""
    ev = require_evidence(inputs, entry)
    waivers = _load_waivers(scan_waivers)
    title = titled(entry, inputs.period)
    front = cover(inputs, replace(entry, name_zh=title), [
        ("检测期间", period_zh(inputs.period)),
        ("文件性质", "部分由数据生成：检测结果来自加固证据；渗透测试结果与整改计划由人工填写"),
        ("证据", f"{ev.path.name}，采集于 {date_zh(_taken(ev))}"),
        ("扫描报告", f"{inputs.scans.folder.name}：{len(inputs.scans.hosts)} 台主机，"
                 f"{sum(len(h.scans) for h in inputs.scans.hosts.values())} 次扫描" if inputs.scans is not None
         else f"未给出（{SOURCE_FLAGS['vuln-scans']}）"),
    ])
    body = "".join([STYLE, front, _summary(inputs, ev), _families(inputs, ev), _tools(inputs, ev, waivers),
                    _scans(inputs, ev), _waivers(inputs, waivers, ev, scan_waivers), _pentest(),
                    _plan(inputs, ev, waivers)])
    return document(inputs, entry, body, title=title)
