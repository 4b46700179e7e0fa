"""The four process documents of article 16's acceptance phase (map status ``template``): 运维方案, 服务请求管理流程,
故障管理流程 and 问题管理流程. Fixed steps filled with the contract's parties, quantities, time limits and clauses,
so a renewal with other figures gives other documents with no change here. The provider adapts and signs them.
"""

from __future__ import annotations

from collections.abc import Callable

from govcloud.contract.model import Contract
from govcloud.contract.money import number

from .catalog import MapEntry, load_map
from .model import DeliverableInputs, Document
from .pdf import Cell, clause_zh, cover, document, para, section, table

STEP_HEAD = ("步骤", "内容", "责任方", "时限", "依据", "记录")


def _steps(rows: list[tuple[str, str, str, str, str, str]]) -> str:
    return table(STEP_HEAD, [[Cell(r[0], wrap=False), *r[1:]] for r in rows])


def _clauses(*clauses: str) -> str:
    return "、".join(clause_zh(c) for c in clauses)


def _hotline(c: Contract) -> str:
    channels = {"email": "电子邮件", "phone": "电话", "instant-messaging": "即时通讯"}
    return f"{c.sla.hotline_hours} 小时服务热线（{'、'.join(channels.values())}）"


def _levels(c: Contract) -> str:
    rows = []
    for lv in c.incidents:
        rule = f"{lv.window_months} 个月内 {lv.termination_after} 次，甲方有权解除合同（{clause_zh(lv.clause)}）"
        for ev in lv.events:
            rows.append([Cell(lv.level, wrap=False), ev.category_zh, ev.scope_zh, ev.impact_zh, rule])
    return table(("级别", "类别", "范围", "情形（附件3）", "解除条件"), rows)


def fault(c: Contract) -> str:
    s = c.sla
    return "".join([
        section("一、目的与范围", para(
            f"规范{c.parties['provider'].name_zh}对{c.parties['tenant'].name_zh}政务云资源故障的发现、响应、到场、"
            f"定位隔离、恢复与定级，保证平台可用性不低于 {number(s.availability_percent)}%、数据可靠性不低于 "
            f"{number(s.data_reliability_percent)}%（{clause_zh('article-6')}）。")),
        section("二、流程与时限", _steps([
            ("1", "发现与报告：乙方监控发现，或甲方通过服务热线报告", "乙方、甲方", "立即", _clauses("article-8"),
             "发现时间、报告时间、受影响系统"),
            ("2", "响应：乙方确认受理并告知甲方", "乙方", f"发现或报告（取较早者）后 {s.response_minutes} 分钟内",
             _clauses("article-9"), "响应时间"),
            ("3", "到场：需要时工程师到达现场", "乙方", f"{s.on_site_hours} 小时内", _clauses("article-9"), "到场时间"),
            ("4", "定位与隔离：定位故障并排除或隔离", "乙方",
             f"{s.fault_isolation_minutes} 分钟内；重要系统 {s.fault_isolation_important_minutes} 分钟内",
             _clauses("article-10"), "隔离时间"),
            ("5", "恢复与验证：业务恢复，甲方确认", "乙方、甲方", "—", _clauses("article-6"),
             "恢复时间、数据丢失情况"),
            ("6", "定级与通报：按附件3判定 A/B 级事件，纳入月报", "乙方、甲方", "次月初",
             _clauses("article-53", "article-54"), "事件级别、持续时间、中断比例"),
            ("7", "免责认定：不可抗力或运营商核心网故障需提交证明", "乙方提交，甲方认定", "—",
             _clauses("article-60", "article-61"), "原因、证明日期"),
        ])),
        section("三、服务热线", para(f"{_hotline(c)}，全年受理故障报告（{clause_zh('article-8')}）。")),
        section("四、事件分级（附件3）", _levels(c)),
        section("五、记录与核对", para(
            "每起故障形成一条事件记录（发现、报告、响应、到场、隔离、恢复时间，受影响系统，原因，数据丢失）。"
            "每月由 govcloud sla report 将记录与监控数据双向核对：监控中有中断而无记录、有记录而监控无中断，均列为发现项；"
            "各时限逐条判定，超时列为发现项。")),
    ])


def service_request(c: Contract) -> str:
    s, p = c.sla, c.provisioning
    return "".join([
        section("一、目的与范围", para(
            f"规范{c.parties['tenant'].name_zh}向{c.parties['provider'].name_zh}提出资源申请、扩容、变更与咨询的受理和交付。")),
        section("二、请求类型与时限", _steps([
            ("1", f"新增资源：通过{p.work_order_zh}申请", "甲方申请，乙方交付", f"工单后 {p.working_days} 个工作日内",
             clause_zh(p.clause), "工单编号、交付日期"),
            ("2", "扩容：合同数量内的资源扩容", "乙方", f"{s.scale_out_days} 个自然日内", _clauses("article-6"),
             "申请日期、完成日期"),
            ("3", "临时突发扩容", "乙方", "按需", _clauses("article-7"), "起止时间、数量"),
            ("4", "超出合同数量：签订补充协议后方可使用", "甲方、乙方", "补充协议生效后",
             _clauses("article-7", "article-77", "article-79"), "补充协议编号"),
            ("5", "变更与维护窗口：事先批准，窗口开始前批准方可免计可用性", "乙方申请，甲方批准", "窗口开始前",
             _clauses("article-6"), "变更编号、批准人、批准时间"),
            ("6", "咨询与报障", "乙方", _hotline(c), _clauses("article-8"), "受理时间"),
        ])),
        section("三、数量核对", para(
            "合同数量既是乙方应交付的下限，也是甲方未经补充协议不得超出的上限。govcloud check 每日比对合同、声明与"
            "部署数量，双向列出差异。")),
    ])


def problem(c: Contract) -> str:
    b = next((lv for lv in c.incidents if lv.level == "B"), None)
    trigger = (f"1 年内 {b.termination_after} 次 B 级事件即触发解除权（{clause_zh(b.clause)}）"
               if b is not None else "")
    return "".join([
        section("一、目的与范围", para(
            "从重复发生或影响重大的事件中识别问题，查明根本原因并消除，防止再次发生。")),
        section("二、流程", _steps([
            ("1", "识别：同一系统同类事件重复发生，或任一附件3 A/B 级事件", "乙方", "月报时", _clauses("article-53", "article-54"),
             "问题编号、关联事件"),
            ("2", "分析：根本原因分析，形成已知错误和临时措施", "乙方", "—", _clauses("article-55"), "原因、临时措施"),
            ("3", "解决：通过变更实施永久措施（服务请求管理流程第5步）", "乙方申请，甲方批准", "—", _clauses("article-6"),
             "变更编号"),
            ("4", "跟踪：未关闭问题列入运维问题跟踪周报", "乙方", "每周", "—", "状态、责任人"),
            ("5", "关闭与回顾：验证不再发生；重大问题出具重大问题分析报告", "乙方、甲方", "—", _clauses("article-56"),
             "关闭日期、结论"),
        ])),
        section("三、解除合同的风险", para(f"B 级事件须逐次计入：{trigger}。govcloud 的月度历史记录滚动计数，无需保存一年的原始监控数据。")),
    ])


def operations_plan(c: Contract) -> str:
    s = c.sla
    systems = [[str(x.get("name_zh", "")), str(x.get("node_zh", "")), "、".join(map(str, x.get("serves_zh", []) or []))]
               for x in c.systems]
    items = [[li.name_zh, Cell(number(li.quantity), num=True), li.unit_zh, clause_zh(li.clause)] for li in c.line_items]
    dmap = load_map(c)
    deliverables = [[e.phase_zh, e.name_zh, {"generated": "数据生成", "partial": "数据＋人工", "template": "流程模板",
                                             "manual": "人工编写"}[e.status]] for e in dmap.entries]
    return "".join([
        section("一、项目概况", para(
            f"{c.title_zh}（合同编号 {c.number}），服务期 {c.term.start.isoformat()} 至 {c.term.end.isoformat()}"
            f"（{clause_zh(c.term.clause)}）。甲方：{c.parties['tenant'].name_zh}；乙方：{c.parties['provider'].name_zh}。"),
            table(("信息系统", "节点", "承载业务"), systems)),
        section("二、服务内容（第二条）", table(("项目", "数量", "单位", "依据"), items)),
        section("三、服务水平", table(("指标", "要求", "依据"), [
            ["平台可用性", f"≥ {number(s.availability_percent)}%", clause_zh("article-6")],
            ["数据可靠性", f"≥ {number(s.data_reliability_percent)}%", clause_zh("article-6")],
            ["等级保护", f"第{s.mlps_level}级", clause_zh("article-6")],
            ["扩容", f"{s.scale_out_days} 个自然日内", clause_zh("article-6")],
            ["服务热线", _hotline(c), clause_zh("article-8")],
            ["响应 / 到场", f"{s.response_minutes} 分钟 / {s.on_site_hours} 小时", clause_zh("article-9")],
            ["故障定位隔离", f"{s.fault_isolation_minutes} 分钟（重要系统 {s.fault_isolation_important_minutes} 分钟）",
             clause_zh("article-10")],
        ])),
        section("四、基础安全保障服务（第二条表三）",
                table(("类别", "目录", "内容"), [list(x) for x in c.basic_security_services])),
        section("五、交付物（第十五至十六条）",
                para(f"以下 {len(dmap.entries)} 项交付物须在服务期满（{dmap.due.isoformat()}）前提交。"),
                table(("阶段", "交付物", "形成方式"), deliverables)),
    ])


BODIES: dict[str, Callable[[Contract], str]] = {
    "operations-plan": operations_plan, "service-request-process": service_request, "fault-process": fault,
    "problem-process": problem}


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The process document of ``entry`` (one of ``BODIES``) from the contract alone."""
    body = BODIES[entry.id](inputs.contract)
    return document(inputs, entry, cover(inputs, entry, [("文件性质", "流程文件（依合同生成，乙方修订后签署）")]) + body)
