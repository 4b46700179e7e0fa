"""The handover package of a system leaving the cloud (article 58: an inventory of the system's cloud
resources and security policies, given to the court within 10 days of its request).

One directory, every file listed with its SHA-256 in ``manifest.json``:

- ``resources.json``: the system's resources from the stack export (``pulumi stack export``,
  deployment v3): its instances (by ``govcloud:system`` metadata), their volumes, networks,
  subnets and router interfaces; secrets as ``[secret]``;
- ``security-policies.json``: the security groups the instances use with their rules, the
  tenancy's firewall groups/policies/rules, the hardening control map (playbooks/controls.yml)
  and every waiver (map-level and per host from the harden evidence);
- ``ip-plan.json``: the system's networks (CIDR, gateway, allocation pools) and host addresses;
- ``harden-evidence.json``: the harden evidence of the system's hosts only;
- ``index.html``: the same for people.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from govcloud.containment import contained
from govcloud.hosts.controls import ControlMap
from govcloud.hosts.evidence import Evidence
from govcloud.runbook.engine import output
from govcloud.runbook.engine.journal import sha256_file
from govcloud.schemas import check_output
from govcloud.state.export import Deployment, StateResource
from govcloud.state.secrets import json_safe

MANIFEST = "manifest.json"
SCHEMA = "exit-handover.schema.json"
INSTANCE = "openstack:compute/instance:Instance"
FIREWALL_PREFIX = "openstack:firewall/"
SYSTEM_KEY = "govcloud:system"


def _record(r: StateResource, scope: str = "system") -> dict[str, Any]:
    props = json_safe({**dict(r.inputs), **dict(r.outputs)})
    return {"urn": r.urn, "type": r.type, "name": r.name, "id": r.id, "scope": scope, "properties": props}


def _of(dep: Deployment, token: str) -> tuple[StateResource, ...]:
    return dep.of_type(f"openstack:{token}")


@dataclass(frozen=True)
class SystemResources:
    """What the stack export holds for one system."""

    instances: tuple[StateResource, ...]
    volumes: tuple[StateResource, ...]
    networks: tuple[StateResource, ...]
    subnets: tuple[StateResource, ...]
    router_interfaces: tuple[StateResource, ...]
    security_groups: tuple[StateResource, ...]
    security_group_rules: tuple[StateResource, ...]
    firewall: tuple[StateResource, ...]

    @property
    def hosts(self) -> list[str]:
        return [str(r.prop("name") or r.name) for r in self.instances]


def system_resources(dep: Deployment, system: str) -> SystemResources:
    """The instances whose metadata names ``system`` and what they use (networks, groups, volumes)."""
    inst = tuple(r for r in dep.of_type(INSTANCE)
                 if isinstance(r.prop("metadata"), dict) and r.prop("metadata").get(SYSTEM_KEY) == system)
    inst_ids = {r.id for r in inst} | {r.prop("id") for r in inst}
    net_names = {n.get("name") for r in inst for n in (r.prop("networks") or []) if isinstance(n, dict)}
    sg_names = {str(g) for r in inst for g in (r.prop("securityGroups") or [])}
    networks = tuple(r for r in _of(dep, "networking/network:Network") if r.prop("name") in net_names)
    net_ids = {r.id for r in networks}
    subnets = tuple(r for r in _of(dep, "networking/subnet:Subnet")
                    if r.prop("name") in net_names or r.prop("networkId") in net_ids)
    subnet_ids = {r.id for r in subnets}
    rifs = tuple(r for r in _of(dep, "networking/routerInterface:RouterInterface") if r.prop("subnetId") in subnet_ids)
    groups = tuple(r for r in _of(dep, "networking/secGroup:SecGroup") if r.prop("name") in sg_names)
    group_ids = {r.id for r in groups}
    rules = tuple(r for r in _of(dep, "networking/secGroupRule:SecGroupRule") if r.prop("securityGroupId") in group_ids)
    attach = [r for r in dep.resources if r.type.endswith("VolumeAttach") and r.prop("instanceId") in inst_ids]
    vol_ids = {r.prop("volumeId") for r in attach}
    volumes = tuple(r for r in dep.resources
                    if r.type.startswith("openstack:blockstorage/volume") and r.type.endswith("Volume")
                    and r.id in vol_ids) + tuple(attach)
    firewall = tuple(r for r in dep.resources if r.type.startswith(FIREWALL_PREFIX))
    parts = (inst, volumes, networks, subnets, rifs, groups, rules, firewall)
    # registration order under a runtime is not stable: the package lists by logical name
    return SystemResources(*(tuple(sorted(p, key=lambda r: (r.name, r.urn))) for p in parts))


def ip_plan(outputs: dict[str, Any], res: SystemResources, system: str) -> dict[str, Any]:
    """The system's part of the IP plan: its hosts' addresses and the networks they sit on."""
    hosts = [h for h in outputs.get("hosts", []) if h.get("system") == system]
    used = {h.get("network") for h in hosts}
    nets = {name: net for name, net in (outputs.get("networks") or {}).items() if name in used}
    pools = {str(s.prop("cidr")): s.prop("allocationPools") or [] for s in res.subnets}
    return {
        "system": system,
        "networks": [{"name": n, "cidr": v.get("cidr"), "gateway": v.get("gateway"),
                      "allocation_pools": pools.get(str(v.get("cidr")), [])} for n, v in sorted(nets.items())],
        "hosts": [{"name": h["name"], "address": h.get("address"), "network": h.get("network"), "role": h.get("role")}
                  for h in hosts],
    }


def security_policies(res: SystemResources, cmap: ControlMap, evidence: Evidence, hosts: list[str]) -> dict[str, Any]:
    """Security groups and rules, firewall, the control map and every waiver (map-level and per host)."""
    waivers = [{"scope": "control map", "host": None, "control": c.id, "title": c.title, "reason": c.reason}
               for c in cmap.controls if c.status == "waived"]
    info = evidence.controls  # what each control is, once per evidence file (evidence format 2)
    for host in hosts:
        for cid, c in sorted(evidence.hosts.get(host, {}).get("controls", {}).items()):
            if c.get("result") == "waived":
                waivers.append({"scope": "host", "host": host, "control": cid,
                                "title": info.get(cid, {}).get("title", ""), "reason": c.get("reason", "")})
    return {
        "security_groups": [_record(r) for r in res.security_groups],
        "security_group_rules": [_record(r) for r in res.security_group_rules],
        "firewall": [_record(r, "tenancy") for r in res.firewall],
        "control_map": {"file": str(cmap.path), "sha256": sha256_file(cmap.path),
                        "controls": [{"id": c.id, "clause_zh": c.clause_zh, "title": c.title, "status": c.status,
                                      "line_item": c.line_item, "reason": c.reason} for c in cmap.controls]},
        "waivers": waivers,
    }


def _number(o: Any) -> Any:
    """JSON input is read with Decimal numbers (govcloud.jsondoc): written back as numbers."""
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def write_package(out: Path, *, contract: str, stack: str, system: str, dep: Deployment, outputs: dict[str, Any],
                  cmap: ControlMap, evidence: Evidence) -> dict[str, Any]:
    """Write the package under ``out`` and its manifest; returns the manifest document."""
    res = system_resources(dep, system)
    hosts = res.hosts
    files: list[tuple[str, str, Any]] = [
        ("resources.json", "the system's cloud resources from the stack export",
         {"system": system, "stack": stack, "export": {"file": str(dep.source), "sha256": sha256_file(dep.source),
                                                       "stack": dep.stack, "time": dep.time},
          "instances": [_record(r) for r in res.instances], "volumes": [_record(r) for r in res.volumes],
          "networks": [_record(r) for r in res.networks], "subnets": [_record(r) for r in res.subnets],
          "router_interfaces": [_record(r) for r in res.router_interfaces]}),
        ("security-policies.json", "security groups and rules, firewall, control map and waivers",
         security_policies(res, cmap, evidence, hosts)),
        ("ip-plan.json", "the system's networks and addresses", ip_plan(outputs, res, system)),
        ("harden-evidence.json", "harden evidence of the system's hosts",
         {**evidence.doc, "hosts": {h: v for h, v in evidence.hosts.items() if h in hosts}}),
    ]
    for name, _, doc in files:
        output.write_json(out / name, doc, default=_number)
    output.write_text(out / "index.html", _html(system, files))
    listed = [(name, what) for name, what, _ in files] + [("index.html", "the package for people")]
    manifest = {
        "kind": "govcloud/exit-handover", "version": 1, "contract": contract, "stack": stack, "system": system,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "clause": "article-58",
        "hosts": hosts, "evidence_hosts": sorted(h for h in evidence.hosts if h in hosts),
        "counts": {"instances": len(res.instances), "security_groups": len(res.security_groups),
                   "security_group_rules": len(res.security_group_rules), "firewall": len(res.firewall),
                   "networks": len(res.networks), "waivers": len(files[1][2]["waivers"])},
        "files": [{"path": n, "what": w, "sha256": sha256_file(out / n), "bytes": (out / n).stat().st_size}
                  for n, w in listed],
    }
    check_output(manifest, SCHEMA)
    output.write_json(out / MANIFEST, manifest, default=_number)
    return manifest


def verify_package(out: Path) -> list[str]:
    """Each file of the manifest whose digest or size differs, or that is missing, as a sentence."""
    from govcloud.jsondoc import load_json

    doc = load_json(out / MANIFEST)
    check_output(doc, SCHEMA)
    problems = []
    for i, f in enumerate(doc["files"]):
        p = contained(out, f["path"], file=out / MANIFEST, field=f"files[{i}].path")
        if not p.is_file():
            problems.append(f"{f['path']}: missing")
        elif sha256_file(p) != f["sha256"]:
            problems.append(f"{f['path']}: SHA-256 differs from the manifest")
    if not doc["hosts"]:
        problems.append(f"no instance of system {doc['system']} in the stack export")
    return problems


def _html(system: str, files: list[tuple[str, str, Any]]) -> str:
    e = html.escape
    res, pol, ipp = files[0][2], files[1][2], files[2][2]
    inst = "".join(f"<tr><td>{e(str(r['name']))}</td><td>{e(str(r['properties'].get('flavorName', '')))}</td>"
                   f"<td>{e(', '.join(map(str, r['properties'].get('securityGroups') or [])))}</td></tr>"
                   for r in res["instances"])
    sgs = "".join(f"<tr><td>{e(str(r['properties'].get('name', r['name'])))}</td><td>{e(str(r['properties'].get('description', '')))}</td></tr>"
                  for r in pol["security_groups"])
    rules = "".join(f"<tr><td>{e(str(r['name']))}</td><td>{e(str(r['properties'].get('direction', '')))}</td>"
                    f"<td>{e(str(r['properties'].get('remoteIpPrefix', '')))}</td>"
                    f"<td>{e(str(r['properties'].get('protocol', 'any')))}</td></tr>" for r in pol["security_group_rules"])
    nets = "".join(f"<tr><td>{e(n['name'])}</td><td>{e(str(n['cidr']))}</td><td>{e(str(n['gateway']))}</td></tr>"
                   for n in ipp["networks"])
    addrs = "".join(f"<tr><td>{e(h['name'])}</td><td>{e(str(h['address']))}</td><td>{e(str(h['network']))}</td></tr>"
                    for h in ipp["hosts"])
    waiv = "".join(f"<tr><td>{e(w['scope'])}</td><td>{e(str(w['host'] or ''))}</td><td>{e(w['control'])}</td>"
                   f"<td>{e(w['reason'])}</td></tr>" for w in pol["waivers"])
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>handover {e(system)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;margin-bottom:1em}}
th,td{{border:1px solid #999;padding:3px 6px;text-align:left}}</style></head><body>
<h1>移交清单 Handover package: {e(system)}</h1>
<p>Article 58: the system's cloud resources and security policies. Files and SHA-256: manifest.json.</p>
<h2>Instances</h2><table><tr><th>name</th><th>flavor</th><th>security groups</th></tr>{inst}</table>
<h2>Security groups</h2><table><tr><th>name</th><th>description</th></tr>{sgs}</table>
<h2>Security group rules</h2><table><tr><th>rule</th><th>direction</th><th>remote</th><th>protocol</th></tr>{rules}</table>
<p>Firewall resources (tenancy-wide): {len(pol['firewall'])}. Control map: {len(pol['control_map']['controls'])} controls.</p>
<h2>IP plan</h2><table><tr><th>network</th><th>CIDR</th><th>gateway</th></tr>{nets}</table>
<table><tr><th>host</th><th>address</th><th>network</th></tr>{addrs}</table>
<h2>Waivers</h2><table><tr><th>scope</th><th>host</th><th>control</th><th>reason</th></tr>{waiv}</table>
</body></html>
"""
