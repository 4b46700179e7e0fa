"""Per-host add-on services the contract buys (article 2, 扩展服务 and deep monitoring).

Every host carries the per-host items bought for all 200 hosts; database hosts also
carry database audit (数据库审计, 11 hosts). The policy pack and the host plan check
use this one table.
"""

from __future__ import annotations

PER_HOST_ADDONS: tuple[str, ...] = (
    "deep_monitoring",  # 特定云主机深度监控及运维保障服务
    "os_licence",  # 商用操作系统套餐
    "antivirus",  # 主机杀毒服务
    "host_protection",  # 主机防护
    "host_hardening",  # 主机安全加固 (once)
    "vuln_scan",  # 主机漏洞扫描 (4 occasions a year)
    "log_analysis",  # 主机日志分析 (once)
)
ROLE_ADDONS: dict[str, tuple[str, ...]] = {"db": ("db_audit",)}  # 数据库审计
ADDON_ITEMS: tuple[str, ...] = PER_HOST_ADDONS + ("db_audit",)


def required_addons(role: str) -> tuple[str, ...]:
    """The add-ons a host of ``role`` must carry (article 2)."""
    return PER_HOST_ADDONS + ROLE_ADDONS.get(role, ())
