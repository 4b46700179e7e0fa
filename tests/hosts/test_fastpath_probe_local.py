"""The probe and its transport on this machine (a ``local`` target, and ssh to a closed port): what it
reads equals what Python and the system's own tools say, a password field is masked, a command or a
probe past its time is stopped, a host that cannot be reached is reported. No lab needed; the
booted-host tests are in test_fastpath_probe.py."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcloud.hosts.fastpath.probe import PROBE
from govcloud.hosts.fastpath.transport import (
    HostAnswer,
    Target,
    control_dir,
    probe_hosts,
)

REPO = Path(__file__).resolve().parents[2]
PY = "/usr/bin/python3"  # the host's Python, as on a managed host (not the venv's)


def _local(name: str = "here", **over) -> Target:
    return Target(**{"name": name, "address": "", "local": True, "python": PY, **over})


def _ask(request: dict, targets: list[Target] | None = None, **kw) -> dict[str, HostAnswer]:
    return asyncio.run(probe_hosts(targets or [_local()], lambda t: request, **kw))


def _answer(request: dict) -> dict:
    got = _ask(request)["here"]
    assert got.answer is not None and not got.unreachable and not got.error, got
    return got.answer


def _probe_functions() -> dict:
    """The probe's functions, without running it (its last line calls main())."""
    assert PROBE.rstrip().endswith("main()")
    ns: dict = {}
    exec(compile(PROBE.rstrip()[: -len("main()")], "probe", "exec"), ns)  # noqa: S102 - our own constant
    return ns


@pytest.mark.parametrize(("field", "masked"), [
    ("", ""), ("*", "*"), ("!", "!"), ("!!", "!!"), ("!*", "!*"), ("x", "<hash>"),
    ("$y$j9T$abc$def", "<hash>"), ("!$6$salt$hash", "!<hash>"), ("*LK*$1$a$b", "*<hash>"),
])
def test_a_password_field_keeps_only_its_lock_marks(field: str, masked: str) -> None:
    assert _probe_functions()["mask"](field) == masked


def test_passwd_and_group_keep_x_and_mask_anything_else() -> None:
    masked = _probe_functions()["MASKED"]
    assert masked["passwd"]("x") == "x" and masked["group"]("x") == "x"
    assert masked["passwd"]("$6$a$b") == "<hash>" and masked["group"]("!$6$a$b") == "!<hash>"
    assert masked["shadow"]("x") == "<hash>" and masked["gshadow"]("") == ""


def test_stat_and_read_equal_what_python_says(tmp_path: Path) -> None:
    f = tmp_path / "a.conf"
    f.write_bytes(b"PermitRootLogin no\n\xff\n")
    f.chmod(0o640)
    (tmp_path / "d").mkdir(mode=0o750)
    (tmp_path / "link").symlink_to(f)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    big = tmp_path / "big"
    big.write_bytes(b"x" * ((1 << 20) + 1))
    paths = [str(p) for p in (f, tmp_path / "d", tmp_path / "link", tmp_path / "dangling", tmp_path / "none")]
    a = _answer({"stat": [*paths, "relative/path"], "read": [str(f), str(big), "/etc/shadow", str(tmp_path / "none")]})
    st = a["stat"][str(f)]
    assert st["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    assert (st["type"], st["mode"], st["owner"], st["group"], st["size"], st["link"]) == \
        ("file", "0640", "root", "root", 21, False)
    assert a["stat"][str(tmp_path / "d")]["type"] == "directory" and a["stat"][str(tmp_path / "d")]["mode"] == "0750"
    assert a["stat"][str(tmp_path / "d")]["sha256"] is None
    link = a["stat"][str(tmp_path / "link")]
    assert link["link"] is True and link["type"] == "file" and link["sha256"] == st["sha256"]
    assert a["stat"][str(tmp_path / "dangling")] == {"exists": False, "link": True}
    assert a["stat"][str(tmp_path / "none")] == {"exists": False}
    assert a["stat"]["relative/path"] == {"exists": False, "error": "not an absolute path"}
    assert a["read"][str(f)] == {"content": "PermitRootLogin no\n\ufffd\n"}
    assert a["read"][str(big)] == {"error": f"larger than {1 << 20} bytes"}
    assert a["read"]["/etc/shadow"] == {"error": "a secret file: its content never leaves the host"}
    assert a["read"][str(tmp_path / "none")]["error"].startswith("FileNotFoundError")
    assert a["errors"] == [] and 0 < a["usage"]["cpu_seconds"] and 0 < a["usage"]["seconds"]


def test_commands_run_without_a_shell_and_stop_at_their_timeout() -> None:
    t0 = time.monotonic()
    a = _answer({"timeout": 1, "commands": {"echo": ["echo", "$HOME", "a b"], "false": ["false"],
                                             "nope": ["/no/such/cmd"], "wait": ["sleep", "30.17"]},
                 "shell": {"pipe": "printf 'b\\na\\n' | sort; echo $LC_ALL", "slow": "sleep 30.17; echo never"}})
    assert time.monotonic() - t0 < 8  # two 1 s timeouts, not 30 s
    c, s = a["commands"], a["shell"]
    assert c["echo"] == {"rc": 0, "stdout": "$HOME a b\n", "stderr": ""}
    assert c["false"]["rc"] == 1
    assert c["nope"]["rc"] is None and c["nope"]["error"].startswith("FileNotFoundError")
    assert c["wait"] == {"rc": None, "error": "timed out after 1 s"}
    assert s["pipe"] == {"rc": 0, "stdout": "a\nb\nC\n", "stderr": ""}
    assert s["slow"] == {"rc": None, "error": "timed out after 1 s"}
    left = subprocess.run(["pgrep", "-f", "^sleep 30.17$"], check=False, capture_output=True, text=True).stdout.split()
    assert left == [], f"the timed-out shell's children still run: {left}"


def test_getent_equals_getent_and_find_lists_matching_files(tmp_path: Path) -> None:
    for name in ("lynis-1.dat", "lynis-2.dat", "other.log"):
        (tmp_path / name).write_text(name)
    (tmp_path / "lynis-dir.dat").mkdir()
    a = _answer({"getent": ["passwd", "group", "shadow", "nosuchdb"],
                 "find": {"f": {"paths": [str(tmp_path), "/no/such"], "patterns": ["lynis-*.dat"]}}})
    for db in ("passwd", "group"):
        out = subprocess.run(["getent", db], capture_output=True, text=True, check=True).stdout
        want = {ln.split(":")[0]: ln.split(":")[1:] for ln in out.splitlines()}
        assert a["getent"][db] == want
    shadow = subprocess.run(["getent", "shadow"], capture_output=True, text=True, check=True).stdout.splitlines()
    for ln in shadow:
        name, pw, *rest = ln.split(":")
        assert a["getent"]["shadow"][name] == [_probe_functions()["mask"](pw), *rest]
    assert a["errors"] == ["getent nosuchdb: not a database the probe reads"]
    assert [f["path"] for f in a["find"]["f"]] == [str(tmp_path / "lynis-1.dat"), str(tmp_path / "lynis-2.dat")]
    assert a["find"]["f"][0]["size"] == len("lynis-1.dat") and a["find"]["f"][0]["mode"] == "0644"


def test_facts_equal_ansible_setup_on_this_machine() -> None:
    """The same subsets as site.yml gathers (min, virtual, hardware), plus chroot, from Ansible itself."""
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}
    out = subprocess.run([str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-c", "local", "-m", "setup",
                          "-a", "gather_subset=min,virtual,hardware,chroot", "-e", f"ansible_python_interpreter={PY}"],
                         capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    setup = json.loads(out[out.index("{"):])["ansible_facts"]
    f = _answer({"facts": True})["facts"]
    assert_facts_agree(f, setup)


def assert_facts_agree(probe: dict, setup: dict) -> None:
    """The facts the roles and the evidence read, equal to setup's (a set's order aside)."""
    for key in ("virtualization_type", "virtualization_role", "is_chroot", "architecture", "kernel", "hostname",
                "distribution", "distribution_major_version", "distribution_release", "distribution_version",
                "processor_vcpus", "processor_count", "processor_cores", "memtotal_mb", "swaptotal_mb"):
        assert probe[key] == setup[f"ansible_{key}"], key
    for key in ("virtualization_tech_guest", "virtualization_tech_host"):
        assert probe[key] == sorted(setup[f"ansible_{key}"]), key
    assert probe["python"]["executable"] == setup["ansible_python"]["executable"]
    assert {n: (d["sectors"], int(d["sectorsize"])) for n, d in probe["devices"].items()} == \
        {n: (d["sectors"], int(d["sectorsize"])) for n, d in setup["ansible_devices"].items()}

    def mounts(ms: list[dict]) -> list[tuple]:
        return sorted((m["mount"], m["device"], m["fstype"], m.get("size_total"), m.get("block_total")) for m in ms)
    assert mounts(probe["mounts"]) == mounts(setup["ansible_mounts"])
    assert abs(int(probe["date_time"]["epoch"]) - int(setup["ansible_date_time"]["epoch"])) < 120


def test_transport_runs_each_targets_request_bounded_and_reports_each_host() -> None:
    done: list[str] = []
    targets = [_local(f"h{i}") for i in range(4)]
    t0 = time.monotonic()
    got = asyncio.run(probe_hosts(targets, lambda t: {"commands": {"me": ["echo", t.name]}, "timeout": 5},
                                  concurrency=2, on_done=lambda name, _: done.append(name)))
    assert sorted(done) == sorted(got) == [t.name for t in targets]
    assert all(got[t.name].answer["commands"]["me"]["stdout"] == f"{t.name}\n" for t in targets)
    assert all(got[t.name].seconds > 0 for t in targets)
    # concurrency 2: four 1 s probes take two rounds
    t0 = time.monotonic()
    asyncio.run(probe_hosts(targets, lambda t: {"commands": {"w": ["sleep", "1"]}}, concurrency=2))
    assert time.monotonic() - t0 >= 2


def test_a_probe_past_its_timeout_is_unreachable_and_killed() -> None:
    t0 = time.monotonic()
    got = _ask({"commands": {"w": ["sleep", "29.13"]}}, timeout=1.5)["here"]
    assert got.answer is None and got.unreachable == "no answer within 1.5 s" and time.monotonic() - t0 < 5
    left = subprocess.run(["pgrep", "-f", "^sleep 29.13$"], check=False, capture_output=True, text=True).stdout.split()
    assert left == [], f"the probe's command outlived the probe: {left}"


def test_a_host_that_cannot_run_the_probe_has_an_error_not_an_answer() -> None:
    got = _ask({}, [_local("nopython", python="/no/such/python3"), _local("notpython", python="/bin/false")])
    assert got["nopython"].answer is None and got["nopython"].error.startswith("could not start the probe")
    assert got["notpython"].answer is None and got["notpython"].error.startswith("the probe exited 1")
    assert not got["nopython"].unreachable and not got["notpython"].unreachable


def test_a_closed_ssh_port_is_unreachable_with_sshs_reason() -> None:
    t = Target(name="closed", address="127.0.0.1", port=1, user="nobody",
               ssh_common_args=["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
    big = {"stat": [f"/etc/{i:07d}" for i in range(200_000)]}  # far beyond a pipe's buffer: ssh never reads it
    got = asyncio.run(probe_hosts([t], lambda _: big, timeout=20))["closed"]
    assert got.answer is None and not got.error
    assert "port 1: Connection refused" in got.unreachable


def test_the_control_directory_is_private() -> None:
    d = control_dir()
    st = d.lstat()
    assert st.st_uid == os.getuid() and st.st_mode & 0o077 == 0
    assert len(str(d)) + 1 + 40 + 17 < 108  # %C (40 hex) and ssh's temporary suffix fit a socket path


def test_the_probe_runs_on_the_oldest_python_it_supports() -> None:
    """Python 3.9+ on managed hosts (Debian 11's 3.9): no newer syntax in the script."""
    import ast

    ast.parse(PROBE, feature_version=(3, 9))
    assert sys.version_info >= (3, 9)
