"""What each module the roles use would report in check mode, judged from one probe answer.

Every emulator has two halves: ``observe`` adds what it must read on the host to the probe's request
(`probe.py` has the contract), and ``run`` answers as the module does in check mode — ``changed``
when it would change something, ``failed`` as the module fails — from the answer alone. Each one
follows its module's own rules (cited per function); a module the roles do not use has no emulator and
its task fails the control ("not read by the fast path"), so nothing unread ever passes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.govcloud.hosts.plugins.module_utils.listings import (  # type: ignore[import-not-found]
    DPKG_FORMAT,
    SHOW_PROPS,
    parse_dpkg,
    parse_show,
)

#: the probe's fixed listings (one command each, the same the dpkg_facts/systemd_facts action plugins run)
DPKG_LISTING = "dpkg"
UNIT_LISTING = "units"
UNIT_PROPS = ("LoadState", "ActiveState", "UnitFileState", "SubState")
UNSUPPORTED = "not read by the fast path"


@dataclass
class Request:
    """What the probe must read on one host (the REQUEST of the probe contract)."""

    stat: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    commands: dict[str, list[str]] = field(default_factory=dict)
    shell: dict[str, str] = field(default_factory=dict)
    getent: set[str] = field(default_factory=set)
    find: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    units: set[str] = field(default_factory=set)
    service_names: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        import shlex

        shell = {**self.shell, DPKG_LISTING: f"LC_ALL=C dpkg-query -W --showformat={shlex.quote(DPKG_FORMAT)}"}
        names = sorted(self.units | set(self.service_names))
        if names:
            shell[UNIT_LISTING] = ("LC_ALL=C SYSTEMD_COLORS=0 systemctl show --no-pager --property="
                                   f"{','.join(dict.fromkeys(UNIT_PROPS + SHOW_PROPS))} -- "
                                   + " ".join(shlex.quote(n) for n in names))
        return {"stat": sorted(self.stat), "read": sorted(self.read), "commands": self.commands, "shell": shell,
                "getent": sorted(self.getent), "find": self.find, "facts": True, "unit_names": names}


@dataclass
class Answer:
    """The probe's answer for one host, with the listings parsed once."""

    raw: dict[str, Any]
    unit_names: list[str]
    _units: dict[str, dict[str, str]] | None = None
    _packages: dict[str, Any] | None = None

    def stat(self, path: str) -> dict[str, Any] | None:
        return (self.raw.get("stat") or {}).get(path)

    def read(self, path: str) -> dict[str, Any] | None:
        return (self.raw.get("read") or {}).get(path)

    def command(self, key: str) -> dict[str, Any] | None:
        return (self.raw.get("commands") or {}).get(key) or (self.raw.get("shell") or {}).get(key)

    def getent(self, db: str) -> dict[str, list[str]] | None:
        return (self.raw.get("getent") or {}).get(db)

    @property
    def packages(self) -> dict[str, Any] | None:
        if self._packages is None:
            out = self.command(DPKG_LISTING)
            if out and out.get("rc") == 0:
                self._packages = parse_dpkg(out.get("stdout") or "")
        return self._packages

    def unit(self, name: str) -> dict[str, str] | None:
        if self._units is None:
            self._units = {}
            out = self.command(UNIT_LISTING) or {}
            blocks = (out.get("stdout") or "").strip().split("\n\n") if out.get("rc") == 0 else []
            if len(blocks) == len(self.unit_names):
                for n, block in zip(self.unit_names, blocks):
                    self._units[n] = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        return self._units.get(name)

    def services(self, names: list[str]) -> dict[str, Any] | None:
        """``ansible_facts.services`` for ``names`` as systemd_facts gives it (the module's own parser)."""
        blocks = []
        for n in names:
            u = self.unit(n)
            if u is None:
                return None
            blocks.append("\n".join(f"{k}={u.get(k, '')}" for k in SHOW_PROPS))
        return parse_show(names, "\n\n".join(blocks))


Tmpl = Callable[[Any], Any]  # template a value with the task's variables; None when it cannot (yet)


def cmd_key(argv: list[str] | str) -> str:
    return "c" + hashlib.sha256(json.dumps(argv).encode()).hexdigest()[:16]


def _ok(**kw: Any) -> dict[str, Any]:
    return {"changed": False, **kw}


def _fail(msg: str, **kw: Any) -> dict[str, Any]:
    return {"failed": True, "changed": False, "msg": msg, **kw}


def _unobserved(what: str) -> dict[str, Any]:
    return _fail(f"{UNSUPPORTED}: {what} was not in the probe's answer")


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    return [str(n) for n in value or []]


# --- govcloud.hosts.files (modules/files.py: owner, group, mode, content SHA-256; a directory's existence)
def files_observe(args: Any, req: Request) -> None:
    for f in args.get("files") or []:
        req.stat.add(f["path"])


def files_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    changed = []
    for f in args.get("files") or []:
        st = ans.stat(f["path"])
        if st is None:
            return _unobserved(f"the file {f['path']}")
        state = f.get("state") or "file"
        want = {"owner": f.get("owner") or "root", "group": f.get("group") or "root", "mode": f["mode"]}
        same = st.get("exists") and all(str(st.get(k)) == str(v) for k, v in want.items() if k != "mode") \
            and int(str(st.get("mode") or "0"), 8) == int(str(want["mode"]), 8)
        if state == "directory":
            same = same and st.get("type") == "directory"
        else:
            digest = hashlib.sha256(str(f.get("content") or "").encode("utf-8")).hexdigest()
            same = same and st.get("type") == "file" and st.get("sha256") == digest
        if not same:
            changed.append(f["path"])
    return {"changed": bool(changed), "changed_paths": changed,
            **({"msg": "would change " + ", ".join(changed)} if changed else {})}


def copy_run(entry: dict[str, Any], sha256: str, ans: Answer) -> dict[str, Any]:
    """ansible.builtin.copy (a controller file): the destination's content, and mode/owner/group when given."""
    st = ans.stat(entry["path"])
    if st is None:
        return _unobserved(f"the file {entry['path']}")
    same = bool(st.get("exists")) and st.get("type") == "file" and st.get("sha256") == sha256
    for k in ("owner", "group"):
        same = same and (entry.get(k) is None or str(st.get(k)) == str(entry[k]))
    if entry.get("mode") is not None:
        same = same and int(str(st.get("mode") or "0"), 8) == int(str(entry["mode"]), 8)
    return {"changed": not same, "dest": entry["path"], **({} if same else {"msg": "would copy"})}


# --- govcloud.hosts.units (modules/units.py: loaded, is-enabled, is-active per unit; daemon-reload)
ENABLED = ("enabled", "enabled-runtime", "static", "alias", "generated")
IS_ENABLED = (*ENABLED, "indirect")


def units_observe(args: Any, req: Request) -> None:
    for u in args.get("units") or []:
        req.units.add(u["name"])


def _unit_actions(name: str, enabled: Any, state: Any, ans: Answer) -> tuple[list[str], str]:
    u = ans.unit(name)
    if u is None:
        return [], f"{UNSUPPORTED}: unit {name} was not in the probe's answer"
    if u.get("LoadState") != "loaded":
        return [], f"unit {name} is not loaded ({u.get('LoadState') or 'unknown'})"
    acts, file_state, active = [], u.get("UnitFileState", ""), u.get("ActiveState") == "active"
    if enabled is True and file_state not in ENABLED:
        acts.append(f"enable {name}")
    elif enabled is False and file_state in IS_ENABLED and file_state != "static":
        acts.append(f"disable {name}")
    if state in ("started", "restarted", "reloaded") and not active or state == "stopped" and active:
        acts.append(f"{'stop' if state == 'stopped' else 'start'} {name}")
    elif state in ("restarted", "reloaded"):
        acts.append(f"{state[:-2]} {name}")
    return acts, ""


def units_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    actions = ["daemon-reload"] if _bool(args.get("daemon_reload")) else []
    for u in args.get("units") or []:
        acts, err = _unit_actions(u["name"], _opt_bool(u.get("enabled")), u.get("state"), ans)
        if err:
            return _fail(err, actions=actions)
        actions += acts
    return {"changed": bool(actions), "actions": actions}


# --- ansible.builtin.systemd_service (check mode: a restart or reload always changes)
def systemd_observe(args: Any, req: Request) -> None:
    if args.get("name"):
        req.units.add(args["name"])


def systemd_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    acts = ["daemon-reload"] if _bool(args.get("daemon_reload")) else []
    if args.get("name"):
        more, err = _unit_actions(args["name"], _opt_bool(args.get("enabled")), args.get("state"), ans)
        if err:
            return _fail(err)
        acts += more
    return {"changed": bool(acts), "name": args.get("name"), **({"msg": "would " + ", ".join(acts)} if acts else {})}


# --- ansible.builtin.apt (present: every name installed; absent: none installed)
def apt_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    pkgs = ans.packages
    if pkgs is None:
        return _unobserved("the dpkg database")
    names, state = _names(args.get("name") or args.get("pkg")), args.get("state") or "present"
    if state in ("present", "latest", "fixed", "build-dep"):
        todo = [n for n in names if n.split("=")[0] not in pkgs]
        verb = "install"
    elif state == "absent":
        todo = [n for n in names if n.split("=")[0] in pkgs]
        verb = "remove"
    else:
        return _fail(f"{UNSUPPORTED}: apt state {state}")
    return {"changed": bool(todo), **({"msg": f"would {verb} {', '.join(todo)}"} if todo else {})}


# --- ansible.builtin.command / shell (check mode: skipped unless check_mode: false or `creates`)
def command_argv(args: dict[str, Any], shell: bool) -> list[str] | str | None:
    if shell:
        return args.get("cmd") or args.get("_raw_params")
    if args.get("argv"):
        return [str(a) for a in args["argv"]]
    import shlex

    raw = args.get("cmd") or args.get("_raw_params")
    return shlex.split(raw) if isinstance(raw, str) else None


def command_result(out: dict[str, Any] | None, argv: Any) -> dict[str, Any]:
    if out is None:
        return _unobserved(f"the command {argv}")
    if out.get("rc") is None:
        return _fail(f"could not run {argv}: {out.get('error') or 'no result'}", rc=None)
    so, se = out.get("stdout") or "", out.get("stderr") or ""
    res = {"changed": True, "rc": out["rc"], "stdout": so.rstrip("\n"), "stderr": se.rstrip("\n"),
           "stdout_lines": so.splitlines(), "stderr_lines": se.splitlines(), "cmd": argv}
    if out["rc"] != 0:
        res.update(failed=True, msg="non-zero return code")
    return res


# --- ansible.builtin.assert (action plugin: every `that` must hold)
def assert_run(task_args: dict[str, Any], evaluate: Callable[[Any], bool], tmpl: Tmpl) -> dict[str, Any]:
    that = task_args.get("that")
    for cond in that if isinstance(that, list) else [that]:
        if not evaluate(cond):
            msg = task_args.get("fail_msg") or task_args.get("msg") or "Assertion failed"
            return _fail(str(tmpl(msg) if tmpl(msg) is not None else msg), assertion=cond, evaluated_to=False)
    return _ok(msg=task_args.get("success_msg") or "All assertions passed")


# --- ansible.builtin.getent (facts getent_<database>; a missing key fails)
def getent_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    db = args.get("database")
    data = ans.getent(db)
    if data is None:
        return _unobserved(f"getent {db}")
    key = args.get("key")
    if key:
        if key not in data:
            if _bool(args.get("fail_key", True)):
                return _fail("One or more supplied key could not be found in the database.")
            return _ok(ansible_facts={f"getent_{db}": {key: None}})
        data = {key: data[key]}
    return _ok(ansible_facts={f"getent_{db}": data})


def _record(db: dict[str, Any], key: str) -> list[str] | None:
    """A key's fields; getent lists every record of a repeated key, NSS (and so the modules) reads the first."""
    rec = db.get(key)
    return rec[0] if rec and isinstance(rec[0], list) else rec


# --- ansible.builtin.user (the shell and password_lock the roles set)
def user_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    passwd, shadow = ans.getent("passwd"), ans.getent("shadow")
    if passwd is None or shadow is None:
        return _unobserved("getent passwd/shadow")
    name = args.get("name")
    known = {"name", "shell", "password_lock", "state"}
    if {k for k, v in args.items() if v is not None} - known or (args.get("state") or "present") != "present":
        return _fail(f"{UNSUPPORTED}: user arguments {sorted(args)}")
    if name not in passwd:
        return {"changed": True, "msg": f"would create user {name}"}
    todo, shell = [], (_record(passwd, name) or [""] * 6)[5]
    if args.get("shell") and shell != args["shell"]:
        todo.append(f"shell {shell} -> {args['shell']}")
    if _bool(args.get("password_lock")) and not str((_record(shadow, name) or [""])[0]).startswith("!"):
        todo.append("lock the password")
    return {"changed": bool(todo), "name": name, **({"msg": f"{name}: would set " + "; ".join(todo)} if todo else {})}


# --- ansible.builtin.group (state present: exists)
def group_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    groups = ans.getent("group")
    if groups is None:
        return _unobserved("getent group")
    if (args.get("state") or "present") != "present":
        return _fail(f"{UNSUPPORTED}: group state {args.get('state')}")
    missing = args.get("name") not in groups
    return {"changed": missing, "name": args.get("name"), **({"msg": "would create the group"} if missing else {})}


# --- ansible.builtin.lineinfile (state present, regexp: the last matching line; else the exact line anywhere)
def lineinfile_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    path = args.get("path") or args.get("dest")
    got = ans.read(path)
    if got is None:
        return _unobserved(f"the file {path}")
    if (args.get("state") or "present") != "present" or args.get("backrefs") or args.get("insertbefore") \
            or args.get("firstmatch") or args.get("search_string"):
        return _fail(f"{UNSUPPORTED}: lineinfile arguments {sorted(k for k, v in args.items() if v)}")
    if "content" not in got:
        if _bool(args.get("create")):
            return {"changed": True, "msg": "would create the file"}
        return _fail(f"Destination {path} does not exist !", rc=257)
    line, regexp = str(args.get("line")), args.get("regexp")
    # the module's rule: search each line with its line end; the last match (or, without one, the last line
    # equal to `line` but for its end) is kept only when it is exactly `line` + "\n"; else a line is added
    lines = got["content"].splitlines(keepends=True)
    at = -1
    if regexp is not None:
        at = max((i for i, cur in enumerate(lines) if re.search(regexp, cur)), default=-1)
    if at < 0:
        at = max((i for i, cur in enumerate(lines) if cur.rstrip("\r\n") == line), default=-1)
    changed = at < 0 or lines[at] != line + "\n"
    return {"changed": changed, **({"msg": "line would be added" if at < 0 else "line would be replaced"}
                                   if changed else {})}


# --- ansible.builtin.replace (re.subn over the whole file, MULTILINE, as the module does)
def replace_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    path = args.get("path") or args.get("dest")
    got = ans.read(path)
    if got is None:
        return _unobserved(f"the file {path}")
    if args.get("after") or args.get("before"):
        return _fail(f"{UNSUPPORTED}: replace with after/before")
    if "content" not in got:
        return _fail(f"Path {path} does not exist !", rc=257)
    new, n = re.subn(re.compile(args["regexp"], re.MULTILINE), args.get("replace") or "", got["content"])
    changed = n > 0 and new != got["content"]
    return {"changed": changed, **({"msg": f"{n} replacements would be made"} if changed else {})}


# --- ansible.builtin.stat (exists, kind, mode, owner)
def stat_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    st = ans.stat(args.get("path"))
    if st is None:
        return _unobserved(f"the path {args.get('path')}")
    link, follow = bool(st.get("link")), _bool(args.get("follow", False))
    if link and not follow:
        # the module lstat()s: a symlink is itself (mode 0777, neither file nor directory); its owner is not
        # in the answer, so the owner fields are left out rather than guessed
        return _ok(stat={"exists": True, "islnk": True, "isdir": False, "isreg": False, "mode": "0777",
                         "path": args.get("path")})
    if not st.get("exists"):
        return _ok(stat={"exists": False})
    return _ok(stat={"exists": True, "isdir": st.get("type") == "directory", "isreg": st.get("type") == "file",
                     "islnk": False, "mode": st.get("mode"), "uid": st.get("uid"),
                     "gid": st.get("gid"), "pw_name": st.get("owner"), "gr_name": st.get("group"),
                     "size": st.get("size"), "path": args.get("path")})


def find_key(args: dict[str, Any]) -> str:
    return "f" + hashlib.sha256(json.dumps([_names(args.get("paths")), _names(args.get("patterns"))])
                                .encode()).hexdigest()[:16]


def find_run(args: dict[str, Any], ans: Answer) -> dict[str, Any]:
    if args.get("recurse") or (args.get("file_type") or "file") != "file" or args.get("contains"):
        return _fail(f"{UNSUPPORTED}: find arguments {sorted(k for k, v in args.items() if v)}")
    found = (ans.raw.get("find") or {}).get(find_key(args))
    if found is None:
        return _unobserved(f"find {args.get('paths')}")
    return _ok(files=found, matched=len(found), examined=len(found))


def desired(action: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """What a task asks of the host, for the host's manifest: contents as SHA-256 only (a rendered file
    may hold a secret), never the text."""
    if action == "files":
        return {"files": [{"path": f["path"], "state": f.get("state") or "file", "mode": f.get("mode"),
                           "owner": f.get("owner") or "root", "group": f.get("group") or "root",
                           **({} if f.get("state") == "directory" else
                              {"sha256": hashlib.sha256(str(f.get("content") or "").encode()).hexdigest()})}
                          for f in args.get("files") or []]}
    if action in ("units", "systemd_service"):
        units = args.get("units") if action == "units" else [args]
        return {"units": [{k: u.get(k) for k in ("name", "enabled", "state") if u.get(k) is not None}
                          for u in units or []]}
    if action == "apt":
        return {"packages": _names(args.get("name") or args.get("pkg")), "state": args.get("state") or "present"}
    if action in ("lineinfile", "replace"):
        return {k: args.get(k) for k in ("path", "regexp", "line", "replace") if args.get(k) is not None}
    if action in ("user", "group"):
        return {action: {k: v for k, v in args.items() if k in ("name", "shell", "password_lock", "state")}}
    return None


def _bool(v: Any) -> bool:
    from ansible.module_utils.parsing.convert_bool import boolean

    return bool(boolean(v, strict=False)) if v is not None else False


def _opt_bool(v: Any) -> bool | None:
    return None if v is None else _bool(v)
