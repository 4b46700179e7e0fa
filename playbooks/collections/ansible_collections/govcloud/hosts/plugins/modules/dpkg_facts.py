#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""The installed Debian packages from one dpkg-query call (package_facts' shape)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dpkg_facts
short_description: Installed Debian packages from the dpkg database, as package_facts reports them
description:
  - Runs C(dpkg-query -W) once and sets C(ansible_facts.packages) in the shape of
    M(ansible.builtin.package_facts) (name to a list of name, version, arch, source).
  - Reads only the dpkg status database, so it costs a few milliseconds where
    C(package_facts manager=apt) loads the whole apt cache (every known package).
  - A package counts as installed when dpkg has a version of it unpacked or
    configured (states other than not-installed and config-files).
  - The action plugin of the same name runs the same command directly and parses it with this
    module's parser (C(direct=true)); this module runs when that fails.
version_added: "0.1.0"
author: govcloud
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
"""

EXAMPLES = r"""
- name: "8.1.4.4a | read the installed packages"
  govcloud.hosts.dpkg_facts:
"""

RETURN = r"""
ansible_facts:
  description: C(packages), as M(ansible.builtin.package_facts) returns it.
  type: dict
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.govcloud.hosts.plugins.module_utils.listings import DPKG_FORMAT, parse_dpkg


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    dpkg_query = module.get_bin_path("dpkg-query", required=True)
    rc, out, err = module.run_command([dpkg_query, "-W", f"--showformat={DPKG_FORMAT}"],
                                      environ_update={"LC_ALL": "C"})
    if rc != 0:
        module.fail_json(msg="dpkg-query -W failed", rc=rc, stderr=err)
    module.exit_json(changed=False, ansible_facts={"packages": parse_dpkg(out)})


if __name__ == "__main__":
    main()
