#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Write several small files and directories in one remote call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: files
short_description: Write several validated files and directories in one call
description:
  - Ensures a list of directories and small text files, with owner, group and mode.
  - A file whose content differs is written to a temporary file in its own directory,
    validated with the file's C(validate) command (C(%s) is the temporary path, as in
    M(ansible.builtin.template)), then renamed over the old file.
  - Entries are handled in order, so a file can be validated against one written before it.
  - One module execution for the whole list keeps an idempotent run cheap.
  - The action plugin of the same name first runs a read-only probe with the host's Python and
    returns C(changed=false) and C(probe=match) without executing this module when nothing differs.
version_added: "0.1.0"
author: govcloud
options:
  files:
    description: Directories and files to ensure, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: C(file) or C(directory).
        type: str
        choices: [file, directory]
        default: file
      content:
        description: Content of a file.
        type: str
        default: ""
      owner:
        description: Owner name.
        type: str
        default: root
      group:
        description: Group name.
        type: str
        default: root
      mode:
        description: Octal mode as a string, e.g. C("0644").
        type: str
        required: true
      validate:
        description: Command run on the temporary file before it replaces the old one; must contain C(%s).
        type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: "8.1.4.1b | write the lockout policy files"
  govcloud.hosts.files:
    files:
      - path: /etc/security/faillock.conf
        content: "{{ lookup('ansible.builtin.template', 'faillock.conf.j2') }}"
        mode: "0644"
      - path: /etc/profile.d/govcloud-tmout.sh
        content: "TMOUT=600\nreadonly TMOUT\n"
        mode: "0644"
        validate: sh -n %s
"""

RETURN = r"""
changed_paths:
  description: Paths created or changed (or that would be, in check mode).
  type: list
  elements: str
  returned: always
"""

import grp
import os
import pwd
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _ids(module, entry):
    try:
        return pwd.getpwnam(entry["owner"]).pw_uid, grp.getgrnam(entry["group"]).gr_gid
    except KeyError as exc:
        module.fail_json(msg=f"{entry['path']}: unknown owner or group: {exc}")
    return None  # unreachable


def _attrs_differ(st, uid, gid, mode):
    return st.st_uid != uid or st.st_gid != gid or stat.S_IMODE(st.st_mode) != mode


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type="list", elements="dict", required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    state=dict(type="str", choices=["file", "directory"], default="file"),
                    content=dict(type="str", default=""),
                    owner=dict(type="str", default="root"),
                    group=dict(type="str", default="root"),
                    mode=dict(type="str", required=True),
                    validate=dict(type="str"),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    check = module.check_mode
    changed_paths, diffs = [], []
    for entry in module.params["files"]:
        path = entry["path"]
        mode = int(entry["mode"], 8)
        uid, gid = _ids(module, entry)
        if entry["state"] == "directory":
            if not os.path.isdir(path):
                changed_paths.append(path)
                diffs.append({"before_header": path, "after_header": path, "before": "absent\n", "after": "directory\n"})
                if not check:
                    os.makedirs(path, mode)
                    os.chown(path, uid, gid)
                    os.chmod(path, mode)
            elif _attrs_differ(os.stat(path), uid, gid, mode):
                changed_paths.append(path)
                if not check:
                    os.chown(path, uid, gid)
                    os.chmod(path, mode)
            continue

        new = entry["content"].encode("utf-8")
        old = None
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                old = fh.read()
        if old == new:
            if _attrs_differ(os.stat(path), uid, gid, mode):
                changed_paths.append(path)
                if not check:
                    os.chown(path, uid, gid)
                    os.chmod(path, mode)
            continue

        changed_paths.append(path)
        if module._diff:
            diffs.append({
                "before_header": path, "after_header": path,
                "before": "" if old is None else old.decode("utf-8", "replace"),
                "after": entry["content"],
            })
        if check:
            continue
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            module.fail_json(msg=f"{path}: directory {directory} does not exist", changed_paths=changed_paths)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".govcloud-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(new)
            os.chown(tmp, uid, gid)
            os.chmod(tmp, mode)
            if entry["validate"]:
                if "%s" not in entry["validate"]:
                    module.fail_json(msg=f"{path}: validate must contain %s")
                rc, out, err = module.run_command(entry["validate"] % tmp)
                if rc != 0:
                    module.fail_json(msg=f"{path}: failed to validate", exit_status=rc, stdout=out, stderr=err,
                                     changed_paths=changed_paths[:-1])
            os.rename(tmp, path)
            tmp = None
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=diffs)


if __name__ == "__main__":
    main()
