"""Benchmark the exit runbook's handover package (article 58) on a stack's export.

Exports the stack under the mock runtime (`govcloud plan --export-state`), then, for every system
in its outputs, times building the handover package (resources, security policies, IP plan,
evidence, manifest) and verifying it again. Prints resources in the export, the system's hosts,
the files written and the seconds. Target: ≤ 2 s per system for the prod stack.

    .venv/bin/python benchmarks/exit.py [--stack prod] [--evidence FILE]

The host steps (export, acceptance, erase) are timed by tests/runbook/test_exit_hosts.py
(`--durations`) and benchmarks/transfer.py, benchmarks/erase.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govcloud.hosts.controls import load_control_map  # noqa: E402
from govcloud.hosts.evidence import load_evidence  # noqa: E402
from govcloud.runbook import handover  # noqa: E402
from govcloud.state.export import read_export  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", default="prod")
    ap.add_argument("--evidence", type=Path, default=ROOT / "tests/runbook/data/harden-evidence.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "govcloud.cli", "plan", "--stack", args.stack, "--format", "json",
                            "--outputs", str(d / "outputs.json"), "--export-state", str(d / "state.json")],
                           capture_output=True, text=True, cwd=ROOT)
        if r.returncode not in (0, 2):
            print(r.stderr, file=sys.stderr)
            return 1
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        dep = read_export(d / "state.json")
        read_s = time.perf_counter() - t0
        outputs = json.loads((d / "outputs.json").read_text())
        cmap, evidence = load_control_map(), load_evidence(args.evidence)
        print(f"stack {args.stack}: {len(dep.resources)} resources; export {export_s:.2f} s, read {read_s:.2f} s")
        print(f"{'system':<16} {'hosts':>6} {'groups':>7} {'rules':>6} {'files':>6} {'build s':>8} {'verify s':>9}")
        for system in sorted({h.get("system", "") for h in outputs.get("hosts", [])} - {""}):
            out = d / "handover" / system
            t0 = time.perf_counter()
            m = handover.write_package(out, contract="2025095", stack=args.stack, system=system, dep=dep,
                                       outputs=outputs, cmap=cmap, evidence=evidence)
            build = time.perf_counter() - t0
            t0 = time.perf_counter()
            problems = handover.verify_package(out)
            verify = time.perf_counter() - t0
            assert not problems, problems
            c = m["counts"]
            print(f"{system:<16} {len(m['hosts']):>6} {c['security_groups']:>7} {c['security_group_rules']:>6} "
                  f"{len(m['files']):>6} {build:>8.3f} {verify:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
