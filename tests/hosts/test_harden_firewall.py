"""8.1.4.4b/c on the hardened lab: the lab containers hold CAP_NET_ADMIN in their own network namespace
(govcloud/labhosts/nspawn.py), so the nftables default-drop ruleset is really validated, loaded and
enforced instead of waived. Runs before test_harden_site.py breaks a control on lab-app-01."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.hosts, pytest.mark.slow]
PORT = 8099  # opened by no firewall rule


def test_firewall_controls_pass_not_waived(hardened):
    for name, h in hardened.first.evidence["hosts"].items():
        for cid in ("8.1.4.4b", "8.1.4.4c"):
            assert h["controls"][cid]["result"] == "pass", (name, cid, h["controls"][cid])
        chain = hardened.lab.ssh(name, "sudo nft list chain inet govcloud input").stdout
        assert "policy drop;" in chain and "tcp dport 22 ip saddr" in chain, (name, chain)


def test_a_port_no_rule_opens_is_dropped_and_ssh_is_not(hardened):
    lab = hardened.lab
    target = lab.host("lab-app-02")
    server = f"nohup timeout 60 python3 -m http.server {PORT} --bind 0.0.0.0 >/dev/null 2>&1 & sleep 2"
    lab.ssh(target, server)
    probe = "timeout 4 bash -c '</dev/tcp/{addr}/{port}' && echo open || echo closed"
    # the listener is up (reachable through lo, which the ruleset accepts) ...
    assert lab.ssh(target, probe.format(addr="127.0.0.1", port=PORT)).stdout.strip() == "open"
    # ... but not from a neighbour on the same bridge, which still reaches SSH
    assert lab.ssh("lab-app-01", probe.format(addr=target.address, port=PORT)).stdout.strip() == "closed"
    assert lab.ssh("lab-app-01", probe.format(addr=target.address, port=22)).stdout.strip() == "open"
