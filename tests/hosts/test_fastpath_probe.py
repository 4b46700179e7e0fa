"""The probe and its transport on booted lab hosts: what it reads equals what the host's own tools say,
secrets stay on the host, and a host that does not answer is reported, never passed."""

from __future__ import annotations

import asyncio
import json
import shlex
import time

import pytest

from govcloud.hosts.fastpath.transport import HostAnswer, Target, probe_hosts

pytestmark = pytest.mark.hosts

#: a yescrypt hash of "fastpath-test" (`mkpasswd -m yescrypt`): it must never leave the host
HASH = "$y$j9T$Zb1pN1Lw1l1m4qS8f6d9r0$0hHq8zS8pZ6I7m3o9vYwzV0bq4cKJkS2VbU8o0b5rC4"


def _target(lab, host: str, **over) -> Target:
    inv = lab.inventory()["all"]
    hv = {**inv["vars"], **inv["hosts"][host]}
    fields = {"name": host, "address": hv["ansible_host"], "user": hv["ansible_user"],
              "key_file": hv["ansible_ssh_private_key_file"],
              "ssh_common_args": shlex.split(hv["ansible_ssh_common_args"]), "become": True,
              "python": hv["ansible_python_interpreter"]}
    return Target(**{**fields, **over})


def _ask(targets: list[Target], request: dict, **kw) -> dict[str, HostAnswer]:
    return asyncio.run(probe_hosts(targets, lambda t: request, **kw))


def test_the_answer_equals_the_hosts_own_tools(hardened) -> None:
    lab, host = hardened.lab, "lab-app-01"
    request = {"stat": ["/etc/ssh/sshd_config.d/00-govcloud.conf", "/etc/shadow", "/var/lib/aide", "/no/such"],
               "read": ["/etc/default/useradd"], "commands": {"sshd": ["/usr/sbin/sshd", "-T", "-C",
                                                                        "user=nobody,host=localhost,addr=127.0.0.1"],
                                                              "false": ["false"], "nope": ["/no/such/cmd"]},
               "getent": ["passwd", "group"], "find": {"f": {"paths": ["/etc/ssh"], "patterns": ["ssh*_config"]}},
               "facts": True}
    got = _ask([_target(lab, host)], request)[host]
    assert got.answer is not None and not got.unreachable and not got.error, got
    a = got.answer
    assert a["errors"] == []
    sha = lab.ssh(host, "sudo sha256sum /etc/ssh/sshd_config.d/00-govcloud.conf").stdout.split()[0]
    assert a["stat"]["/etc/ssh/sshd_config.d/00-govcloud.conf"]["sha256"] == sha
    shadow = lab.ssh(host, "sudo stat -c '%a %U %G' /etc/shadow").stdout.split()
    st = a["stat"]["/etc/shadow"]
    assert (int(st["mode"], 8), st["owner"], st["group"]) == (int(shadow[0], 8), shadow[1], shadow[2])
    assert a["stat"]["/var/lib/aide"]["type"] == "directory" and a["stat"]["/no/such"] == {"exists": False}
    assert a["read"]["/etc/default/useradd"]["content"] == lab.ssh(host, "cat /etc/default/useradd").stdout
    assert a["commands"]["sshd"]["rc"] == 0 and "permitrootlogin no" in a["commands"]["sshd"]["stdout"]
    assert a["commands"]["false"]["rc"] == 1 and a["commands"]["nope"]["rc"] is None
    passwd = {ln.split(":")[0]: ln.split(":")[1:] for ln in lab.ssh(host, "getent passwd").stdout.splitlines()}
    assert a["getent"]["passwd"] == passwd
    assert [f["path"] for f in a["find"]["f"]] == ["/etc/ssh/ssh_config", "/etc/ssh/sshd_config"]
    facts = hardened.first.evidence["hosts"][host]["facts"]["virtualization"]
    assert (a["facts"]["virtualization_type"], a["facts"]["virtualization_role"]) == (facts["type"], facts["role"])
    assert sorted(a["facts"]["virtualization_tech_guest"]) == sorted(facts["tech_guest"])


def test_a_password_hash_never_leaves_the_host(hardened) -> None:
    lab, host = hardened.lab, "lab-app-02"
    lab.ssh(host, "sudo useradd -M -s /usr/sbin/nologin fastpath-hash && sudo useradd -M -s /usr/sbin/nologin "
                  "fastpath-empty && sudo passwd -d fastpath-empty >/dev/null && sudo usermod -L fastpath-empty")
    try:
        lab.ssh(host, "sudo chpasswd -e", input_text=f"fastpath-hash:{HASH}\n")
        lab.ssh(host, "sudo passwd -d fastpath-empty >/dev/null")
        assert HASH in lab.ssh(host, "sudo getent shadow fastpath-hash").stdout  # it is there to leak
        got = _ask([_target(lab, host)], {"getent": ["shadow"]})[host]
        raw = json.dumps(got.answer)
        assert HASH not in raw and "$y$" not in raw and "$6$" not in raw
        shadow = got.answer["getent"]["shadow"]
        assert shadow["fastpath-hash"][0] == "<hash>" and shadow["fastpath-empty"][0] == ""
        assert shadow["root"][0] in ("*", "!", "!*", "<hash>", "!<hash>")
    finally:
        lab.ssh(host, "sudo userdel fastpath-hash; sudo userdel fastpath-empty", check=False)


def test_a_host_that_does_not_answer_is_reported_and_the_others_answer(hardened) -> None:
    lab = hardened.lab
    good = [_target(lab, h.name) for h in lab.hosts]
    gone = _target(lab, "lab-app-01", name="gone", address="10.255.255.1")  # no such host on the lab's network
    nopy = _target(lab, "lab-app-01", name="nopython", python="/bin/sleep")  # `sleep -I -S -c ...` fails
    t0 = time.monotonic()
    got = _ask([*good, gone, nopy], {"facts": True}, concurrency=3, timeout=8)
    assert all(got[t.name].answer and not got[t.name].unreachable for t in good)
    assert got["gone"].answer is None and got["gone"].unreachable
    assert got["nopython"].answer is None and got["nopython"].error.startswith("the probe exited")
    assert time.monotonic() - t0 < 30


def test_a_probe_past_its_timeout_is_unreachable(hardened) -> None:
    lab = hardened.lab
    t = _target(lab, "lab-log-01")
    got = _ask([t], {"commands": {"wait": ["sleep", "20"]}}, timeout=3)["lab-log-01"]
    assert got.answer is None and got.unreachable == "no answer within 3 s"
    assert got.seconds < 6
