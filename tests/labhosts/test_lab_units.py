"""Pure parts of govcloud.labhosts (no root, no hosts)."""

from __future__ import annotations

import ipaddress

import pytest

from govcloud.labhosts import LabError, network
from govcloud.labhosts.base import BaseSpec
from govcloud.labhosts.lab import Lab, _check_names
from govcloud.labhosts.paths import read_package_list
from govcloud.labhosts.state import HostRecord, LabRecord


def test_package_list_ignores_comments_and_blanks(tmp_path):
    f = tmp_path / "pkgs.txt"
    f.write_text("# header\nclamav-daemon  # antivirus\n\n  aide\nrsyslog rsyslog-gnutls\n")
    assert read_package_list(f) == ["clamav-daemon", "aide", "rsyslog", "rsyslog-gnutls"]
    assert read_package_list(tmp_path / "absent.txt") == []


def test_cache_key_follows_the_package_list(tmp_path):
    f = tmp_path / "pkgs.txt"
    f.write_text("aide\n")
    k1 = BaseSpec(packages_file=f).key()
    assert BaseSpec(packages_file=f).key() == k1
    f.write_text("aide\nlynis\n")
    assert BaseSpec(packages_file=f).key() != k1
    assert BaseSpec(packages_file=f, include=("python3",)).key() != BaseSpec(packages_file=f).key()


def test_subnet_avoids_taken_networks():
    taken = [n for n in network.POOL.subnets(new_prefix=24)][:-1]  # all but the last /24
    net = network.pick_subnet(taken)
    assert net == list(network.POOL.subnets(new_prefix=24))[-1]
    assert net.subnet_of(network.POOL) and net.is_private
    with pytest.raises(LabError, match="no free /24"):
        network.pick_subnet([network.POOL])


def test_interface_names_fit_the_kernel_limit():
    assert len(network.veth_name("abcdef", 200)) <= network.IFNAME_MAX
    assert len(network.bridge_name("abcdef")) <= network.IFNAME_MAX
    with pytest.raises(LabError, match="longer than 15"):
        network.veth_name("abcdef0123", 200)


@pytest.mark.parametrize("bad", ["Web1", "a/b", "-x", "x-", "a" * 40, "db_1", ""])
def test_host_names_must_be_hostnames(bad):
    with pytest.raises(LabError, match="host name"):
        _check_names([bad])


def test_duplicate_names_rejected():
    with pytest.raises(LabError, match="duplicate"):
        _check_names(["a", "b", "a"])


def test_inventory_shape(tmp_path):
    rec = LabRecord(id="abc123", state_dir=str(tmp_path), base_rootfs="/x", subnet="10.213.9.0/24",
                    bridge="gvabc123br", controller_address="10.213.9.1", owner_pid=1, persistent=True,
                    groups={"db": ["db1"]},
                    hosts=[HostRecord("web1", 1, "10.213.9.11", "gv-abc123-web1", "gvabc123v1", str(tmp_path)),
                           HostRecord("db1", 2, "10.213.9.12", "gv-abc123-db1", "gvabc123v2", str(tmp_path))])
    inv = Lab(rec).inventory()["all"]
    assert inv["hosts"] == {"web1": {"ansible_host": "10.213.9.11"}, "db1": {"ansible_host": "10.213.9.12"}}
    assert inv["children"] == {"db": {"hosts": {"db1": {}}}, "lab": {"hosts": {"web1": {}, "db1": {}}}}
    v = inv["vars"]
    assert v["ansible_user"] == "govadmin" and v["ansible_become"] is True
    assert v["ansible_python_interpreter"] == "/usr/bin/python3"
    assert "StrictHostKeyChecking=no" in v["ansible_ssh_common_args"]
    assert v["ansible_ssh_private_key_file"] == str(tmp_path / "id_ed25519")
    assert ipaddress.ip_address(inv["hosts"]["db1"]["ansible_host"]) in ipaddress.ip_network(rec.subnet)


def test_known_hosts_lists_each_hosts_own_keys_under_name_and_address(tmp_path):
    """The file the runbook's host-to-host hop pins keys with (StrictHostKeyChecking=yes)."""
    import subprocess

    from govcloud.labhosts import keys

    roots = []
    for name in ("alpha", "beta"):
        root = tmp_path / name
        (root / "etc/ssh").mkdir(parents=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "etc/ssh/ssh_host_ed25519_key")],
                       check=True)
        roots.append(root)
    text = keys.known_hosts([("alpha", "10.9.0.11", roots[0]), ("beta", "10.9.0.12", roots[1])])
    lines = text.splitlines()
    assert len(lines) == 2
    for line, root, who in zip(lines, roots, ("alpha,10.9.0.11", "beta,10.9.0.12")):
        assert line == f"{who} " + " ".join((root / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()[:2])
    found = subprocess.run(["ssh-keygen", "-F", "10.9.0.12", "-f", "/dev/stdin"], input=text, capture_output=True,
                           text=True).stdout
    assert "beta,10.9.0.12 ssh-ed25519" in found and "alpha" not in found


def test_inotify_limit_is_raised_never_lowered(tmp_path):
    from govcloud.labhosts.lab import INOTIFY_INSTANCES, _raise_inotify_limit

    low, high = tmp_path / "low", tmp_path / "high"
    low.write_text("128\n")
    high.write_text("8192\n")
    _raise_inotify_limit(low)
    _raise_inotify_limit(high)
    assert int(low.read_text()) == INOTIFY_INSTANCES
    assert high.read_text() == "8192\n"
