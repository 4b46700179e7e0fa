"""The govcloud.hosts action plugins on a real booted host (shared hardened lab).

files and units first run a read-only probe with the host's plain Python and skip the module only
when the host already matches (result `probe: match`, no module `invocation`). These tests break
one attribute at a time on the host and assert the module then runs and repairs it, that check
mode reports without repairing, and that a match really skips the module. dpkg_facts and
systemd_facts (names:) read directly (`direct: true`) with the module's own parser: the facts
must equal the module's, which `govcloud_hosts_direct: false` forces — and, since both share that
parser, both must equal what Ansible's own package_facts (apt) and service_facts report on the same
host in the same play: the independent oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govcloud.hosts.runner import run_playbooks

pytestmark = [pytest.mark.hosts, pytest.mark.slow]
HOST = "lab-app-02"
DIR = "/var/tmp/govcloud-probe"
FILE = f"{DIR}/settings.conf"
UNIT = "govcloud-probe-test.service"

FILES_TASK = {"name": "files", "govcloud.hosts.files": {"files": [
    {"path": DIR, "state": "directory", "mode": "0750", "group": "adm"},
    {"path": FILE, "content": "answer = 42\n", "mode": "0640", "validate": "grep -q answer %s"},
]}}
UNIT_FILE_TASK = {"name": "unit file", "register": "unit_file", "govcloud.hosts.files": {"files": [
    {"path": f"/etc/systemd/system/{UNIT}", "mode": "0644",
     "content": "[Unit]\nDescription=govcloud probe test\n[Service]\nExecStart=/bin/sleep infinity\n"
                "[Install]\nWantedBy=multi-user.target\n"}]}}


def units_task(enabled: bool, state: str, reload: bool | str = False) -> dict:
    return {"name": "units", "govcloud.hosts.units": {
        "daemon_reload": reload, "units": [{"name": UNIT, "enabled": enabled, "state": state}]}}


class Runner:
    def __init__(self, hardened, tmp: Path):
        self.hardened, self.tmp, self.n = hardened, tmp, 0

    def play(self, *tasks: dict, check: bool = False, direct: bool = True) -> dict[str, dict]:
        """Run `tasks` on HOST; each task's result by name (a failed task's too)."""
        self.n += 1
        run_dir = self.tmp / f"run-{self.n}"
        run_dir.mkdir()
        pb = run_dir / "probe.yml"
        pb.write_text(yaml.safe_dump([{"name": "probe test", "hosts": HOST, "become": True, "gather_facts": False,
                                       "vars": {"govcloud_hosts_direct": direct}, "tasks": list(tasks)}],
                                     sort_keys=False))
        r = run_playbooks([pb], self.hardened.inventory, run_dir, check=check, limit=HOST)
        out = {}
        for e in r.events:
            if e.get("event") in ("runner_on_ok", "runner_on_failed"):
                d = e["event_data"]
                out[d["task"]] = {**d["res"], "_failed": e["event"] == "runner_on_failed"}
        return out

    def sh(self, command: str) -> str:
        return self.hardened.lab.ssh(HOST, f"sudo sh -c {json.dumps(command)}").stdout.strip()


def ran_module(res: dict) -> bool:
    return "invocation" in res and "probe" not in res


@pytest.fixture
def runner(hardened, tmp_path):
    r = Runner(hardened, tmp_path)
    yield r
    r.sh(f"systemctl disable --now {UNIT} 2>/dev/null; rm -rf {DIR} /etc/systemd/system/{UNIT}; "
         "systemctl daemon-reload")


def test_files_probe_skips_only_a_full_match(runner):
    first = runner.play(FILES_TASK)["files"]
    assert first["changed"] and ran_module(first) and first["changed_paths"] == [DIR, FILE]
    again = runner.play(FILES_TASK)["files"]
    assert again == {**again, "changed": False, "probe": "match", "changed_paths": []} and not ran_module(again)

    want = runner.sh(f"stat -c '%U:%G:%a' {DIR} {FILE}; sha256sum < {FILE}")
    breaks = {
        "file mode": f"chmod 0644 {FILE}",
        "file owner": f"chown nobody {FILE}",
        "file group": f"chgrp adm {FILE}",
        "content": f"echo 'answer = 43' > {FILE}",
        "directory mode": f"chmod 0755 {DIR}",
        "file missing": f"rm {FILE}",
    }
    for what, damage in breaks.items():
        runner.sh(damage)
        res = runner.play(FILES_TASK)["files"]
        assert res["changed"] and ran_module(res), (what, res)
        assert runner.sh(f"stat -c '%U:%G:%a' {DIR} {FILE}; sha256sum < {FILE}") == want, what


def test_files_check_mode_reports_and_keeps_the_host(runner):
    runner.play(FILES_TASK)
    runner.sh(f"chmod 0600 {FILE}")
    res = runner.play(FILES_TASK, check=True)["files"]
    assert res["changed"] and res["changed_paths"] == [FILE] and ran_module(res)
    assert runner.sh(f"stat -c '%a' {FILE}") == "600"
    assert runner.play(FILES_TASK, check=True)["files"]["changed"]  # still broken, still reported


def test_units_probe_skips_only_when_no_action_is_due(runner):
    up = runner.play(UNIT_FILE_TASK, units_task(True, "started", "{{ unit_file is changed }}"))["units"]
    assert up["changed"] and ran_module(up) and "daemon-reload" in up["actions"]
    again = runner.play(units_task(True, "started"))["units"]
    assert again["probe"] == "match" and not again["changed"] and not ran_module(again)
    assert runner.play(units_task(True, "started", True))["units"]["actions"] == ["daemon-reload"]

    runner.sh(f"systemctl stop {UNIT}")
    res = runner.play(units_task(True, "started"))["units"]
    assert ran_module(res) and res["actions"] == [f"start {UNIT}"]
    runner.sh(f"systemctl disable {UNIT}")
    res = runner.play(units_task(True, "started"))["units"]
    assert ran_module(res) and res["actions"] == [f"enable {UNIT}"]
    assert runner.sh(f"systemctl is-enabled {UNIT}; systemctl is-active {UNIT}").split() == ["enabled", "active"]

    res = runner.play(units_task(False, "stopped"), check=True)["units"]
    assert ran_module(res) and res["actions"] == [f"disable {UNIT}", f"stop {UNIT}"]
    assert runner.sh(f"systemctl is-active {UNIT}") == "active"  # check mode changed nothing
    res = runner.play(units_task(False, "stopped"))["units"]
    assert ran_module(res) and res["changed"]
    assert runner.play(units_task(False, "stopped"))["units"]["probe"] == "match"


def test_units_unknown_unit_fails_through_the_module(runner):
    res = runner.play({"name": "units", "govcloud.hosts.units": {
        "units": [{"name": "govcloud-no-such.service", "state": "started"}]}})["units"]
    assert res["_failed"] and "not loaded" in res["msg"]


def versions(packages: dict[str, list[dict]]) -> dict[str, list[tuple[str, str]]]:
    return {name: sorted((p["version"], p["arch"]) for p in entries) for name, entries in packages.items()}


def test_direct_facts_equal_the_modules_facts_and_ansibles_own(runner):
    # a stopped, disabled unit beside running ones (the runner fixture removes it)
    runner.play(UNIT_FILE_TASK, units_task(False, "stopped", True))
    units = ["rsyslog.service", "clamav-daemon.service", "govcloud-no-such.service", "ssh.service", UNIT]
    tasks = ({"name": "packages", "govcloud.hosts.dpkg_facts": None},
             {"name": "services", "govcloud.hosts.systemd_facts": {"names": units}})
    oracle = ({"name": "package_facts", "ansible.builtin.package_facts": {"manager": "apt"}},
              {"name": "service_facts", "ansible.builtin.service_facts": None})
    fast, slow = runner.play(*tasks, *oracle), runner.play(*tasks, direct=False)
    for name in ("packages", "services"):
        assert fast[name]["direct"] is True and "invocation" not in fast[name], fast[name]
        assert "direct" not in slow[name] and "invocation" in slow[name], slow[name]
        assert fast[name]["ansible_facts"] == slow[name]["ansible_facts"], name
    # the independent oracle: Ansible's package_facts (python-apt) and service_facts (systemctl
    # list-units/list-unit-files), same host, same play
    pkgs, apt = fast["packages"]["ansible_facts"]["packages"], fast["package_facts"]["ansible_facts"]["packages"]
    assert versions(pkgs) == versions(apt)
    services = fast["services"]["ansible_facts"]["services"]
    seen = fast["service_facts"]["ansible_facts"]["services"]
    assert "govcloud-no-such.service" not in seen and set(services) == {n for n in units if n in seen}
    assert {n: (s["state"] == "running", s["status"]) for n, s in services.items()} == {
        n: (seen[n]["state"] == "running", seen[n]["status"]) for n in services}
    assert all(services[n] == seen[n] for n in services if seen[n]["state"] == "running")
    # a known difference, both "not running": for a unit systemd has not loaded (stopped and disabled),
    # service_facts reports its ActiveState `inactive`; systemd_facts (`systemctl show`) says `stopped`
    assert services[UNIT]["state"] == "stopped" and services[UNIT]["status"] == "disabled"
    assert seen[UNIT]["state"] in ("stopped", "inactive") and seen[UNIT]["status"] == "disabled"
    assert sorted(services) == sorted(["clamav-daemon.service", "rsyslog.service", "ssh.service", UNIT])  # unknown left out
    assert services["rsyslog.service"] == {"name": "rsyslog.service", "state": "running", "status": "enabled",
                                           "source": "systemd"}
    pkgs = fast["packages"]["ansible_facts"]["packages"]
    assert pkgs["openssh-server"][0]["arch"] == runner.sh("dpkg --print-architecture") and len(pkgs) > 200
    # files and units with the shortcuts off: the module runs even on a match
    runner.play(FILES_TASK)
    assert ran_module(runner.play(FILES_TASK, direct=False)["files"])
