"""Benchmark ``govcloud check`` on a large tenancy.

Builds, from the real prod export (``govcloud plan --stack prod --export-state``), a
deployment of exactly N resources with N / 5 hosts (2,000 at 10,000): prod's other resources,
and per host an instance (a renamed copy of a prod instance), its data volume, the attachment, a
port and, on most hosts, a floating address; the same file as declared and as deployed; and harden
evidence for every host (the entry of host lab-app-01 from the recorded real run in
tests/runbook/data/harden-evidence.json, one per host name). Prints, for N = 1,000 … 10,000: the wall time of ``govcloud check --declared …`` from
process start and the CPU seconds it used (user + system: steadier than wall time on a shared
machine), the time of the comparison alone (in process), the peak memory of the command, and the
time to merely ``json.load`` the same files; and the load average before and after.

Targets (issue 6): comparison < 1 s and the whole command < 3 s at 10,000 resources with
2,000 hosts; linear from 1,000 to 10,000.

    .venv/bin/python benchmarks/check.py [--sizes 1000,2500,5000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.childproc import run_child  # noqa: E402

INSTANCE = "openstack:compute/instance:Instance"
VOLUME = "openstack:blockstorage/volume:Volume"


def prod_export(tmp: Path) -> dict[str, Any]:
    path = tmp / "prod-export.json"
    subprocess.run([sys.executable, "-m", "govcloud.cli", "plan", "--stack", "prod", "--export-state", str(path),
                    "--format", "json"], cwd=ROOT, check=True, capture_output=True)
    return json.loads(path.read_text(encoding="utf-8"))


PORT = "openstack:networking/port:Port"
PER_HOST = 5  # an instance, its data volume, the attachment, a port and (on most hosts) a floating address


def _aux(inst: dict[str, Any], name: str, type_: str, suffix: str, props: dict[str, Any]) -> dict[str, Any]:
    kind = type_.rsplit(":", 1)[1]
    urn = inst["urn"].rsplit("::", 1)[0].rsplit("$", 1)[0] + f"${type_}::{name}-{suffix}"
    rid = f"{name}-{suffix}-id"
    return {"urn": urn, "custom": True, "id": rid, "type": type_, "parent": inst["parent"],
            "provider": inst.get("provider", ""), "inputs": dict(props), "outputs": {**props, "id": rid},
            "dependencies": [inst["urn"]] if kind != "Volume" else []}


def grow(doc: dict[str, Any], size: int) -> tuple[dict[str, Any], int]:
    """The prod deployment grown to exactly ``size`` resources with ``size // 5`` hosts (2,000 at 10,000):
    prod's instances replaced by renamed copies, each with a data volume, its attachment and a port; the
    resources left over after those (``size`` minus prod's other resources) are floating addresses on the
    first hosts, as not every host faces the internet."""
    out = copy.deepcopy(doc)
    templates = [r for r in doc["deployment"]["resources"] if r["type"] == INSTANCE]
    res = [r for r in out["deployment"]["resources"] if r["type"] != INSTANCE]
    hosts = max(1, size // PER_HOST)
    fips = size - len(res) - 4 * hosts
    if not 0 <= fips <= hosts:
        raise SystemExit(f"cannot build {size} resources with {hosts} hosts on {len(res)} prod resources")
    for k in range(hosts):
        t = templates[k % len(templates)]
        name = f"host-{k:05d}"
        inst = copy.deepcopy(t)
        old = inst["urn"].rsplit("::", 1)[1]
        inst["urn"] = inst["urn"][: -len(old)] + name
        inst["id"] = f"{name}-id"
        inst["inputs"]["name"] = inst["outputs"]["name"] = name
        inst["outputs"]["id"] = inst["id"]
        res.append(inst)
        res.append(_aux(inst, name, VOLUME, "data", {"name": f"{name}-data", "size": 100, "volumeType": "standard"}))
        res.append(_aux(inst, name, "openstack:compute/volumeAttach:VolumeAttach", "attach",
                        {"instanceId": inst["id"], "volumeId": f"{name}-data-id"}))
        res.append(_aux(inst, name, PORT, "port", {"networkId": "net-app-id", "name": f"{name}-port"}))
        if k < fips:
            res.append(_aux(inst, name, "openstack:networking/floatingIpAssociate:FloatingIpAssociate", "fip",
                            {"floatingIp": "198.51.100.1", "portId": f"{name}-port-id"}))
    out["deployment"]["resources"] = res
    assert len(res) == size, (len(res), size)
    return out, hosts


EVIDENCE_TEMPLATE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"  # a recorded real harden run


def evidence_for(doc: dict[str, Any]) -> dict[str, Any]:
    """Harden evidence for every host of ``doc``: a real host's entry from a recorded run, one per name."""
    ev = json.loads(EVIDENCE_TEMPLATE.read_text(encoding="utf-8"))
    template = ev["hosts"]["lab-app-01"]
    names = [r["inputs"]["name"] for r in doc["deployment"]["resources"] if r["type"] == INSTANCE]
    ev["hosts"] = {n: copy.deepcopy(template) for n in names}
    for n in names:
        ev["hosts"][n]["facts"]["hostname"] = n
    return ev


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare_only(declared: Path, deployed: Path, evidence: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the comparison alone, in process, files already read."""
    from govcloud.checks.engine import run_check
    from govcloud.contract import DEFAULT_CONTRACT, load_contract
    from govcloud.hosts.evidence import load_evidence
    from govcloud.state.export import read_export

    contract = load_contract(DEFAULT_CONTRACT)
    gc.disable()  # as `govcloud check` runs it (govcloud/checks/commands.py)
    try:
        dec, dep, ev = read_export(declared), read_export(deployed), load_evidence(evidence)
        cpu = time.process_time()
        report = run_check("bench", contract.number, {li.id: li for li in contract.line_items}, contract.term.end,
                           dec, dep, ev)
        cpu = time.process_time() - cpu
    finally:
        gc.enable()
        gc.collect()
    return report.seconds, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2500,5000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        base = prod_export(tmp)
        print(f"load average (1, 5, 15 min) before: {_load()} on {os.cpu_count()} CPUs")
        print(f"{'resources':>9} {'hosts':>6} {'MB':>6} {'json.load s':>11} {'compare s':>9} {'cmp CPU s':>9} "
              f"{'command s':>9} {'cmd CPU s':>9} {'peak MB':>8} {'exit':>4}")
        rows = []
        for size in sizes:
            doc, hosts = grow(base, size)
            declared, deployed = tmp / f"declared-{size}.json", tmp / f"deployed-{size}.json"
            evidence = tmp / f"evidence-{size}.json"
            declared.write_text(json.dumps(doc), encoding="utf-8")
            deployed.write_text(json.dumps(doc), encoding="utf-8")
            evidence.write_text(json.dumps(evidence_for(doc)), encoding="utf-8")
            loads, compares, compare_cpus, walls, cpus, peaks = [], [], [], [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                for p in (declared, deployed, evidence):
                    json.loads(p.read_bytes())
                loads.append(time.perf_counter() - t0)
                compare_wall, compare_cpu = compare_only(declared, deployed, evidence)
                compares.append(compare_wall)
                compare_cpus.append(compare_cpu)
                wall, cpu, peak, code = run_child([sys.executable, "-m", "govcloud.cli", "check", "--stack", "prod",
                                                   "--state", str(deployed), "--declared", str(declared),
                                                   "--evidence", str(evidence),
                                                   "--format", "json", "--output", str(tmp / "report.json")])
                walls.append(wall)
                cpus.append(cpu)
                peaks.append(peak)
            mb = (declared.stat().st_size + deployed.stat().st_size + evidence.stat().st_size) / 1e6
            row = (len(doc["deployment"]["resources"]), hosts, mb, statistics.median(loads),
                   statistics.median(compares), statistics.median(compare_cpus), statistics.median(walls),
                   statistics.median(cpus), max(peaks), code)
            rows.append(row)
            print(f"{row[0]:>9} {row[1]:>6} {row[2]:>6.1f} {row[3]:>11.3f} {row[4]:>9.3f} {row[5]:>9.3f} "
                  f"{row[6]:>9.3f} {row[7]:>9.3f} {row[8]:>8.0f} {row[9]:>4}")
        if len(rows) > 1:
            n0, n1 = rows[0][0], rows[-1][0]
            for label, col in (("comparison", 4), ("comparison CPU", 5), ("whole command", 6),
                               ("whole command CPU", 7)):
                ratio = (rows[-1][col] / rows[0][col]) / (n1 / n0)
                print(f"{label} time per resource, {n1} vs {n0}: x{ratio:.2f} of linear")
        print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
