"""`harden --verify-only` and `harden --check` agree, control by control, on booted hardened hosts.

The fast path evaluates the playbooks against one probe answer per host; Ansible's check mode runs
them. On the shared hardened lab (conftest.py), each case breaks one thing on one host — a control
family of the roles: a file's content, mode or owner; a unit stopped or disabled; a package removed; an
sshd setting; a PAM line; the useradd default; the firewall ruleset; pgaudit's settings; clamd; an
account's shell; an administrator group — then both judge that host, and every control's result must
be equal, with the targeted controls failing in both (so no case passes by reading nothing). Every
break is undone in a `finally`, and the last test compares all four hosts, clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from govcloud.hosts.fastpath.collect import verify_only

pytestmark = pytest.mark.hosts

PGAUDIT_CONF = "/etc/postgresql/15/main/conf.d/60-govcloud-pgaudit.conf"


@dataclass(frozen=True)
class Break:
    id: str
    host: str
    do: str  # run with sudo on the host
    undo: str
    fails: frozenset[str]  # the controls the break must fail (in both)


def _b(id_: str, host: str, do: str, undo: str, *fails: str) -> Break:
    return Break(id_, host, do, undo, frozenset(fails))


APP, DB = "lab-app-01", "lab-db-01"
CASES = [
    _b("file-content", APP, "sh -c 'echo minlen=8 >> /etc/security/pwquality.conf'",
       "sed -i '/^minlen=8$/d' /etc/security/pwquality.conf", "8.1.4.1a"),
    _b("file-mode", APP, "chmod 0644 /etc/sudoers.d/50-govcloud-roles",
       "chmod 0440 /etc/sudoers.d/50-govcloud-roles", "8.1.4.2d"),
    _b("file-owner", APP, "chown nobody /etc/issue", "chown root /etc/issue", "8.1.4.1c"),
    _b("unit-stopped", APP, "systemctl stop fail2ban", "systemctl start fail2ban", "8.1.4.4f"),
    _b("unit-disabled", APP, "systemctl disable --quiet govcloud-aide-check.timer",
       "systemctl enable --quiet govcloud-aide-check.timer", "8.1.4.6a"),
    _b("package-removed", APP, "env DEBIAN_FRONTEND=noninteractive dpkg --remove apt-show-versions",
       "sh -c 'env DEBIAN_FRONTEND=noninteractive dpkg --install /var/cache/apt/archives/apt-show-versions_*.deb'",
       "8.1.4.4e"),
    _b("sshd-setting", APP, "sh -c 'echo PermitRootLogin yes >> /etc/ssh/sshd_config.d/00-govcloud.conf'",
       "sed -i '/^PermitRootLogin yes$/d' /etc/ssh/sshd_config.d/00-govcloud.conf", "8.1.4.1c"),
    _b("pam-nullok", APP, "sed -i 's/pam_unix.so /pam_unix.so nullok /' /etc/pam.d/common-auth",
       "sed -i 's/ nullok//' /etc/pam.d/common-auth", "8.1.4.1a"),
    _b("useradd-inactive", APP, "sh -c \"cp -p /etc/default/useradd /root/useradd.fastpath && "
                                "sed -i 's/^INACTIVE=.*/INACTIVE=-1/' /etc/default/useradd\"",
       "cp -p /root/useradd.fastpath /etc/default/useradd", "8.1.4.2c"),
    _b("firewall-ruleset", APP, "sh -c 'echo \"# drift\" >> /etc/nftables.conf'",
       "sed -i '/^# drift$/d' /etc/nftables.conf", "8.1.4.4b"),
    _b("pgaudit-off", DB, f"sh -c 'cp -p {PGAUDIT_CONF} /root/pgaudit.fastpath && echo pgaudit.log=none >> {PGAUDIT_CONF}'",
       f"cp -p /root/pgaudit.fastpath {PGAUDIT_CONF}", "addon.db_audit.pgaudit"),
    _b("clamd-stopped", APP, "systemctl stop clamav-daemon.service clamav-daemon.socket",
       "systemctl start clamav-daemon.socket clamav-daemon.service", "8.1.4.5a"),
    _b("account-shell", APP, "usermod -s /bin/bash daemon", "usermod -s /usr/sbin/nologin daemon", "8.1.4.2b"),
    _b("admin-group", APP, "groupdel audadm", "groupadd -r audadm", "8.1.4.2d"),
]


def _results(ev: dict, host: str) -> dict[str, tuple[str, str]]:
    return {c: (r["result"], r["reason"]) for c, r in ev["hosts"][host]["controls"].items()}


def _disagreements(check: dict, fast: dict, host: str) -> list[str]:
    a, b = _results(check, host), _results(fast, host)
    return [f"{host} {c}: check {a[c][0]} ({a[c][1][:160]}) | fast {b.get(c, ('missing', ''))[0]} "
            f"({b.get(c, ('', ''))[1][:160]})" for c in sorted(a) if a[c][0] != b.get(c, ("missing",))[0]]


def _comparable(host_doc: dict) -> dict:
    """What both read from the host beside the controls (virtualization tech as a set: setup's order is a set's)."""
    facts = dict(host_doc["facts"] or {})
    if "virtualization" in facts:
        facts["virtualization"] = {**facts["virtualization"],
                                   "tech_guest": sorted(facts["virtualization"]["tech_guest"])}
    return {"reachable": host_doc["reachable"], "groups": host_doc["groups"], "addons": host_doc["addons"],
            "facts": facts, "packages": host_doc["packages"], "services": host_doc["services"],
            "addon_state": host_doc["addon_state"]}


def _both(hardened, tmp_path: Path, name: str, limit: str | None) -> tuple[dict, dict]:
    check = hardened.harden(f"agree-{name}", check=True, limit=limit).evidence
    fast = verify_only(inventory=hardened.inventory, limit=limit, run_dir=tmp_path / f"fast-{name}",
                       console=hardened.console).evidence
    assert fast["run"]["method"] == "probe" and fast["run"]["mode"] == "check"
    return check, fast


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_broken_control_is_judged_alike(hardened, tmp_path: Path, case: Break) -> None:
    lab = hardened.lab
    lab.ssh(case.host, f"sudo {case.do}")
    try:
        check, fast = _both(hardened, tmp_path, case.id, case.host)
    finally:
        lab.ssh(case.host, f"sudo {case.undo}")
    assert sorted(check["hosts"]) == sorted(fast["hosts"]) == [case.host]
    assert not _disagreements(check, fast, case.host)
    for ev, who in ((check, "check"), (fast, "fast")):
        failing = {c for c, (r, _) in _results(ev, case.host).items() if r == "fail"}
        assert case.fails <= failing, f"{who}: {sorted(case.fails - failing)} not failed; failing: {sorted(failing)}"
    assert _comparable(check["hosts"][case.host]) == _comparable(fast["hosts"][case.host])


def test_clean_hosts_are_judged_alike(hardened, tmp_path: Path) -> None:
    """After every break was undone: all hosts, all controls equal, and nothing fails."""
    check, fast = _both(hardened, tmp_path, "clean", None)
    assert sorted(check["hosts"]) == sorted(fast["hosts"]) == sorted(h.name for h in hardened.lab.hosts)
    problems = [d for h in check["hosts"] for d in _disagreements(check, fast, h)]
    assert not problems, "\n".join(problems)
    for h in check["hosts"]:
        assert _comparable(check["hosts"][h]) == _comparable(fast["hosts"][h]), h
        assert not [c for c, (r, _) in _results(fast, h).items() if r == "fail"], h
