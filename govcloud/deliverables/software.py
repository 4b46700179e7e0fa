"""北京市政务云平台软硬件信息统计表 (article 16, 调研实施阶段): per host the software the add-ons install, its services,
each add-on's state, and the hardware, as the harden evidence measured them.

The packages and services are those of the contracted per-host add-ons (article 2, 扩展服务; govcloud.hosts.addons):
a package not installed reads 未安装, highlighted when a bought add-on needs it (no variant of the add-on is
installed); a service not running is highlighted when a bought add-on is not active. A host the evidence does not
cover reads 无证据.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from govcloud.hosts.addons import ADDONS, AddonSpec
from govcloud.ledger.counting import MB_PER_GB

from .catalog import MapEntry
from .model import DeliverableInputs, Document
from .workbook import (
    Cell,
    Column,
    PerHost,
    Rows,
    SheetSpec,
    addon_names,
    document,
    evidence_note,
    flag,
    heading,
    host_rows,
    label,
    measured_disks,
    not_gathered_row,
    os_name,
    plain,
    require_evidence,
    yes_no,
)

NOT_INSTALLED = "未安装"
STATE_ZH = {"running": "运行中", "stopped": "已停止", "absent": "不存在", "unknown": "未知", "inactive": "未运行",
            "failed": "失败"}
STATUS_ZH = {"enabled": "已启用", "disabled": "已禁用", "static": "静态", "masked": "已屏蔽", "absent": "不存在",
             "unknown": "未知", "indirect": "间接", "generated": "自动生成", "alias": "别名"}


def _addons_with(part: Callable[[AddonSpec], tuple[str, ...]], name: str) -> list[str]:
    """The add-ons whose packages (or services) include ``name``."""
    return [a for a, spec in ADDONS.items() if name in part(spec)]


def _wanting(h: dict[str, Any], addons: list[str], key: str) -> list[str]:
    """Of ``addons``, those the host bought whose evidence state ``key`` (installed | active) is not true."""
    state = h.get("addon_state") or {}
    return [a for a in addons if a in h.get("addons", ()) and (state.get(a) or {}).get(key) is not True]


def _packages(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    if h.get("packages") is None:
        return [not_gathered_row(name, 5)]
    rows: Rows = []
    for pkg, version in h["packages"].items():
        addons = _addons_with(lambda s: s.packages, pkg)
        needed = _wanting(h, addons, "installed") if version is None else []
        note = f"所购{addon_names(inputs, needed)}需要此软件包" if needed else ""
        rows.append((name, pkg, flag(version or NOT_INSTALLED, bool(needed)), addon_names(inputs, addons), note))
    return rows


def _services(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    if h.get("services") is None:
        return [not_gathered_row(name, 5)]
    rows: Rows = []
    for unit, st in h["services"].items():
        addons = _addons_with(lambda s: s.services, unit)
        needed = _wanting(h, addons, "active") if st.get("state") != "running" else []
        rows.append((name, unit, flag(label(STATE_ZH, st.get("state")), bool(needed)),
                     label(STATUS_ZH, st.get("status")), addon_names(inputs, addons)))
    return rows


def _addon_states(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    rows: Rows = []
    for a in h.get("addons", ()):
        st = (h.get("addon_state") or {}).get(a) or {}
        rows.append((name, addon_names(inputs, [a]), yes_no(st.get("installed")), yes_no(st.get("active")),
                     st.get("detail", "未测量")))
    return rows


def _hardware(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    facts = h.get("facts")
    reachable = "是" if h.get("reachable") else Cell("否", True)
    if not facts:
        return [(*not_gathered_row(name, 8), reachable)]
    memory = None if facts.get("memory_mb") is None else Decimal(facts["memory_mb"]) / MB_PER_GB
    sizes = [Decimal(plain(d["size_gb"])) for d in facts.get("disks") or () if d.get("size_gb") is not None]
    virt = facts.get("virtualization") or {}
    guest = "、".join(virt.get("tech_guest") or ())
    return [(name, facts.get("vcpus"), memory, measured_disks(h), sum(sizes, Decimal(0)) if sizes else None,
             f"{virt.get('type', '')}（{virt.get('role', '')}）" + (f"：{guest}" if guest else ""), os_name(h),
             (facts.get("os") or {}).get("kernel"), reachable)]


SHEETS: tuple[tuple[str, tuple[Column, ...], PerHost], ...] = (
    ("软件包", (Column("主机名"), Column("软件包"), Column("版本"), Column("所属增值服务"), Column("说明")), _packages),
    ("服务", (Column("主机名"), Column("服务"), Column("运行状态"), Column("开机启动"), Column("所属增值服务")),
     _services),
    ("增值服务", (Column("主机名"), Column("增值服务"), Column("已安装"), Column("运行中"), Column("说明", wrap=True)),
     _addon_states),
    ("硬件", (Column("主机名"), Column("vCPU", "int"), Column("内存(GB)", "decimal2"), Column("磁盘"),
             Column("磁盘合计(GB)", "decimal2"), Column("虚拟化"), Column("操作系统"), Column("内核"), Column("可达")),
     _hardware),
)


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The software and hardware inventory: 软件包, 服务, 增值服务 and 硬件, one sheet each."""
    ev = require_evidence(inputs, entry)
    head = heading(inputs, entry, evidence_note(ev))
    return document(inputs, entry, [SheetSpec(name, head, cols, host_rows(inputs, len(cols), per_host))
                                    for name, cols, per_host in SHEETS])
