"""Real Debian 12 test hosts: boot, SSH, sudo, isolation, volumes and teardown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import yaml

from govcloud.labhosts import Lab, cgroups, network, nspawn
from govcloud.labhosts.state import registered

pytestmark = pytest.mark.hosts

NAMES = ["alpha", "bravo", "charlie"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def three(module_lab_factory) -> Lab:
    return module_lab_factory(3, names=NAMES, groups={"db": ["charlie"]})


def leftovers(lab_id: str, state_dir: Path) -> list[str]:
    """Every kernel object or process of lab `lab_id` that still exists."""
    found = [f"link {n}" for n in network.list_links(f"gv{lab_id}")]
    found += [f"netns {n}" for n in network.list_netns(f"gv-{lab_id}-")]
    prefix = str(state_dir) + "/"
    with open("/proc/self/mounts") as fh:
        found += [f"mount {line.split()[1]}" for line in fh if line.split()[1].startswith(prefix)]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"systemd-nspawn" in cmd and prefix.encode() in cmd:
                found.append(f"process {proc.name}")
    out = subprocess.run(["losetup", "-nl", "-O", "NAME,BACK-FILE"], capture_output=True, text=True).stdout
    found += [f"loop {line}" for line in out.splitlines() if prefix in line]
    found += [f"registry {e['id']}" for e in registered() if e["id"] == lab_id]
    found += [f"cgroup {c}" for c in cgroups.lab_cgroups(lab_id)]
    return found


def test_base_caches_lab_packages_for_offline_install(lab_base):
    meta = json.loads((lab_base.root / "base.json").read_text())
    assert meta["key"] == lab_base.key
    archives = lab_base.rootfs / "var/cache/apt/archives"
    status = (lab_base.rootfs / "var/lib/dpkg/status").read_text()
    missing = [p for p in lab_base.packages
               if not list(archives.glob(f"{p}_*.deb")) and f"Package: {p}\n" not in status]
    assert not missing, f"lab packages neither cached in {archives} nor installed: {missing}"
    assert list((lab_base.rootfs / "var/lib/apt/lists").glob("*_Packages")), "apt lists were not kept"
    assert not (lab_base.rootfs / "usr/sbin/policy-rc.d").exists(), "policy-rc.d must not outlive the build"
    assert "localhost" in (lab_base.rootfs / "etc/hosts").read_text()


def test_each_host_answers_ssh_as_govadmin(three):
    for h in three.hosts:
        out = three.ssh(h, "id -un; hostname").stdout.split()
        assert out == ["govadmin", h.name], f"{h.name}: {out}"


def test_systemd_is_running(three):
    for h in three.hosts:
        state = three.ssh(h, "systemctl is-system-running", check=False).stdout.strip()
        failed = three.ssh(h, "systemctl --failed --no-legend --plain", check=False).stdout.strip()
        assert state in {"running", "degraded"}, f"{h.name}: system state {state!r}; failed units: {failed}"
        if state == "degraded":
            warnings.warn(f"{h.name} is degraded; failed units: {failed}")


def test_hosts_do_not_share_units(three):
    """Each host's systemd has its own cgroup tree: restarting sshd on one leaves the others alone."""
    trees = {Path(f"/proc/{nspawn.container_init_pid(h.pid)}/cgroup").read_text() for h in three.hosts}
    assert len(trees) == len(three.hosts), f"hosts share cgroups: {trees}"
    pid = "systemctl show -p MainPID --value ssh"
    before = {h.name: three.ssh(h, pid).stdout.strip() for h in three.hosts}
    three.ssh("alpha", "sudo systemctl restart ssh")
    after = {h.name: three.ssh(h, pid).stdout.strip() for h in three.hosts}
    assert after["alpha"] != before["alpha"]
    assert {k: v for k, v in after.items() if k != "alpha"} == {k: v for k, v in before.items() if k != "alpha"}


def test_sudo_works_without_password(three):
    for h in three.hosts:
        r = three.ssh(h, "sudo -n id -u")
        assert r.stdout.strip() == "0"
        assert "unable to resolve host" not in r.stderr, r.stderr


def test_hosts_reach_each_other_by_name(three):
    for h in three.hosts:
        for peer in three.hosts:
            if peer.name != h.name:
                three.ssh(h, f"timeout 5 bash -c '</dev/tcp/{peer.name}/22'")


def test_no_route_out_of_any_host(three):
    for h in three.hosts:
        routes = network.netns_routes(h.netns)
        defaults = [r for r in routes if r.get("dst") == "default"]
        assert not defaults, f"{h.name} has a default route: {defaults}"
        v4 = [r["dst"] for r in routes if r.get("type", "unicast") == "unicast" and "." in r.get("dst", "")]
        assert v4 == [three.record.subnet], f"{h.name}: unexpected IPv4 routes {v4}"
        inside = three.ssh(h, "ip route show default; ip -6 route show default").stdout.strip()
        assert inside == "", f"{h.name} sees a default route: {inside}"


def test_inventory_drives_real_ansible(three, tmp_path):
    inv = three.write_inventory(tmp_path / "inventory.yml")
    r = subprocess.run(
        [str(REPO / ".venv/bin/ansible"), "-i", str(inv), "all", "-m", "ansible.builtin.command",
         "-a", "id -u", "-o"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{REPO / '.venv/bin'}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    for name in NAMES:
        line = next((ln for ln in r.stdout.splitlines() if ln.startswith(name + " ")), "")
        assert "(stdout) 0" in line, f"{name}: become did not give uid 0: {line!r}"
    inventory = three.inventory()
    assert inventory["all"]["children"]["db"]["hosts"] == {"charlie": {}}
    assert os.stat(inventory["all"]["vars"]["ansible_ssh_private_key_file"]).st_mode & 0o077 == 0


def test_volume_is_a_usable_block_device(three):
    vol = three.attach_volume("bravo", 32)
    size = three.ssh("bravo", f"sudo blockdev --getsize64 {vol.device}").stdout.strip()
    assert size == str(32 * 1024 * 1024)
    three.ssh("bravo", f"sudo mkfs.ext4 -q {vol.device} && sudo mkdir -p /mnt/data && "
                       f"sudo mount {vol.device} /mnt/data && echo kept | sudo tee /mnt/data/f >/dev/null && "
                       "sudo umount /mnt/data")
    dump = subprocess.run(["debugfs", "-R", "cat /f", vol.loop], capture_output=True, text=True)
    assert dump.stdout.strip() == "kept", dump.stderr


def test_add_host_boots_a_fresh_host_known_to_peers(three):
    before = three.ssh("alpha", "sudo ls /etc/ssh/sshd_config.d").stdout
    fresh = three.add_host("delta", groups=["fresh"])
    assert fresh.name == "delta" and three.ssh(fresh, "hostname").stdout.strip() == "delta"
    assert three.ssh("alpha", "getent hosts delta").stdout.split()[0] == fresh.address
    three.ssh("alpha", "timeout 5 bash -c '</dev/tcp/delta/22'")
    keys = {three.ssh(h, "cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()[1] for h in three.hosts}
    assert len(keys) == len(three.hosts), "hosts share sshd host keys"
    assert three.ssh("alpha", "sudo ls /etc/ssh/sshd_config.d").stdout == before
    assert "delta" in three.inventory()["all"]["children"]["fresh"]["hosts"]


def test_stop_removes_everything_and_is_idempotent(three):
    lab_id, state_dir = three.id, three.state_dir
    assert leftovers(lab_id, state_dir), "precondition: the lab is running"
    problems = three.stop()
    assert problems == []
    assert leftovers(lab_id, state_dir) == []
    assert three.stop() == []  # second call is a no-op


_CHILD = textwrap.dedent("""
    import os, sys, time
    from govcloud.labhosts import Lab
    lab = Lab.start(1, names=["orphan"])
    print(lab.id, lab.state_dir, flush=True)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), 9)
    time.sleep(600)
""")


def _spawn_child(mode: str) -> tuple[subprocess.Popen[str], str, Path]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, mode], stdout=subprocess.PIPE, text=True,
                             cwd=REPO)
    assert child.stdout is not None
    line = child.stdout.readline().split()
    assert len(line) == 2, f"child lab did not start (exit {child.wait()})"
    return child, line[0], Path(line[1])


def test_ctrl_c_tears_the_lab_down(lab_base):
    child, lab_id, state_dir = _spawn_child("sleep")
    assert leftovers(lab_id, state_dir)
    child.send_signal(signal.SIGINT)
    child.wait(timeout=60)
    assert leftovers(lab_id, state_dir) == []
    assert not state_dir.exists()


def test_cleanup_removes_a_killed_owners_lab(lab_base):
    child, lab_id, state_dir = _spawn_child("kill")
    assert child.wait(timeout=30) == -9
    assert leftovers(lab_id, state_dir), "precondition: the dead owner left its lab behind"
    r = subprocess.run([sys.executable, "-m", "govcloud.labhosts", "cleanup"], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"stopped lab {lab_id}" in r.stdout
    assert leftovers(lab_id, state_dir) == []


def test_cli_up_from_stack_outputs_and_down(lab_base, tmp_path):
    """`up --from-stack` boots the stack's hosts with their groups and add-ons; `down` removes all."""
    state = tmp_path / "stacklab"
    cli = [sys.executable, "-m", "govcloud.labhosts", "-q"]
    stack = REPO / "inventory" / "lab-hosts.json"
    up = subprocess.run([*cli, "up", "--from-stack", str(stack), "--state", str(state)],
                        capture_output=True, text=True, cwd=REPO, timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        record = json.loads((state / "lab.json").read_text())
        expected = {h["name"]: h for h in json.loads(stack.read_text())["hosts"]}
        inv = yaml.safe_load((state / "inventory.yml").read_text())["all"]
        assert set(inv["hosts"]) == set(expected)
        for name, h in expected.items():
            assert inv["hosts"][name]["govcloud_addons"] == h["addons"]
            assert name in inv["children"][h["role"]]["hosts"]
        st = subprocess.run([*cli, "status", "--state", str(state)], capture_output=True, text=True, cwd=REPO,
                            timeout=120)
        assert {h["name"]: h["state"] for h in json.loads(st.stdout)["hosts"]} == {n: "running" for n in expected}
    finally:
        down = subprocess.run([*cli, "down", "--state", str(state)], capture_output=True, text=True, cwd=REPO,
                              timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    assert leftovers(record["id"], state) == []
