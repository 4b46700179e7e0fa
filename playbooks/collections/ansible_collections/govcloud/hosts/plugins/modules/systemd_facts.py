#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""The systemd services and their state from three systemctl calls (service_facts' shape)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: systemd_facts
short_description: systemd services with their run state and enablement, as service_facts reports them
description:
  - Sets C(ansible_facts.services) in the shape M(ansible.builtin.service_facts) gives for
    systemd units (name, state, status, source) from C(systemctl list-units) and
    C(systemctl list-unit-files), then one C(systemctl show) for the unit files not loaded.
  - M(ansible.builtin.service_facts) also runs C(service --status-all), which on Debian runs
    every /etc/init.d script, and one C(systemctl show) per unit file that is not loaded;
    here one C(systemctl show) asks for all the unit files that are not loaded (aliases
    report their target's state; templates are C(unknown)).
  - On a host not managed by systemd (a chroot) it returns no facts and C(skipped), like
    M(ansible.builtin.service_facts) finding no services.
  - With O(names), the action plugin of the same name runs the one C(systemctl show) directly and
    parses it with this module's parser (C(direct=true)); this module runs when that fails.
version_added: "0.1.0"
author: govcloud
options:
  names:
    description:
      - Report only these units (full names, e.g. C(rsyslog.service)), from one C(systemctl show)
        instead of listing every unit file (C(list-unit-files) reads every unit directory, a
        third of a second per host). A unit systemd does not know is left out, as when listing.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
"""

EXAMPLES = r"""
- name: "evidence | service facts"
  govcloud.hosts.systemd_facts:

- name: "evidence | the add-on services only"
  govcloud.hosts.systemd_facts:
    names: [rsyslog.service, clamav-daemon.service]
"""

RETURN = r"""
ansible_facts:
  description: C(services), as M(ansible.builtin.service_facts) returns it for systemd units.
  type: dict
  returned: on a systemd host
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.govcloud.hosts.plugins.module_utils.listings import BAD_STATES, SHOW_PROPS, parse_show

def named(module, systemctl, env, names):
    """service_facts entries for `names` only, from one `systemctl show` (blocks in the order asked)."""
    rc, out, err = module.run_command([systemctl, "show", "--no-pager", "--property=" + ",".join(SHOW_PROPS), "--",
                                       *names], environ_update=env)
    if rc != 0:
        module.fail_json(msg="systemctl show failed", rc=rc, stderr=err)
    services = parse_show(names, out)
    if services is None:
        module.fail_json(msg=f"systemctl show did not answer one block per unit for {len(names)} units", stdout=out)
    return services


def main():
    module = AnsibleModule(argument_spec=dict(names=dict(type="list", elements="str")), supports_check_mode=True)
    systemctl = module.get_bin_path("systemctl")
    if not systemctl or not os.path.isdir("/run/systemd/system"):
        module.exit_json(changed=False, skipped=True, msg="not a systemd host: no services to report")
    env = {"LC_ALL": "C", "SYSTEMD_COLORS": "0"}
    if module.params["names"] is not None:
        module.exit_json(changed=False, ansible_facts={"services": named(module, systemctl, env, module.params["names"])})
    rc, units, err = module.run_command([systemctl, "list-units", "--no-pager", "--no-legend", "--plain",
                                         "--type", "service", "--all"], environ_update=env)
    if rc != 0:
        module.fail_json(msg="systemctl list-units failed", rc=rc, stderr=err)
    rc, files, err = module.run_command([systemctl, "list-unit-files", "--no-pager", "--no-legend",
                                         "--type", "service", "--all"], environ_update=env)
    if rc != 0:
        module.fail_json(msg="systemctl list-unit-files failed", rc=rc, stderr=err)
    services = {}
    for line in units.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].endswith(".service"):
            continue
        # UNIT LOAD ACTIVE SUB DESCRIPTION: a bad load/active state wins over active/inactive
        status = next((b for b in BAD_STATES if b in fields[1:4]), fields[2])
        services[fields[0]] = {"name": fields[0], "state": "running" if fields[3] == "running" else "stopped",
                               "status": status, "source": "systemd"}
    unloaded = []
    for line in files.splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[0].endswith(".service"):
            continue
        name, status = fields[0], fields[1]
        if name not in services:
            # a template has no state (service_facts: unknown); aliases are asked below
            services[name] = {"name": name, "state": "unknown", "status": status, "source": "systemd"}
            if "@." not in name:
                unloaded.append(name)
        elif services[name]["status"] not in BAD_STATES:
            services[name]["status"] = status
    if unloaded:
        # one `systemctl show` for all of them: blocks in the order asked
        rc, out, err = module.run_command([systemctl, "show", "--no-pager", "--property=ActiveState", *unloaded],
                                          environ_update=env)
        states = [b.strip().removeprefix("ActiveState=") for b in out.strip().split("\n\n")] if rc == 0 else []
        if len(states) == len(unloaded):
            for name, state in zip(unloaded, states):
                services[name]["state"] = state or "unknown"
    module.exit_json(changed=False, ansible_facts={"services": services})


if __name__ == "__main__":
    main()
