"""北京市政务云平台数据持续性管理报告 (articles 2, 6 and annex 3; map status ``partial``): the backup capacity the
contract buys against what is deployed, every incident record of lost data with what annex 3 makes of it, and
data reliability (article 6: 99.9999%), which has no measure but those records. The backup and restore drills
are the provider's to describe.
"""

from __future__ import annotations

from decimal import Decimal

from govcloud.sla.clock import local_iso

from .capacity import compare
from .catalog import MapEntry
from .incident_report import loss_zh, require_incidents, started
from .model import DeliverableInputs, Document
from .package import SOURCE_FLAGS, MissingInput
from .pdf import Cell, cover, document, for_person, para, section, table, when
from .slawords import RELIABILITY_NOTE, note_zh

BACKUP_ITEMS = ("backup_local",)  # the line items of data kept for recovery (article 2: 本地备份服务)


def _backup(inputs: DeliverableInputs, entry: MapEntry) -> str:
    if inputs.export is None:
        raise MissingInput(f"the {entry.name_zh} needs the deployed state: give {SOURCE_FLAGS['stack-export']}")
    rows = [[r.name_zh, r.unit, Cell(f"{r.contracted.normalize():f}", True),
             Cell(f"{(r.deployed or Decimal(0)).normalize():f}", True, r.deployed != r.contracted), r.clause]
            for r in compare(inputs, inputs.export) if r.id in BACKUP_ITEMS]
    return table(("合同项目", "单位", "合同数量", "已部署", "条款"), rows, empty="合同无备份项目。")


def _losses(inputs: DeliverableInputs, entry: MapEntry) -> str:
    records = [r for r in started(require_incidents(inputs, entry), inputs.period) if r.data_lost is not None]
    rows = [[r.id, "、".join(r.systems), when(local_iso(r.start_ms)),
             Cell(loss_zh(r, inputs), bad=not r.data_lost.recoverable)] for r in records]
    target = inputs.contract.sla.data_reliability_percent
    return (table(("事件", "系统", "发现时间", "丢失情况"), rows, empty="本期无数据丢失记录。")
            + para(f"数据可靠性目标 ≥ {target.normalize():f}%（第6条）。{note_zh(RELIABILITY_NOTE)}。"
                   f"本期数据丢失记录 {len(rows)} 条。"))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The period's data continuity: backup capacity, data-loss records, and the drills left for the provider."""
    body = "".join([
        cover(inputs, entry, [("文件性质", "部分由数据生成：备份容量与数据丢失记录由数据生成；备份与恢复演练由乙方填写")]),
        section("一、备份容量（第二条）", _backup(inputs, entry)),
        section("二、数据丢失与数据可靠性（第六条、附件3）", _losses(inputs, entry)),
        section("三、备份与恢复演练（由乙方填写）", for_person("备份策略与执行情况"),
                for_person("恢复演练（日期、范围、恢复时间、结果）"), for_person("存在问题与改进措施", height_mm=30)),
    ])
    return document(inputs, entry, body)
