"""The unified work order (《北京市市级政务云服务统一工单》) filed at each key node of a system.

Article 23: the tenant files the relevant part of the unified work order with the cloud
authority before each key node (入云 entry, 上线 go-live, 变更 change, 退出 exit); a system
without one may not be deployed. Article 12: the provider allocates the resources within
30 working days (工作日) of the order, which is what an entry or change order is due by. An
exit order allocates nothing: it carries the exit deadlines of its trigger instead
(articles 57–71, govcloud.runbook.steps.timeline), and no provisioning deadline.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from govcloud.contract.model import Contract
from govcloud.hosts.inventory import StackHost
from govcloud.runbook.engine import output
from govcloud.schemas import check_output
from govcloud.workdays import add_working_days

SCHEMA = "work-order.schema.json"
NODES_ZH = {"entry": "入云", "go-live": "上线", "change": "变更", "exit": "退出"}


@dataclass(frozen=True)
class RequestedHost:
    name: str
    role: str
    flavor: str
    addons: tuple[str, ...]


@dataclass(frozen=True)
class OrderDeadline:
    """One exit deadline as the form prints it (from a timeline.Deadline)."""

    clause: str
    date: date
    day_kind: str
    by: str
    text_zh: str


@dataclass(frozen=True)
class WorkOrder:
    """One 统一工单 record: who asks for what, for which system, at which node, due when."""

    order_id: str
    node: str
    contract: str
    applicant_zh: str
    provider_zh: str
    filed_with_zh: str
    system: str
    deployment_node_zh: str
    source_host: str
    resources: tuple[RequestedHost, ...]
    order_date: date
    working_days: int | None  # article 12; None on an exit order
    provisioning_deadline: date | None
    exit_deadlines: tuple[OrderDeadline, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        clauses = {"work_order": "article-23"}
        if self.provisioning_deadline is not None:
            clauses.update(deadline="article-12", calendar="working days (工作日)")
        else:
            clauses.update(deadlines="exit terms (articles 57-71), dated by govcloud.runbook.steps.timeline")
        d.update(kind="govcloud/work-order", version=1, node_zh=NODES_ZH[self.node],
                 order_date=self.order_date.isoformat(),
                 provisioning_deadline=self.provisioning_deadline.isoformat() if self.provisioning_deadline else None,
                 resources=[{**asdict(r), "addons": list(r.addons)} for r in self.resources],
                 exit_deadlines=[{**asdict(x), "date": x.date.isoformat()} for x in self.exit_deadlines],
                 clauses=clauses)
        return d


def work_order(contract: Contract, system: str, hosts: list[StackHost], *, source_host: str, order_date: date,
               node: str = "entry", exit_deadlines: tuple[OrderDeadline, ...] = ()) -> WorkOrder:
    """The work order for ``system``'s hosts. Entry, go-live and change orders are due article 12's
    working days after ``order_date``; an exit order carries ``exit_deadlines`` (at least one) instead."""
    if (node == "exit") != bool(exit_deadlines):
        raise ValueError("an exit work order needs its exit deadlines, and only an exit order has them")
    days = None if node == "exit" else contract.provisioning.working_days
    deployment = str(contract.systems[0].get("node_zh", "")) if contract.systems else ""
    mine = [h for h in hosts if h.system == system]
    return WorkOrder(
        order_id=f"WO-{contract.number}-{system}-{order_date:%Y%m%d}-{node}",
        node=node, contract=contract.number,
        applicant_zh=contract.parties["tenant"].name_zh, provider_zh=contract.parties["provider"].name_zh,
        filed_with_zh=contract.parties["authority"].name_zh if "authority" in contract.parties else "",
        system=system, deployment_node_zh=deployment, source_host=source_host,
        resources=tuple(RequestedHost(h.name, h.role, h.flavor, tuple(h.addons)) for h in mine),
        order_date=order_date, working_days=days,
        provisioning_deadline=None if days is None else add_working_days(order_date, days),
        exit_deadlines=tuple(exit_deadlines),
    )


def write_json(order: WorkOrder, path: Path) -> Path:
    doc = order.to_dict()
    check_output(doc, SCHEMA)
    return output.write_json(path, doc)


def write_html(order: WorkOrder, path: Path) -> Path:
    """A one-page printable form; every value escaped."""
    e = html.escape
    rows = [("工单编号 Order", order.order_id), ("节点 Node", f"{NODES_ZH[order.node]} ({order.node})"),
            ("合同 Contract", order.contract), ("申请单位 Applicant", order.applicant_zh),
            ("云服务商 Provider", order.provider_zh), ("备案单位 Filed with", order.filed_with_zh),
            ("信息系统 System", order.system), ("部署节点 Node site", order.deployment_node_zh),
            ("迁出主机 Source host", order.source_host), ("提交日期 Order date", order.order_date.isoformat())]
    if order.provisioning_deadline is not None:
        rows.append(("交付期限 Resources due", f"{order.provisioning_deadline.isoformat()} "
                                             f"({order.working_days} 个工作日, article 12)"))
    kinds = {"working": "工作日", "natural": "日"}
    terms = "".join(f"<tr><td>{e(x.clause)}</td><td>{e(x.date.isoformat())}</td>"
                    f"<td>{e(kinds.get(x.day_kind, x.day_kind))}</td><td>{e(x.by)}</td><td>{e(x.text_zh)}</td></tr>"
                    for x in order.exit_deadlines)
    exit_table = ('<h2>退出期限 Exit deadlines</h2><table class="cols"><tr><th>clause</th><th>date</th>'
                  f"<th>days</th><th>by</th><th>term</th></tr>{terms}</table>") if terms else ""
    resources_h = "退出资源 Resources released" if order.node == "exit" else "申请资源 Resources requested"
    res = "".join(f"<tr><td>{e(r.name)}</td><td>{e(r.role)}</td><td>{e(r.flavor)}</td>"
                  f"<td>{e(', '.join(r.addons))}</td></tr>" for r in order.resources)
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(order.order_id)}</title>
<style>body{{font-family:sans-serif;max-width:190mm;margin:10mm auto}}table{{border-collapse:collapse;width:100%;margin-bottom:8mm}}
th,td{{border:1px solid #444;padding:4px 6px;text-align:left;font-size:11pt}}th{{width:40%;background:#eee}}
table.cols th{{width:auto}}
@page{{size:A4;margin:12mm}}</style></head><body>
<h1>北京市市级政务云服务统一工单</h1>
<p>Unified work order (article 23), {"exit deadlines per the contract's exit terms" if terms
                                    else "provisioning deadline per article 12"}.</p>
<table>{body}</table>
{exit_table}
<h2>{e(resources_h)}</h2>
<table class="cols"><tr><th>host</th><th>role</th><th>flavor</th><th>add-ons</th></tr>{res}</table>
<p>申请单位签章 / Applicant signature: ____________ &nbsp; 日期 / Date: ____________</p>
</body></html>
"""
    return output.write_text(path, page)
