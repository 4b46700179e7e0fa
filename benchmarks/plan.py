"""Benchmark the offline plan: wall time from process start and peak memory.

For the prod stack (200 hosts) and a generated 2,000-host plan (the prod groups ×10),
beside a baseline: a bare process that registers the same resources (type, name,
inputs, taken from a dump of the plan) with the SDK's mock runtime through the same
pulumi-openstack classes (components through ``ComponentResource``), and nothing else:
no config, contract, host plan, address plan, mapping or report. Our overhead is the
plan's time over the baseline's. Each figure is the median of ``--repeat`` runs.

Targets (issue 3): prod < 3 s wall; overhead <= 20 %; linear growth to 2,000 hosts.

    .venv/bin/python benchmarks/plan.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
PROD_HOSTPLAN = ROOT / "stacks" / "hostplans" / "prod.yaml"

BASELINE = r"""
import importlib, json, re, sys
import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

SECRET_SIG = "4dabf18193072939515e22adb298388d"

class Echo(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs)
    def call(self, args):
        return {}

def snake(key):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()

def value(v):
    if isinstance(v, dict) and SECRET_SIG in v:
        return pulumi.Output.secret(v.get("value"))
    if isinstance(v, list):
        return [{snake(k): x for k, x in i.items()} if isinstance(i, dict) else i for i in v]
    return v  # maps (metadata, specs, quotas) keep their keys

def typed_class(token):
    pkg, mod_cls = token.split(":", 1)
    module, cls = mod_cls.split(":")
    return getattr(importlib.import_module(f"pulumi_{pkg}.{module.split('/')[0]}"), cls)

doc = json.load(open(sys.argv[1], encoding="utf-8"))
pulumi.runtime.set_mocks(Echo(), project="govcloud", stack="baseline", preview=False)
for r in doc["resources"]:
    if r["custom"]:
        typed_class(r["type"])(r["name"], **{snake(k): value(v) for k, v in r["inputs"].items()})
    else:
        pulumi.ComponentResource(r["type"], r["name"], r["inputs"])
_sync_await(wait_for_rpcs())
"""


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds from spawn to exit, peak RSS in MB, CPU seconds (user + system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_of(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    runs = [measure(cmd) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), statistics.median(r[2] for r in runs))


def big_project(directory: Path, factor: int) -> Path:
    """A stack whose host plan is the prod groups × ``factor`` (subnets widened to fit)."""
    yaml = YAML(typ="safe", pure=True)
    plan = yaml.load(PROD_HOSTPLAN.read_text(encoding="utf-8"))
    for g in plan["groups"]:
        g["count"] *= factor
    for n in plan["networks"]:
        n["prefixlen"] = 21
    config = yaml.load((ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8"))["config"]
    config["govcloud:hostPlan"] = str(directory / "hostplan-bench.yaml")
    config["govcloud:contract"] = str(ROOT / "contracts" / "2025095.yaml")
    with (directory / "hostplan-bench.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(plan, fh)
    with (directory / "Pulumi.bench.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump({"config": config}, fh)
    return directory


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        cases = [("prod", 200, ROOT, "prod"), ("generated", 2000, big_project(tmpdir, 10), "bench")]
        for label, hosts, project, stack in cases:
            dump_file = tmpdir / f"{label}.json"
            with dump_file.open("w", encoding="utf-8") as fh:
                subprocess.run([py, "-m", "govcloud.plan.dump", "--stack", stack, "--project-dir", str(project)],
                               cwd=ROOT, stdout=fh, check=True)
            n = len(json.loads(dump_file.read_text(encoding="utf-8"))["resources"])
            plan_cmd = [py, "-m", "govcloud.cli", "plan", "--stack", stack, "--project-dir", str(project),
                        "--format", "json"]
            base_cmd = [py, "-c", BASELINE, str(dump_file)]
            measure(plan_cmd)  # warm the file cache and .pyc files
            plan_wall, plan_mb, plan_cpu = median_of(plan_cmd, args.repeat)
            base_wall, base_mb, base_cpu = median_of(base_cmd, args.repeat)
            rows.append((label, hosts, n, plan_wall, plan_mb, base_wall, base_mb, plan_cpu, base_cpu))

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall time inflates under load; CPU time does not)")
    print(f"{'case':<10} {'hosts':>5} {'resources':>9} {'plan s':>7} {'bare s':>7} {'overhead':>8} "
          f"{'plan cpu':>8} {'bare cpu':>8} {'overhead':>8} {'plan MB':>8} {'bare MB':>8} {'ms/res':>7}")
    for label, hosts, n, pw, pm, bw, bm, pc, bc in rows:
        print(f"{label:<10} {hosts:>5} {n:>9} {pw:>7.2f} {bw:>7.2f} {(pw - bw) / bw:>8.0%} "
              f"{pc:>8.2f} {bc:>8.2f} {(pc - bc) / bc:>8.0%} {pm:>8.0f} {bm:>8.0f} {1000 * pw / n:>7.2f}")
    (_, _, n1, p1, _, b1, _, _, _), (_, _, n2, p2, _, b2, _, _, _) = rows
    marginal_plan = (p2 - p1) / (n2 - n1) * 1000
    marginal_base = (b2 - b1) / (n2 - n1) * 1000
    print(f"marginal cost per added resource: plan {marginal_plan:.2f} ms, bare {marginal_base:.2f} ms "
          f"(x{n2 / n1:.1f} resources -> plan x{p2 / p1:.1f} time, bare x{b2 / b1:.1f})")
    print(f"targets: prod < 3 s wall: {'met' if rows[0][3] < 3 else 'MISSED'}; overhead <= 20% (wall / cpu): "
          + ", ".join(f"{r[0]} {'met' if (r[3] - r[5]) / r[5] <= 0.20 else 'MISSED'}"
                      f" / {'met' if (r[7] - r[8]) / r[8] <= 0.20 else 'MISSED'}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
