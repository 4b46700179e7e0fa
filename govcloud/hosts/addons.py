"""What "installed and active" means for each contracted per-host add-on (contract annex line items).

Data: for each line item, the Debian packages that must be installed and the
systemd services that must run. A service marked kernel-bound (auditd) is only
required where the host has its own kernel (not on container/chroot hosts).
Several alternatives (PostgreSQL + pgaudit or MariaDB + server_audit) pass if one does.
"""

from __future__ import annotations

from dataclasses import dataclass

#: virtualization types that share the machine's kernel (TEST-HOSTS.md: nspawn reports `container`).
SHARED_KERNEL = frozenset({"container", "docker", "lxc", "podman", "chroot", "systemd-nspawn", "openvz"})


@dataclass(frozen=True)
class Variant:
    packages: tuple[str, ...]
    services: tuple[str, ...] = ()
    kernel_services: tuple[str, ...] = ()  # required only with a kernel of the host's own


@dataclass(frozen=True)
class AddonSpec:
    """One line item: it is delivered if any variant is fully installed and running."""

    line_item: str
    name_zh: str
    variants: tuple[Variant, ...]
    os_check: bool = False

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(p for v in self.variants for p in v.packages)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s for v in self.variants for s in (*v.services, *v.kernel_services))


ADDONS: dict[str, AddonSpec] = {a.line_item: a for a in (
    AddonSpec("antivirus", "主机杀毒", (Variant(("clamav-daemon", "clamav-freshclam"), ("clamav-daemon.service",)),)),
    AddonSpec("host_protection", "主机防护", (
        Variant(("auditd", "aide", "fail2ban"), ("fail2ban.service",), ("auditd.service",)),)),
    AddonSpec("log_analysis", "主机日志分析", (Variant(("rsyslog", "rsyslog-gnutls"), ("rsyslog.service",)),)),
    AddonSpec("deep_monitoring", "深度监控", (
        Variant(("prometheus-node-exporter",), ("prometheus-node-exporter.service",)),)),
    AddonSpec("db_audit", "数据库审计", (
        Variant(("postgresql-15-pgaudit",), ("postgresql@15-main.service",)),
        Variant(("mariadb-server",), ("mariadb.service",)),
    )),
    AddonSpec("vuln_scan", "主机漏洞扫描", (Variant(("lynis",)),)),
    AddonSpec("host_hardening", "主机安全加固", (Variant(("libpam-pwquality", "nftables")),)),
    AddonSpec("os_licence", "操作系统", (Variant(()),), os_check=True),
)}

#: Every unit some add-on needs: all the evidence play asks systemd about (govcloud_evidence_units).
ADDON_UNITS: tuple[str, ...] = tuple(sorted({s for spec in ADDONS.values() for s in spec.services}))

#: What a host buys when neither the stack outputs nor the inventory say (db_audit only in group `db`).
DEFAULT_ADDONS = ("host_hardening", "antivirus", "host_protection", "log_analysis", "deep_monitoring",
                  "vuln_scan", "os_licence")
SUPPORTED_OS = {("Debian", "12")}


@dataclass(frozen=True)
class AddonState:
    """Measured state of one add-on on one host (None: not measured)."""

    installed: bool | None
    active: bool | None
    detail: str = ""


def evaluate(spec: AddonSpec, packages: dict[str, str | None], services: dict[str, dict],
             virtualization: str, os: tuple[str, str]) -> AddonState:
    """Installed/active of `spec` from package and service facts of one host."""
    if spec.os_check:
        ok = os in SUPPORTED_OS
        return AddonState(ok, ok, f"{os[0]} {os[1]}" + ("" if ok else f" (supported: {sorted(SUPPORTED_OS)})"))
    shared_kernel = virtualization in SHARED_KERNEL
    best: AddonState | None = None
    for v in spec.variants:
        missing = [p for p in v.packages if not packages.get(p)]
        required = list(v.services) + ([] if shared_kernel else list(v.kernel_services))
        down = [s for s in required if services.get(s, {}).get("state") != "running"]
        if not missing and not down:
            waived = [s for s in v.kernel_services if shared_kernel]
            note = f"; {', '.join(waived)} not required on a {virtualization} host" if waived else ""
            return AddonState(True, True, f"{', '.join(v.packages) or '-'} installed; "
                                          f"{', '.join(required) or 'no service'} running{note}")
        down_text = ", ".join(f"{s} ({services.get(s, {}).get('state', 'absent')})" for s in down)
        state = AddonState(not missing, False if not missing else None,
                           f"missing packages: {', '.join(missing)}" if missing else f"not running: {down_text}")
        if best is None or (state.installed and not best.installed):
            best = state
    assert best is not None
    if not best.installed:
        return AddonState(False, False, best.detail)
    return best
