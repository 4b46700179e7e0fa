# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""The commands behind dpkg_facts and systemd_facts (names:) and the parsing of their output,
shared by the modules and by their action plugins' direct read (one parser, one meaning)."""
from __future__ import annotations

#: dpkg-query -W --showformat: one line per package
DPKG_FORMAT = "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\n"
DPKG_ABSENT = ("n", "c")  # dpkg's current state: not-installed, config-files only
#: service_facts' bad states: a bad load/active state wins over the unit file state
BAD_STATES = ("not-found", "masked", "failed")
SHOW_PROPS = ("LoadState", "ActiveState", "SubState", "UnitFileState")


def parse_dpkg(out):
    """``ansible_facts.packages`` (package_facts' shape) from dpkg-query -W with DPKG_FORMAT."""
    packages = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or len(parts[0]) < 2 or parts[0][1] in DPKG_ABSENT:
            continue
        _, name, version, arch = parts
        packages.setdefault(name, []).append({"name": name, "version": version, "arch": arch, "source": "apt"})
    return packages


def parse_show(names, out):
    """service_facts entries for ``names`` from ``systemctl show --property=SHOW_PROPS -- names``
    (blocks in the order asked); None when the blocks do not match the names one to one."""
    blocks = out.strip().split("\n\n") if out.strip() else []
    if len(blocks) != len(names):
        return None
    services = {}
    for name, block in zip(names, blocks):
        p = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "LoadState" not in p:
            return None
        if p["LoadState"] == "not-found":
            continue
        status = next((b for b in BAD_STATES if b in (p.get("LoadState"), p.get("ActiveState"))), None)
        if p["LoadState"] == "loaded":
            state = "running" if p.get("SubState") == "running" else "stopped"
        else:
            state = p.get("ActiveState") or "unknown"
        services[name] = {"name": name, "state": state, "status": status or p.get("UnitFileState") or "unknown",
                          "source": "systemd"}
    return services
