# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Action for govcloud.hosts.files: skip the module when every entry already matches.

The probe compares, per entry, what the module compares (content as SHA-256,
owner, group and mode; for a directory its existence and the same attributes),
following symlinks as the module does. Only a full match skips the module.
"""
from __future__ import annotations

import hashlib

from ansible_collections.govcloud.hosts.plugins.plugin_utils.probe import ProbedAction

# stdlib only: runs as `python3 -I -S -c`, the entries as JSON on stdin; prints true when all match.
_PROBE = r"""
import grp, hashlib, json, os, pwd, stat, sys
def same(e):
    try:
        uid, gid = pwd.getpwnam(e["owner"]).pw_uid, grp.getgrnam(e["group"]).gr_gid
        st = os.stat(e["path"])
    except (KeyError, OSError):
        return False
    if st.st_uid != uid or st.st_gid != gid or stat.S_IMODE(st.st_mode) != int(e["mode"], 8):
        return False
    if e["state"] == "directory":
        return stat.S_ISDIR(st.st_mode)
    if not stat.S_ISREG(st.st_mode):
        return False
    with open(e["path"], "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == e["sha256"]
print(json.dumps(all(same(e) for e in json.load(sys.stdin))))
"""


def _entries(files) -> list[dict] | None:
    """The probe's view of the module's `files` argument, or None when it is not the plain shape."""
    if not isinstance(files, list):
        return None
    out = []
    for f in files:
        if not isinstance(f, dict) or not isinstance(f.get("path"), str) or not f["path"].startswith("/"):
            return None
        state = f.get("state", "file")
        mode = f.get("mode")
        if state not in ("file", "directory") or not isinstance(mode, str):
            return None
        try:
            int(mode, 8)
        except ValueError:
            return None
        content = f.get("content") or ""
        if not isinstance(content, str):
            return None
        out.append({"path": f["path"], "state": state, "mode": mode, "owner": f.get("owner") or "root",
                    "group": f.get("group") or "root",
                    "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest()})
    return out


class ActionModule(ProbedAction):
    """govcloud.hosts.files, with a read-only probe first (plugin_utils/probe.py)."""

    MODULE = "govcloud.hosts.files"
    PROBE = _PROBE
    EMPTY = ("changed_paths",)

    def payload(self, args: dict) -> list[dict] | None:
        return _entries(args.get("files"))
