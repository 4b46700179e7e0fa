"""The security test report's figures from the scan reports (``--scans DIR``, govcloud.hosts.scan_reports): per scan
window of the contract (主机漏洞扫描 "4次/年", article 2: the term cut into 4 runs of 3 months, a scan due in each)
each host's latest lynis hardening index and OpenSCAP counts per profile, the fleet's min/median/max index and the
hosts without a scan; every scan of the period with its date against the timer's planned dates (schedule.json); the
failing OpenSCAP rules weighed against ``playbooks/scan-waivers.yml``.

A scan's day is its report's (the host's local calendar day); it counts in a window from the window's start up to the
period's end, so a report of a later period never changes this one's figures. The hosts a scan is due on are the
stack's hosts that bought the add-on (their ``addons`` hold ``vuln_scan``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from govcloud.hosts.scan_reports import ProfileResult, Scan, ScanReports, index_spread
from govcloud.hosts.scan_waivers import ScanWaivers

from .model import DeliverableInputs
from .pdf import Cell, para, table

VULN_SCAN_ITEM = "vuln_scan"  # contract line item 主机漏洞扫描 (article 2)
#: the XCCDF results shown in a profile's cell, in this order, with their names in the report
SHOWN = (("pass", "通过"), ("fail", "不通过"), ("notapplicable", "不适用"), ("error", "错误"))
OTHER = (("unknown", "未知"), ("notchecked", "未检查"), ("informational", "信息"), ("fixed", "已修复"))


@dataclass(frozen=True)
class Span:
    """One scan window as this report sees it: ``start``..``end`` the window, ``last`` the last day that counts
    (the window's end, or the period's when the window runs on past it)."""

    number: int  # 0: the contract sets no occasions, the whole period is one span
    start: date
    end: date
    last: date

    @property
    def open(self) -> bool:
        return self.last < self.end

    def label(self) -> str:
        return f"第{self.number}次扫描期" if self.number else "本报告期间"


def spans(windows: Iterable[Any], first: date, last: date) -> list[Span]:
    """The windows (``number``, ``start``, ``end``) touching ``first``..``last``; the period itself without any."""
    out = [Span(w.number, w.start, w.end, min(w.end, last)) for w in windows if not (w.end < first or w.start > last)]
    return out or [Span(0, first, last, last)]


def due_hosts(inputs: DeliverableInputs) -> list[str]:
    """The stack's hosts a scan is due on (they bought 主机漏洞扫描)."""
    return [h.name for h in inputs.hosts if VULN_SCAN_ITEM in h.addons]


def host_kind(evidence_host: Mapping[str, Any] | None) -> str:
    """The waiver file's kind of a host from its evidence: container (nspawn, lxc, docker) or machine."""
    virt = ((evidence_host or {}).get("facts") or {}).get("virtualization") or {}
    return "container" if virt.get("type") == "container" else "machine"


def counted(scans: ScanReports, host: str, span: Span) -> list[Scan]:
    """The host's scans from the window's start to the last day that counts."""
    hs = scans.hosts.get(host)
    return hs.within(span.start, span.last) if hs is not None else []


def latest_in(scans: ScanReports, host: str, first: date, last: date) -> Scan | None:
    hs = scans.hosts.get(host)
    found = hs.within(first, last) if hs is not None else []
    return found[-1] if found else None


# ------------------------------------------------------------------------------------------------ cells
def _waived(r: ProfileResult, waivers: ScanWaivers | None, kind: str) -> tuple[list[str], list[str]]:
    """The failing rules split into (waived, not waived)."""
    if waivers is None:
        return [], list(r.failing)
    waived = [rule for rule in r.failing if waivers.find(r.profile, rule, kind) is not None]
    return waived, [rule for rule in r.failing if rule not in waived]


def profile_cell(r: ProfileResult | None, waivers: ScanWaivers | None, kind: str) -> Cell:
    if r is None:
        return Cell("未评估")
    waived, open_ = _waived(r, waivers, kind)
    split = f"已豁免 {len(waived)}，未豁免 {len(open_)}"
    only_fail = r.count("fail") == len(r.failing)  # no error or unknown result among them
    parts = []
    for key, name in SHOWN:
        parts.append(f"{name} {r.count(key)}" + (f"（{split}）" if key == "fail" and r.failing and only_fail else ""))
    parts += [f"{name} {r.count(key)}" for key, name in OTHER if r.count(key)]
    if not only_fail:
        parts.append(f"不通过、错误与未知的规则中{split}")
    return Cell("，".join(parts) + f"；评估于 {r.started:%Y-%m-%d %H:%M}", bad=bool(open_))


def _index(scan: Scan) -> Cell:
    if scan.lynis is None:
        return Cell("无 lynis 报告", bad=True)
    if scan.lynis.hardening_index is None:
        return Cell("报告无加固指数（lynis 未完成）", bad=True)
    return Cell(str(scan.lynis.hardening_index), num=True)


def _notes(scan: Scan) -> str:
    return f"警告 {scan.lynis.warnings}，建议 {scan.lynis.suggestions}" if scan.lynis is not None else "—"


def _median(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def spread_text(scans: Sequence[Scan]) -> str:
    got = index_spread(s.lynis.hardening_index for s in scans
                       if s.lynis is not None and s.lynis.hardening_index is not None)
    if got is None:
        return "加固指数：无 lynis 结果。"
    low, mid, high = got
    n = sum(1 for s in scans if s.lynis is not None and s.lynis.hardening_index is not None)
    return f"全体主机加固指数（各主机最近一次扫描）：最低 {low}，中位数 {_median(mid)}，最高 {high}（{n} 台主机）。"


# ------------------------------------------------------------------------------------------------ section 三
def readings(inputs: DeliverableInputs, scans: ScanReports, windows: Iterable[Any], waivers: ScanWaivers | None,
             kinds: Mapping[str, str], sized: Callable[[str, Sequence[int]], str]) -> list[str]:
    """Per span of the period: each host's latest scan in it (lynis index, OpenSCAP per profile), the fleet's
    min/median/max index and the hosts the window still owes a scan (none in it up to the span's last day: a scan
    earlier in the window, before the period, counts). ``sized`` gives a table the report's column widths."""
    p, due = inputs.period, set(due_hosts(inputs))
    parts = []
    for sp in spans(windows, p.start, p.end):
        first = max(sp.start, p.start)
        latest = {h.name: latest_in(scans, h.name, first, sp.last) for h in inputs.hosts}
        profiles = sorted({r.profile for s in latest.values() if s is not None for r in s.oscap})
        earlier = {n: counted(scans, n, sp) for n, s in latest.items() if s is None}
        rows = []
        for name, s in latest.items():
            if s is None:
                before = earlier[name]
                text = f"本期无扫描（本扫描期已于 {before[-1].day.isoformat()} 扫描）" if before else "本期无扫描"
                rows.append([Cell(name, wrap=False), Cell(text, bad=name in due and not before), "", "",
                             *("" for _ in profiles)])
                continue
            by = {r.profile: r for r in s.oscap}
            rows.append([Cell(name, wrap=False), Cell(f"{s.stamp:%Y-%m-%d %H:%M}"), _index(s), _notes(s),
                         *(profile_cell(by.get(pr), waivers, kinds.get(name, "machine")) for pr in profiles)])
        missing = [n for n, s in latest.items() if s is None and n in due and not earlier[n]]
        head = (f"{sp.label()}（{sp.start.isoformat()} 至 {sp.end.isoformat()}），本报告取 {first.isoformat()} 至 "
                f"{sp.last.isoformat()}")
        parts += [f"<h3>{head}</h3>",
                  para(spread_text([s for s in latest.values() if s is not None])),
                  sized(table(["主机", "扫描开始\n（主机时间）", "lynis\n加固指数", "lynis\n警告/建议",
                               *(f"OpenSCAP\n{pr}" for pr in profiles)], rows),
                        (12, 11, 8, 10, *(59 // len(profiles) for _ in profiles)) if profiles else (30, 25, 20, 25)),
                  para(f"本扫描期截至 {sp.last.isoformat()} 未扫描的主机（应扫描）：{'、'.join(missing)}。" if missing
                       else f"应扫描的 {len(due)} 台主机在本扫描期内均已扫描。", "note")]
    return parts


def profiles_note(scans: ScanReports) -> str:
    plans = sorted({(s.scans_per_year, s.dates, s.time) for s in scans.schedules})
    planned = "；".join(f"每年 {n} 次，{'、'.join(d.isoformat() for d in dates)} {t}" for n, dates, t in plans)
    return (f"lynis 与 OpenSCAP 数据取自扫描报告目录 {scans.folder.name}（vuln_scan 角色取回，每台主机一个目录）："
            f"{len(scans.hosts)} 台主机，{sum(len(h.scans) for h in scans.hosts.values())} 次扫描，{scans.files} 个文件，"
            f"摘要 SHA-256 {scans.digest[:16]}…。扫描计划（schedule.json）：{planned or '未取回'}。"
            "lynis 取报告文件（.dat）的 hardening_index 与警告、建议条数；OpenSCAP 取结果文件（ARF）中 TestResult 的各规则结果，"
            "不通过的规则按 playbooks/scan-waivers.yml 判定是否豁免（主机类型取自加固证据）。")


# ------------------------------------------------------------------------------------------------ section 四
def planned_days(scans: ScanReports) -> set[date]:
    return {d for s in scans.schedules for d in s.dates}


def window_row(inputs: DeliverableInputs, scans: ScanReports, w: Any) -> list[Cell | str]:
    """One window: planned dates, hosts scanned up to the period's end, the days, the verdict."""
    p, due = inputs.period, due_hosts(inputs)
    sp = Span(w.number, w.start, w.end, min(w.end, p.end))
    done = {h: counted(scans, h, sp) for h in due}
    missing = [h for h in due if not done[h]]
    days = sorted({s.day for h in done.values() for s in h})
    shown = "、".join(d.isoformat() + ("（本期前）" if d < p.start else "") for d in days) or "无"
    planned = "、".join(d.isoformat() for d in sorted(planned_days(scans)) if w.start <= d <= w.end) or "—"
    if not missing:
        verdict = Cell(f"满足：应扫描的 {len(due)} 台主机均已扫描")
    elif not sp.open:
        verdict = Cell(f"不满足：{len(missing)} 台主机未扫描（{'、'.join(missing)}）", bad=True)
    else:
        verdict = Cell(f"该期未结束于本报告期间内（至 {w.end.isoformat()}）；截至本期末 {len(missing)} 台主机未扫描"
                       f"（{'、'.join(missing)}）")
    return [Cell(f"第{w.number}次", wrap=False), Cell(f"{w.start.isoformat()} 至 {w.end.isoformat()}", wrap=False),
            Cell(planned), Cell(f"{len(due) - len(missing)}/{len(due)}", num=True), Cell(shown), verdict]


def every_scan(inputs: DeliverableInputs, scans: ScanReports) -> str:
    """Every scan dated in the period, by day: planned or not, and the hosts (with their start time)."""
    p, planned = inputs.period, planned_days(scans)
    by_day: dict[date, list[Scan]] = {}
    for s in scans.within(p.start, p.end):
        by_day.setdefault(s.day, []).append(s)
    rows = [[Cell(d.isoformat(), wrap=False), "计划日期" if d in planned else "计划外", Cell(str(len(found)), num=True),
             "、".join(f"{s.host}（{s.stamp:%H:%M}）" for s in found)] for d, found in sorted(by_day.items())]
    return table(["日期", "计划", "主机数", "主机（扫描开始时间）"], rows, empty="本报告期间无扫描。")


def count_text(inputs: DeliverableInputs, scans: ScanReports) -> str:
    p = inputs.period
    found = scans.within(p.start, p.end)
    hosts = {s.host for s in found}
    return (f"本报告期间（{p.start.isoformat()} 至 {p.end.isoformat()}）扫描报告所示的扫描：{len(found)} 次"
            f"（{len(hosts)} 台主机，{len({s.day for s in found})} 个日期）。每个扫描期内每台应扫描的主机（购买主机漏洞扫描）至少扫描 1 次"
            "为满足。")


def host_days(scans: ScanReports, host: str, first: date, last: date) -> str:
    hs = scans.hosts.get(host)
    return "、".join(sorted({s.day.isoformat() for s in hs.within(first, last)})) if hs is not None else ""


# ------------------------------------------------------------------------------------------------ waivers, plan
def waiver_use(inputs: DeliverableInputs, scans: ScanReports, waivers: ScanWaivers,
               kinds: Mapping[str, str]) -> dict[int, tuple[int, set[str]]]:
    """Per waiver (its index): how many failing rule results of the period's scans it waived, on which hosts."""
    use: dict[int, tuple[int, set[str]]] = {}
    index = {id(w): i for i, w in enumerate(waivers.waivers)}
    for s in scans.within(inputs.period.start, inputs.period.end):
        for r in s.oscap:
            for rule in r.failing:
                w = waivers.find(r.profile, rule, kinds.get(s.host, "machine"))
                if w is not None:
                    n, hosts = use.get(index[id(w)], (0, set()))
                    use[index[id(w)]] = (n + 1, hosts | {s.host})
    return use


def unwaived(inputs: DeliverableInputs, scans: ScanReports, waivers: ScanWaivers | None,
             kinds: Mapping[str, str]) -> list[tuple[str, str, list[str]]]:
    """(profile, rule, hosts) of the failing rules without a waiver in each host's latest scan of the period."""
    p = inputs.period
    found: dict[tuple[str, str], list[str]] = {}
    for h in inputs.hosts:
        s = latest_in(scans, h.name, p.start, p.end)
        for r in s.oscap if s is not None else ():
            for rule in _waived(r, waivers, kinds.get(h.name, "machine"))[1]:
                found.setdefault((r.profile, rule), []).append(h.name)
    return [(prof, rule, hosts) for (prof, rule), hosts in sorted(found.items())]
