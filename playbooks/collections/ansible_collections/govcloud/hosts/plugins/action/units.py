# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Action for govcloud.hosts.units: skip the module when no unit needs a systemctl action.

The probe asks systemctl once per question for all units (load state, is-enabled,
is-active) and applies the module's rules; a state it does not know for certain
(activating, reloading, an unfamiliar is-enabled answer), a daemon-reload or a
unit systemd does not know lets the module decide.
"""
from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.govcloud.hosts.plugins.plugin_utils.probe import ProbedAction

# stdlib only: the units as JSON on stdin; prints true when the module would take no action.
_PROBE = r"""
import json, subprocess, sys
units = json.load(sys.stdin)
names = [u["name"] for u in units]
def ask(*args):
    return subprocess.run(["systemctl", *args, "--", *names], capture_output=True, text=True).stdout.splitlines()
loaded = [l.split("=", 1)[1] for l in ask("show", "--property=LoadState") if l.startswith("LoadState=")]
enabled = ask("is-enabled")
active = ask("is-active")
def fine(u, load, en, act):
    if load != "loaded":
        return False
    if u.get("enabled") is True and en not in ("enabled", "enabled-runtime", "static", "alias", "generated"):
        return False
    if u.get("enabled") is False and en not in ("disabled", "masked", "masked-runtime", "static"):
        return False
    if u.get("state") == "started" and act != "active":
        return False
    if u.get("state") == "stopped" and act not in ("inactive", "failed"):
        return False
    return True
ok = (len(loaded) == len(enabled) == len(active) == len(units)
      and all(fine(*row) for row in zip(units, loaded, enabled, active)))
print(json.dumps(ok))
"""


def _units(args: dict) -> list[dict] | None:
    """The probe's view of the module's arguments, or None when the module must run (daemon-reload, odd shapes)."""
    try:
        if boolean(args.get("daemon_reload", False), strict=True):
            return None
    except TypeError:
        return None
    units = args.get("units")
    if not isinstance(units, list) or not units:
        return None
    out = []
    for u in units:
        if not isinstance(u, dict) or not isinstance(u.get("name"), str) or u["name"].startswith("-"):
            return None
        entry: dict = {"name": u["name"]}
        if u.get("enabled") is not None:
            try:
                entry["enabled"] = boolean(u["enabled"], strict=True)
            except TypeError:
                return None
        if u.get("state") is not None:
            if u["state"] not in ("started", "stopped"):
                return None
            entry["state"] = u["state"]
        out.append(entry)
    return out


class ActionModule(ProbedAction):
    """govcloud.hosts.units, with a read-only probe first (plugin_utils/probe.py)."""

    MODULE = "govcloud.hosts.units"
    PROBE = _PROBE
    EMPTY = ("actions",)

    def payload(self, args: dict) -> list[dict] | None:
        return _units(args)
