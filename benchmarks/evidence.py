"""Benchmark host evidence at fleet scale (issue 17): `harden --verify-only` against `harden --check`.

One lab of the largest size is booted and hardened once (its preparation time is printed); then, per
size N (the first N hosts, by --limit), both commands run as child processes on the same hosts:
the fast path first (its ssh connections cold), then Ansible's check mode. For each: wall seconds and
controller CPU seconds (the child's own and its reaped children's: ansible workers, ssh clients), CPU
per host, and the number of controls on which the two evidence files disagree (expected 0).
Targets: 50 hosts in under 60 s wall, under 0.5 controller CPU-s per host, linear in hosts.

    .venv/bin/python benchmarks/evidence.py [--sizes 10,50] [--skip-check-above N] [--json FILE]

Needs root, like the lab (govcloud.labhosts).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from benchmarks.childproc import ROOT, run_child
from govcloud.hosts.harden import harden
from govcloud.labhosts import Lab, ensure_base

GOVCLOUD = str(ROOT / ".venv" / "bin" / "govcloud")


def disagreements(check: Path, fast: Path) -> list[str]:
    a, b = (json.loads(p.read_text(encoding="utf-8"))["hosts"] for p in (check, fast))
    out = [f"{h} {c}: check {r['result']} / fast {b.get(h, {}).get('controls', {}).get(c, {}).get('result')}"
           for h in sorted(a) for c, r in sorted(a[h]["controls"].items())
           if r["result"] != b.get(h, {}).get("controls", {}).get(c, {}).get("result")]
    return out + [f"{h}: only in the fast evidence" for h in sorted(set(b) - set(a))]


def measure(inventory: Path, names: list[str], out: Path, with_check: bool, console: Console) -> dict:
    limit = ",".join(names)
    n = len(names)
    fast_ev, check_ev = out / f"fast-{n}.json", out / f"check-{n}.json"
    console.print(f"{n} hosts: harden --verify-only ...")
    wall, cpu, rss, code = run_child([GOVCLOUD, "harden", "--inventory", str(inventory), "--verify-only",
                                      "--limit", limit, "--run-dir", str(out / f"fast-{n}"),
                                      "--evidence", str(fast_ev)])
    row = {"hosts": n, "fast_wall_s": round(wall, 1), "fast_cpu_s": round(cpu, 1),
           "fast_cpu_per_host": round(cpu / n, 3), "fast_peak_mib": round(rss), "fast_exit": code}
    if with_check:
        console.print(f"{n} hosts: harden --check ...")
        wall, cpu, rss, code = run_child([GOVCLOUD, "harden", "--inventory", str(inventory), "--check",
                                          "--limit", limit, "--run-dir", str(out / f"check-{n}"),
                                          "--evidence", str(check_ev)])
        diff = disagreements(check_ev, fast_ev)
        row.update(check_wall_s=round(wall, 1), check_cpu_s=round(cpu, 1), check_cpu_per_host=round(cpu / n, 2),
                   check_exit=code, disagreements=len(diff), first_disagreements=diff[:5],
                   controls=sum(len(h["controls"]) for h in json.loads(check_ev.read_text())["hosts"].values()))
    console.print(row)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,50")
    ap.add_argument("--skip-check-above", type=int, default=10_000,
                    help="measure only the fast path for sizes above N (harden --check costs ~10 CPU-s a host)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    console = Console(stderr=True)
    ensure_base()
    names = [f"ev{i:03d}" for i in range(1, sizes[-1] + 1)]
    out = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    t0 = time.monotonic()
    with Lab.start(names=names, groups={"db": names[-1:], "log_collector": names[:1]}) as lab:
        booted = time.monotonic() - t0
        inventory = lab.state_dir / "inventory.yml"
        console.print(f"booted {len(names)} hosts in {booted:.0f} s; hardening them once (apply) ...")
        with open(out / "apply.log", "w", encoding="utf-8") as log:
            first = harden(inventory=inventory, run_dir=out / "apply", console=Console(file=log))
        prepared = time.monotonic() - t0
        failed = {h: c for h, c in first.failed_controls.items() if c}
        console.print(f"prepared in {prepared:.0f} s (boot {booted:.0f} s, harden {prepared - booted:.0f} s); "
                      f"failed controls after apply: {failed or 'none'}")
        # the largest size (the one that must meet the wall target) runs first, on cold connections
        rows = [measure(inventory, names[:n], out, n <= args.skip_check_above, console) for n in reversed(sizes)]
    rows.reverse()
    table = Table(title=f"host evidence: harden --verify-only vs harden --check (prepared in {prepared:.0f} s; "
                        f"targets: 50 hosts < 60 s wall, < 0.5 CPU-s per host)")
    for col in ("hosts", "fast wall s", "fast CPU s", "CPU s/host", "check wall s", "check CPU s", "CPU s/host",
                "CPU ratio", "controls", "disagree"):
        table.add_column(col, justify="right")
    for r in rows:
        has = "check_cpu_s" in r
        table.add_row(str(r["hosts"]), str(r["fast_wall_s"]), str(r["fast_cpu_s"]), str(r["fast_cpu_per_host"]),
                      str(r.get("check_wall_s", "-")), str(r.get("check_cpu_s", "-")),
                      str(r.get("check_cpu_per_host", "-")),
                      f"{r['check_cpu_s'] / max(r['fast_cpu_s'], 0.1):.0f}x" if has else "-",
                      str(r.get("controls", "-")), str(r.get("disagreements", "-")))
    Console().print(table)
    print(json.dumps(rows, indent=2))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
