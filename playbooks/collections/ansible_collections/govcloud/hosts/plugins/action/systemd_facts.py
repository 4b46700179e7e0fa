# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Action for govcloud.hosts.systemd_facts with `names:`: one `systemctl show` run directly,
parsed by the module's parser. Without `names:` (the full listing) the module runs."""
from __future__ import annotations

import shlex

from ansible_collections.govcloud.hosts.plugins.module_utils.listings import SHOW_PROPS, parse_show
from ansible_collections.govcloud.hosts.plugins.plugin_utils.probe import DirectRead


class ActionModule(DirectRead):
    """govcloud.hosts.systemd_facts names: without a module execution (the module when the read fails)."""

    MODULE = "govcloud.hosts.systemd_facts"

    def command(self, args: dict) -> str | None:
        names = args.get("names")
        if set(args) != {"names"} or not isinstance(names, list) or not names \
                or not all(isinstance(n, str) and n and not n.startswith("-") for n in names):
            return None
        # not a systemd host: let the module say so (skipped)
        return ("test -d /run/systemd/system && LC_ALL=C SYSTEMD_COLORS=0 systemctl show --no-pager "
                f"--property={','.join(SHOW_PROPS)} -- {' '.join(shlex.quote(n) for n in names)}")

    def parse(self, args: dict, out: str) -> dict | None:
        services = parse_show(args["names"], out)
        return None if services is None else {"services": services}
