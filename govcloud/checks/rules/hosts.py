"""Checks per host, from the harden evidence alone (stage ``host``): each contracted add-on installed and
active (article 2: the annex lines 主机杀毒 … 数据库审计 are bought per host), each control of the control
map (playbooks/controls.yml: the 等保三级 controls of GB/T 22239-2019 8.1.4 and the add-ons' own) measured
and passed (article 6). ``check --evidence`` and ``verify-hosts`` both run these, so a host's findings
are the same in either. A host that is absent, extra or re-flavored is a resource finding
(``rules.resources``), not one of these."""

from __future__ import annotations

from typing import Iterator

from govcloud.checks.findings import Effect, Finding
from govcloud.checks.hosts import ADDON_CLAUSE, CONTROL_CLAUSE, AddonStatus, HostsView
from govcloud.checks.registry import Check, check


def _addons(ctx: HostsView, status: AddonStatus, c: Check, expected: str, actual: str, says: str
            ) -> Iterator[Finding]:
    for h in ctx.hosts:
        if h.presence == "absent":
            continue
        for addon, st in h.addons.items():
            if st == status:
                detail = h.details.get(addon, "")
                yield c.finding(addon, f"{h.name}#{addon}", expected,
                                actual if status is not AddonStatus.UNVERIFIABLE else detail,
                                f"host {h.name}: {addon} {says} ({detail})",
                                effects=(Effect(addon, "host", None, expected, actual),), host=h.name)


@check("addon.missing", kind="addon-missing", severity="high", clause=ADDON_CLAUSE, stage="host",
       title="a contracted add-on is not installed on a host", applies_to=("host",),
       remediation="run `govcloud harden` on the host (the add-on's role installs it)")
def addon_missing(ctx: HostsView) -> Iterator[Finding]:
    return _addons(ctx, AddonStatus.MISSING, addon_missing, "installed", "not installed", "is not installed")


@check("addon.inactive", kind="addon-inactive", severity="high", clause=ADDON_CLAUSE, stage="host",
       title="a contracted add-on is installed but not running on a host", applies_to=("host",),
       remediation="start its service (`govcloud harden` enables and starts it) and find why it stopped")
def addon_inactive(ctx: HostsView) -> Iterator[Finding]:
    return _addons(ctx, AddonStatus.INACTIVE, addon_inactive, "active", "inactive", "is installed but not active")


@check("addon.unverifiable", kind="unverifiable", severity="low", clause=ADDON_CLAUSE, stage="host",
       title="a contracted add-on's state is not measured on a host", applies_to=("host",),
       remediation="run `govcloud harden --check` on the host so the evidence covers it")
def addon_unverifiable(ctx: HostsView) -> Iterator[Finding]:
    return _addons(ctx, AddonStatus.UNVERIFIABLE, addon_unverifiable, "installed and active", "not measured",
                   "is not measured")


def _evidenced(ctx: HostsView) -> Iterator[str]:
    """The hosts the evidence covers, of those present."""
    if ctx.evidence is None:
        return
    for h in ctx.hosts:
        if h.presence != "absent" and ctx.evidence.has_host(h.name):
            yield h.name


@check("control.failed", kind="control-failed", severity="high", clause=CONTROL_CLAUSE, stage="host",
       title="a control of the control map (等保 GB/T 22239-2019 8.1.4, or an add-on's) failed on a host",
       applies_to=("host",),
       remediation="run `govcloud harden` on the host, or record a waiver in the control map")
def control_failed(ctx: HostsView) -> Iterator[Finding]:
    for host in _evidenced(ctx):
        for control, item, reason in ctx.evidence.failed_controls(host):  # type: ignore[union-attr]
            yield control_failed.finding(item, f"{host}#{control}", "pass", "fail",
                                         f"host {host}: 等保 control {control} failed ({reason})",
                                         host=host, control=control)


@check("control.unverifiable", kind="unverifiable", severity="medium", clause=CONTROL_CLAUSE, stage="host",
       title="a control of the control map has no result in a host's evidence", applies_to=("host",),
       remediation="run `govcloud harden --check` on the host with the current control map")
def control_unverifiable(ctx: HostsView) -> Iterator[Finding]:
    ev = ctx.evidence
    if ev is None:
        return
    expected = ctx.expected_controls if ctx.expected_controls is not None else ev.mapped_controls()
    for host in _evidenced(ctx):
        measured = ev.measured_controls(host)
        for control, item in expected.items():
            if control not in measured:
                yield control_unverifiable.finding(
                    item, f"{host}#{control}", "a result", "no result",
                    f"host {host}: control {control} is in the control map but not in the evidence "
                    "(re-run harden)", host=host, control=control)
