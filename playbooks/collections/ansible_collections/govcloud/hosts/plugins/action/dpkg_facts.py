# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Action for govcloud.hosts.dpkg_facts: dpkg-query run directly, parsed by the module's parser."""
from __future__ import annotations

import shlex

from ansible_collections.govcloud.hosts.plugins.module_utils.listings import DPKG_FORMAT, parse_dpkg
from ansible_collections.govcloud.hosts.plugins.plugin_utils.probe import DirectRead


class ActionModule(DirectRead):
    """govcloud.hosts.dpkg_facts without a module execution (the module when the read fails)."""

    MODULE = "govcloud.hosts.dpkg_facts"

    def command(self, args: dict) -> str | None:
        return None if args else f"LC_ALL=C dpkg-query -W --showformat={shlex.quote(DPKG_FORMAT)}"

    def parse(self, args: dict, out: str) -> dict | None:
        packages = parse_dpkg(out)
        return {"packages": packages} if packages else None
