"""Private networking for a lab: one bridge, one netns + veth per host, no route out.

Names carry the lab id so two labs coexist; Linux caps interface names at 15 chars.
"""

from __future__ import annotations

import ipaddress
import json
import random
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError
from .paths import PREFIX
from .run import run

#: Every lab subnet is a /24 inside this private range.
POOL = ipaddress.ip_network("10.213.0.0/16")
IFNAME_MAX = 15


def bridge_name(lab_id: str) -> str:
    return _ifname(f"{PREFIX}{lab_id}br")


def veth_name(lab_id: str, index: int) -> str:
    return _ifname(f"{PREFIX}{lab_id}v{index}")


def netns_name(lab_id: str, host: str) -> str:
    return f"{PREFIX}-{lab_id}-{host}"


def _ifname(name: str) -> str:
    if len(name) > IFNAME_MAX:
        raise LabError(f"interface name {name!r} is longer than {IFNAME_MAX} characters")
    return name


def used_networks() -> list[ipaddress.IPv4Network]:
    """IPv4 networks already routed on this machine (any table)."""
    out = run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout or "[]"
    nets = []
    for route in json.loads(out):
        dst = route.get("dst", "")
        if dst and dst != "default":
            try:
                nets.append(ipaddress.ip_network(dst, strict=False))
            except ValueError:
                continue
    return nets


def pick_subnet(taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    """A free /24 in POOL that overlaps no route and no other lab's subnet."""
    candidates = list(POOL.subnets(new_prefix=24))
    random.shuffle(candidates)
    busy = used_networks() + taken
    for net in candidates:
        if not any(net.overlaps(other) for other in busy):
            return net
    raise LabError(f"no free /24 left in {POOL} for a new lab")


@dataclass(frozen=True)
class HostLink:
    """The network identity of one host."""

    netns: str
    veth: str
    address: str
    prefixlen: int


def create_bridge(name: str, address: str, prefixlen: int) -> None:
    """The lab's bridge; the controller reaches hosts through `address` on it."""
    run(["ip", "link", "add", name, "type", "bridge"])
    run(["ip", "addr", "add", f"{address}/{prefixlen}", "dev", name])
    run(["ip", "link", "set", name, "up"])


def create_host_link(bridge: str, link: HostLink) -> None:
    """netns + veth (peer `eth0` inside), enslaved to the bridge; no default route."""
    run(["ip", "netns", "add", link.netns])
    run(["ip", "link", "add", link.veth, "type", "veth", "peer", "name", "eth0", "netns", link.netns])
    run(["ip", "link", "set", link.veth, "master", bridge, "up"])
    run(["ip", "-n", link.netns, "addr", "add", f"{link.address}/{link.prefixlen}", "dev", "eth0"])
    run(["ip", "-n", link.netns, "link", "set", "lo", "up"])
    run(["ip", "-n", link.netns, "link", "set", "eth0", "up"])


def delete_link(name: str) -> None:
    if link_exists(name):
        run(["ip", "link", "del", name], check=False)


def delete_netns(name: str) -> None:
    if name in list_netns():
        run(["ip", "netns", "del", name], check=False)


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def list_links(prefix: str = PREFIX) -> list[str]:
    return sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name.startswith(prefix))


def list_netns(prefix: str = "") -> list[str]:
    out = run(["ip", "netns", "list"], check=False).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n.startswith(prefix)]


def netns_routes(netns: str) -> list[dict]:
    """The IPv4 and IPv6 routes inside a host's namespace (to prove there is no way out)."""
    routes = []
    for family in ("-4", "-6"):
        out = run(["ip", "-n", netns, "-j", family, "route", "show", "table", "all"]).stdout
        routes.extend(json.loads(out or "[]"))
    return routes
