"""Checks per deployed host, from the harden evidence: each contracted add-on installed and active
(article 2), each 等保 control passed (article 6). A host that is absent, extra or re-flavored is a
resource finding (``rules.resources``), not one of these."""

from __future__ import annotations

from typing import Iterator

from govcloud.checks.context import Context
from govcloud.checks.findings import Effect, Finding
from govcloud.checks.hosts import ADDON_CLAUSE
from govcloud.checks.registry import Check, check


def _addons(ctx: Context, state: str, c: Check, expected: str, actual: str, says: str) -> Iterator[Finding]:
    for h in ctx.hosts:
        if h.presence == "absent":
            continue
        for addon, st in h.addons.items():
            if st == state:
                detail = h.details.get(addon, "")
                yield c.finding(addon, h.name, expected, actual if state != "unverifiable" else detail,
                                f"host {h.name}: {addon} {says} ({detail})",
                                effects=(Effect(addon, "host", None, expected, actual),), host=h.name)


@check("addon.missing", kind="addon-missing", severity="high", clause=ADDON_CLAUSE,
       title="a contracted add-on is not installed on a host", applies_to=("host",),
       remediation="run `govcloud harden` on the host (the add-on's role installs it)")
def addon_missing(ctx: Context) -> Iterator[Finding]:
    return _addons(ctx, "missing", addon_missing, "installed", "not installed", "is not installed")


@check("addon.inactive", kind="addon-inactive", severity="high", clause=ADDON_CLAUSE,
       title="a contracted add-on is installed but not running on a host", applies_to=("host",),
       remediation="start its service (`govcloud harden` enables and starts it) and find why it stopped")
def addon_inactive(ctx: Context) -> Iterator[Finding]:
    return _addons(ctx, "inactive", addon_inactive, "active", "inactive", "is installed but not active")


@check("addon.unverifiable", kind="unverifiable", severity="low", clause=ADDON_CLAUSE,
       title="a contracted add-on's state is not measured on a host", applies_to=("host",),
       remediation="run `govcloud harden --check` on the host so the evidence covers it")
def addon_unverifiable(ctx: Context) -> Iterator[Finding]:
    return _addons(ctx, "unverifiable", addon_unverifiable, "installed and active", "not measured",
                   "is not measured")


@check("control.failed", kind="control-failed", severity="high", clause="article-6",
       title="a 等保 control failed on a host", applies_to=("host",),
       remediation="run `govcloud harden` on the host, or record a waiver in the control map")
def control_failed(ctx: Context) -> Iterator[Finding]:
    if ctx.evidence is None:
        return
    for h in ctx.hosts:
        if h.presence != "absent" and ctx.evidence.has_host(h.name):
            for control, item, reason in ctx.evidence.failed_controls(h.name):
                yield control_failed.finding(item, f"{h.name}#{control}", "pass", "fail",
                                             f"host {h.name}: 等保 control {control} failed ({reason})", host=h.name)
