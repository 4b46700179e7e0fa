"""The fast path's module emulators against the real modules in check mode.

`harden --verify-only` answers each task from a probe instead of running its module. For the modules
whose answer is a text rule (lineinfile's last match or exact line, replace's MULTILINE substitution),
the edge cases are decided here by the real modules: one `ansible-playbook --check` run on local files
(connection local), every case a task, compared with the emulator on the same file content.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from govcloud.hosts.fastpath.plays import _ansible_context
from govcloud.hosts.runner import PLAYBOOKS_DIR

_ansible_context([str(PLAYBOOKS_DIR / "collections")], [str(PLAYBOOKS_DIR / "roles")])

from govcloud.hosts.fastpath import modules as m

LINEINFILE = [  # (file content, arguments)
    ("INACTIVE=30\n", {"regexp": r"^#?\s*INACTIVE=", "line": "INACTIVE=30"}),
    ("# INACTIVE=-1\n", {"regexp": r"^#?\s*INACTIVE=", "line": "INACTIVE=30"}),
    ("INACTIVE=30\nINACTIVE=31\n", {"regexp": r"^#?\s*INACTIVE=", "line": "INACTIVE=30"}),  # the last match wins
    ("INACTIVE=31\nINACTIVE=30\n", {"regexp": r"^#?\s*INACTIVE=", "line": "INACTIVE=30"}),
    ("SHELL=/bin/sh\n", {"regexp": r"^#?\s*INACTIVE=", "line": "INACTIVE=30"}),  # added at the end
    ("log_group = root\n", {"regexp": r"^\s*log_group\s*=", "line": "log_group = root"}),
    ("log_group = adm\r\n", {"regexp": r"^\s*log_group\s*=", "line": "log_group = root"}),
    ("x\nlog_group = root\r\n", {"regexp": r"^\s*log_group\s*=", "line": "log_group = root"}),
    ("a\nb\n", {"line": "b"}),  # no regexp: the exact line anywhere
    ("a\nb\n", {"line": "c"}),
    ("", {"regexp": "^a", "line": "a"}),
]
REPLACE = [
    ("auth [success=1 default=ignore] pam_unix.so nullok\n", r"^(auth\s.*pam_unix\.so.*?)\s+nullok\b(.*)$", r"\1\2"),
    ("auth [success=1 default=ignore] pam_unix.so\n", r"^(auth\s.*pam_unix\.so.*?)\s+nullok\b(.*)$", r"\1\2"),
    ("auth x pam_unix.so nullok_secure\n", r"^(auth\s.*pam_unix\.so.*?)\s+nullok\b(.*)$", r"\1\2"),
    ("a nullok\nauth y pam_unix.so try_first_pass nullok\n", r"^(auth\s.*pam_unix\.so.*?)\s+nullok\b(.*)$", r"\1\2"),
    ("same\n", r"^(same)$", r"\1"),  # a substitution that changes nothing
]


def _real_check_mode(tmp_path: Path, tasks: list[dict]) -> list[dict]:
    """Run `tasks` with the real modules, --check, on localhost; their results in order."""
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False"}
    out = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "--check", "-i", "localhost,",
                          "-e", f"ansible_python_interpreter={sys.executable}", str(tmp_path / "play.yml")], capture_output=True, text=True, env=env, check=False)
    assert out.returncode in (0, 2), out.stderr[-2000:]
    doc = json.loads(out.stdout)
    return [t["hosts"]["localhost"] for t in doc["plays"][0]["tasks"]]


def _answer(files: dict[str, str]) -> m.Answer:
    return m.Answer({"read": {p: {"content": c} for p, c in files.items()}}, [])


def test_lineinfile_and_replace_agree_with_the_modules(tmp_path: Path) -> None:
    tasks, expected = [], []
    files: dict[str, str] = {}
    for i, (content, args) in enumerate(LINEINFILE):
        path = str(tmp_path / f"l{i}")
        Path(path).write_bytes(content.encode())
        files[path] = content
        tasks.append({"name": f"l{i}", "ansible.builtin.lineinfile": {"path": path, **args}})
        expected.append(("lineinfile", {"path": path, **args}))
    for i, (content, regexp, repl) in enumerate(REPLACE):
        path = str(tmp_path / f"r{i}")
        Path(path).write_bytes(content.encode())
        files[path] = content
        args = {"path": path, "regexp": regexp, "replace": repl}
        tasks.append({"name": f"r{i}", "ansible.builtin.replace": args})
        expected.append(("replace", args))
    missing = str(tmp_path / "absent")
    tasks.append({"name": "missing", "ansible.builtin.lineinfile": {"path": missing, "line": "x"},
                  "ignore_errors": True})
    expected.append(("lineinfile", {"path": missing, "line": "x"}))
    real = _real_check_mode(tmp_path, tasks)
    ans = m.Answer({"read": {**{p: {"content": c} for p, c in files.items()}, missing: {"error": "absent"}}}, [])
    run = {"lineinfile": m.lineinfile_run, "replace": m.replace_run}
    mismatches = []
    for (kind, args), got in zip(expected, real):
        mine = run[kind](args, ans)
        if bool(mine.get("changed")) != bool(got.get("changed")) or bool(mine.get("failed")) != bool(got.get("failed")):
            mismatches.append((kind, args, {"module": {k: got.get(k) for k in ("changed", "failed", "msg")},
                                            "fast path": mine}))
    assert not mismatches, mismatches
    assert sum(bool(r.get("changed")) for r in real) >= 8  # the cases really exercise both answers


@pytest.mark.parametrize("state,names,installed,changed", [
    ("present", ["nftables"], {"nftables"}, False),
    ("present", ["nftables", "aide"], {"nftables"}, True),
    ("absent", ["telnet", "rsh-client"], {"nftables"}, False),
    ("absent", ["telnet"], {"telnet"}, True),
])
def test_apt_follows_the_dpkg_database(state: str, names: list[str], installed: set[str], changed: bool) -> None:
    listing = "".join(f"ii \t{n}\t1.0\tamd64\n" for n in sorted(installed))
    ans = m.Answer({"shell": {m.DPKG_LISTING: {"rc": 0, "stdout": listing}}}, [])
    assert bool(m.apt_run({"name": names, "state": state}, ans).get("changed")) is changed


def test_a_module_without_an_emulator_fails_its_task_and_nothing_unread_passes() -> None:
    ans = m.Answer({}, [])
    for run, args in ((m.files_run, {"files": [{"path": "/etc/x", "mode": "0644"}]}),
                      (m.lineinfile_run, {"path": "/etc/x", "line": "a"}),
                      (m.getent_run, {"database": "passwd"}),
                      (m.apt_run, {"name": ["x"]})):
        res = run(args, ans)
        assert res.get("failed") and m.UNSUPPORTED in res["msg"], (run.__name__, res)


def test_copy_agrees_with_the_module(tmp_path: Path) -> None:
    """Content, mode and absence decide copy's answer, as ansible.builtin.copy decides in check mode."""
    import hashlib

    src = tmp_path / "src.xml"
    src.write_text("<content/>\n")
    cases = {"same": ("<content/>\n", "0644"), "content": ("<old/>\n", "0644"), "mode": ("<content/>\n", "0600"),
             "absent": (None, None)}
    tasks, stats = [], {}
    for name, (content, mode) in cases.items():
        dest = tmp_path / f"dest-{name}"
        if content is not None:
            dest.write_text(content)
            dest.chmod(int(mode, 8))
        tasks.append({"name": name, "ansible.builtin.copy": {"src": str(src), "dest": str(dest), "mode": "0644"}})
        st = dest.stat() if dest.exists() else None
        stats[str(dest)] = {"exists": False} if st is None else {
            "exists": True, "type": "file", "mode": f"{st.st_mode & 0o7777:04o}",
            "sha256": hashlib.sha256(dest.read_bytes()).hexdigest()}
    real = _real_check_mode(tmp_path, tasks)
    ans = m.Answer({"stat": stats}, [])
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    mine = [bool(m.copy_run({"path": t["ansible.builtin.copy"]["dest"], "mode": "0644"}, digest, ans).get("changed"))
            for t in tasks]
    assert mine == [bool(r.get("changed")) for r in real] == [False, True, True, True]


def test_stat_agrees_with_the_module_on_files_directories_and_links(tmp_path: Path) -> None:
    """The probe's real answer for a file, a directory, a link to each, a dangling link and a missing path,
    read by the emulator, gives the stat fields the real module gives (follow false, its default, and true)."""
    import asyncio

    from govcloud.hosts.fastpath.transport import Target, probe_hosts

    (tmp_path / "file").write_text("x\n")
    (tmp_path / "file").chmod(0o640)
    (tmp_path / "dir").mkdir(mode=0o750)
    (tmp_path / "to-file").symlink_to(tmp_path / "file")
    (tmp_path / "to-dir").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    paths = [str(tmp_path / n) for n in ("file", "dir", "to-file", "to-dir", "dangling", "missing")]
    local = Target(name="here", address="", local=True, python="/usr/bin/python3", become=False)
    got = asyncio.run(probe_hosts([local], lambda t: {"stat": paths}))["here"]
    assert got.answer is not None, got
    ans = m.Answer(got.answer, [])
    tasks = [{"name": f"{p} {follow}", "ansible.builtin.stat": {"path": p, "follow": follow}, "register": "r"}
             for follow in (False, True) for p in paths]
    real = _real_check_mode(tmp_path, tasks)
    keys = ("exists", "isdir", "isreg", "islnk", "mode", "pw_name")
    for task, res in zip(tasks, real, strict=True):
        mine = m.stat_run(task["ansible.builtin.stat"], ans)["stat"]
        theirs = res["stat"]
        assert {k: mine[k] for k in keys if k in mine} == {k: theirs[k] for k in keys if k in mine}, task["name"]
        assert set(mine) & set(keys) == set(theirs) & set(keys) - ({"pw_name"} if mine.get("islnk") else set()), \
            task["name"]


def test_user_reads_the_first_record_of_a_repeated_name() -> None:
    """getent_passwd lists every record of a name given twice (as the probe and ansible.builtin.getent do);
    the user module sees the first, as NSS returns it."""
    passwd = {"daemon": [["x", "1", "1", "daemon", "/usr/sbin", "/usr/sbin/nologin"],
                         ["x", "1", "1", "daemon", "/usr/sbin", "/bin/bash"]]}
    shadow = {"daemon": [["!<hash>", "1"], ["<hash>", "1"]]}
    ans = m.Answer({"getent": {"passwd": passwd, "shadow": shadow}}, [])
    assert not m.user_run({"name": "daemon", "shell": "/usr/sbin/nologin", "password_lock": True}, ans)["changed"]
    assert m.user_run({"name": "daemon", "shell": "/bin/bash"}, ans)["changed"]
