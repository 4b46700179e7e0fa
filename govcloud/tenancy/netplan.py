"""IP address plan from the stack's supernet (article 35: 乙方负责管理甲方申请的 IP 地址).

Deterministic: network tiers are placed in host-plan order, each in the lowest
aligned block of its size inside the supernet that overlaps neither a reserved range
nor an earlier subnet; a tier with a fixed ``cidr`` keeps it and is checked instead.
In each subnet the first usable address is the gateway, the next ``reserved_head``
addresses stay free for provider ports, and hosts follow in plan order.
"""

from __future__ import annotations

from dataclasses import dataclass

from netaddr import AddrFormatError, IPAddress, IPNetwork, IPSet

from govcloud.errors import Issue
from govcloud.tenancy.errors import StackError
from govcloud.tenancy.hostplan import HostPlan


@dataclass(frozen=True)
class Where:
    """The file and key a value came from, for error messages."""

    file: str
    key: str


@dataclass(frozen=True)
class SubnetPlan:
    name: str
    cidr: str
    gateway: str
    pool_start: str
    pool_end: str
    addresses: tuple[tuple[str, str], ...]  # (host name, IPv4 address)


@dataclass(frozen=True)
class NetworkPlan:
    supernet: str
    subnets: tuple[SubnetPlan, ...]

    def address_of(self) -> dict[str, str]:
        return {host: ip for s in self.subnets for host, ip in s.addresses}

    def subnet(self, name: str) -> SubnetPlan:
        return next(s for s in self.subnets if s.name == name)


def parse_cidr(text: object, where: Where) -> IPNetwork:
    """An IPv4 network in canonical form (host bits zero), or a ``StackError`` naming ``where``."""
    bad = StackError([Issue(where.file, where.key,
                            f"expected an IPv4 CIDR such as 10.95.0.0/16, got {text!r}")])
    if not isinstance(text, str) or "/" not in text:
        raise bad
    try:
        net = IPNetwork(text, version=4)
    except (AddrFormatError, ValueError, TypeError):
        raise bad from None
    if net.ip != net.network:
        raise StackError([Issue(where.file, where.key,
                                f"expected a network address: {text} has host bits set (did you mean {net.cidr}?)")])
    return net


def plan_network(
    supernet_text: str,
    supernet_at: Where,
    reserved_texts: tuple[str, ...],
    reserved_at: Where,
    hostplan: HostPlan,
) -> NetworkPlan:
    """Place every network tier of ``hostplan`` in the supernet and give each host an address."""
    supernet = parse_cidr(supernet_text, supernet_at)
    reserved = IPSet()
    for i, text in enumerate(reserved_texts):
        where = Where(reserved_at.file, f"{reserved_at.key}[{i}]")
        reserved.add(parse_cidr(text, where))
    taken = IPSet()
    owner: dict[str, str] = {}
    placed: list[tuple[str, IPNetwork]] = []
    file = str(hostplan.source)
    for tier in hostplan.networks:
        key = f"networks[{tier.index}]"
        if tier.cidr is not None:
            where = Where(file, f"{key}.cidr")
            net = parse_cidr(tier.cidr, where)
            if net not in supernet:
                raise StackError([Issue(where.file, where.key, f"{net} is outside the supernet {supernet} "
                                                               f"({supernet_at.file}: {supernet_at.key})")])
            if not IPSet([net]).isdisjoint(reserved):
                raise StackError([Issue(where.file, where.key,
                                        f"{net} overlaps a reserved range ({reserved_at.file}: {reserved_at.key})")])
            clash = [n for n, other in placed if net.first <= other.last and other.first <= net.last]
            if clash:
                raise StackError([Issue(where.file, where.key, f"{net} overlaps subnet '{clash[0]}' "
                                                               f"({owner[clash[0]]}); subnets must not overlap")])
        else:
            assert tier.prefixlen is not None
            if tier.prefixlen < supernet.prefixlen:
                raise StackError([Issue(file, f"{key}.prefixlen",
                                        f"/{tier.prefixlen} is larger than the supernet {supernet}")])
            net = next((c for c in supernet.subnet(tier.prefixlen)
                        if IPSet([c]).isdisjoint(reserved) and IPSet([c]).isdisjoint(taken)), None)
            if net is None:
                raise StackError([Issue(file, f"{key}.prefixlen",
                                        f"no free /{tier.prefixlen} left in {supernet} for '{tier.name}' "
                                        "after reserved ranges and earlier subnets")])
        taken.add(net)
        placed.append((tier.name, net))
        owner[tier.name] = f"{file}: {key}"

    subnets = []
    for tier, (_, net) in zip(hostplan.networks, placed, strict=True):
        hosts = hostplan.hosts_on(tier.name)
        gateway = IPAddress(net.first + 1)
        first_host = net.first + 2 + hostplan.reserved_head
        capacity = (net.last - 1) - first_host + 1  # the broadcast address is not usable
        if len(hosts) > capacity:
            raise StackError([Issue(file, f"networks[{tier.index}]",
                                    f"'{tier.name}' ({net}) holds {max(capacity, 0)} hosts after the gateway and "
                                    f"{hostplan.reserved_head} reserved addresses, but {len(hosts)} hosts use it: "
                                    "expected a larger prefix")])
        subnets.append(SubnetPlan(
            name=tier.name, cidr=str(net.cidr), gateway=str(gateway),
            pool_start=str(IPAddress(net.first + 2)), pool_end=str(IPAddress(first_host - 1)),
            addresses=tuple((h.name, str(IPAddress(first_host + k))) for k, h in enumerate(hosts)),
        ))
    return NetworkPlan(str(supernet.cidr), tuple(subnets))
