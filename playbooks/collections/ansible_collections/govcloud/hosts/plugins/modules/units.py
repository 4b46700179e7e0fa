#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Enable/start (or disable/stop) several systemd units in one remote call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: units
short_description: Ensure the enablement and state of several systemd units in one call
description:
  - For each unit, asks C(systemctl is-enabled) and C(is-active) and changes only what differs.
  - Optionally runs C(systemctl daemon-reload) first.
  - One module execution for the whole list keeps an idempotent run cheap.
  - The action plugin of the same name first runs a read-only probe with the host's Python and
    returns C(changed=false) and C(probe=match) without executing this module when nothing differs.
version_added: "0.1.0"
author: govcloud
options:
  units:
    description: Units to ensure, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Unit name with its suffix, e.g. C(rsyslog.service).
        type: str
        required: true
      enabled:
        description: Whether the unit starts at boot.
        type: bool
      state:
        description: C(started) or C(stopped); omitted leaves the run state alone.
        type: str
        choices: [started, stopped]
  daemon_reload:
    description: Run C(systemctl daemon-reload) before anything else.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: "addon.antivirus.freshclam | enable and start the antivirus units"
  govcloud.hosts.units:
    units:
      - {name: clamav-daemon.socket, enabled: true, state: started}
      - {name: clamav-freshclam.service, enabled: true, state: started}
"""

RETURN = r"""
actions:
  description: The systemctl actions taken (or that would be, in check mode).
  type: list
  elements: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(
                type="list", elements="dict", required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    enabled=dict(type="bool"),
                    state=dict(type="str", choices=["started", "stopped"]),
                ),
            ),
            daemon_reload=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    systemctl = module.get_bin_path("systemctl", required=True)
    actions = []

    def run(*args):
        rc, out, err = module.run_command([systemctl, *args])
        return rc, out.strip(), err.strip()

    def act(*args):
        actions.append(" ".join(args))
        if module.check_mode:
            return
        rc, out, err = run(*args)
        if rc != 0:
            module.fail_json(msg=f"systemctl {' '.join(args)} failed", rc=rc, stdout=out, stderr=err, actions=actions)

    if module.params["daemon_reload"]:
        act("daemon-reload")
    for unit in module.params["units"]:
        name = unit["name"]
        rc, out, _ = run("show", "--property=LoadState", "--value", name)
        if out != "loaded":
            module.fail_json(msg=f"unit {name} is not loaded ({out or 'unknown'})", actions=actions)
        if unit["enabled"] is not None:
            _, state, _ = run("is-enabled", name)
            is_enabled = state in ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated")
            if unit["enabled"] and state not in ("enabled", "enabled-runtime", "static", "alias", "generated"):
                act("enable", name)
            elif not unit["enabled"] and is_enabled and state != "static":
                act("disable", name)
        if unit["state"]:
            rc, _, _ = run("is-active", "--quiet", name)
            if unit["state"] == "started" and rc != 0:
                act("start", name)
            elif unit["state"] == "stopped" and rc == 0:
                act("stop", name)
    module.exit_json(changed=bool(actions), actions=actions)


if __name__ == "__main__":
    main()
