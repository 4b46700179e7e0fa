"""Benchmark `govcloud harden` on local booted Debian 12 hosts (issue 4).

For N = 1, 5, 10 hosts (a fresh lab each): the wall time of the cold harden run
and of the idempotent second run (target: second ≤ 25% of the first), with the
machine's load average around them, the CPU seconds each run cost (controller
processes plus the hosts' cgroups: a figure other users of a shared machine do
not inflate the way they inflate wall time), the slowest tasks of the second
run, and two independent judges on the same hosts before and after hardening:
  - lynis hardening index (`lynis audit system --quick`, target ≥ 80 after),
  - OpenSCAP pass/fail counts for the `standard` and `anssi_bp28_minimal` profiles
    of ssg-debian12-ds.xml, evaluated *inside* the host (TEST-HOSTS.md: oscap-chroot
    miscounts), the failing rules split into waived (playbooks/scan-waivers.yml) and
    unwaived (target 0). The content ships in the next Debian release's ssg-debian package,
    fetched once with a temporary apt source list used only through -o options.
The judges run on the first host of each lab only (they take ~30 s per host).

    .venv/bin/python benchmarks/harden.py [--sizes 1,5,10] [--no-judges]

Needs root, like the lab (govcloud.labhosts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from govcloud.hosts import judges as judge_lib
from govcloud.hosts.harden import harden
from govcloud.hosts.scan_waivers import load_scan_waivers
from govcloud.labhosts import Lab, ensure_base
from govcloud.labhosts.cgroups import host_cgroups
from govcloud.labhosts.paths import cache_dir

def ssg_content() -> Path:
    """ssg-debian12-ds.xml from the next release's ssg-debian (govcloud.hosts.judges), cached beside the bases."""
    return judge_lib.ssg_content(cache_dir() / "ssg")


def judges(lab: Lab, host: str, content: Path | None) -> dict:
    """Both judges inside `host`: the lynis hardening index, and per OpenSCAP profile the pass / fail
    counts with the failing rules split into waived (playbooks/scan-waivers.yml) and unwaived (target 0)."""
    if content is not None:
        (lab.host(host).root / judge_lib.CONTENT_IN_HOST.lstrip("/")).write_bytes(content.read_bytes())
    verdict = judge_lib.judge_host(host, lambda cmd: lab.ssh(host, cmd, check=False, timeout=900).stdout,
                                   load_scan_waivers(), content_in_host=judge_lib.CONTENT_IN_HOST if content else None)
    line = [f"judges {host} ({verdict.host_kind}): lynis {verdict.lynis_index}"]
    for profile, v in verdict.profiles.items():
        c = v.summary()
        line.append(f"{profile} pass {c['pass']} fail {c['fail']} waived {c['waived']} unwaived {c['unwaived']}"
                    + (f" ({', '.join(v.unwaived)})" if v.unwaived else ""))
    keep = Path(tempfile.mkdtemp(prefix=f"harden-judges-{host}-"))
    for src in ("var/tmp/govcloud-judge-lynis.dat", "var/log/lynis.log"):  # why an index is what it is
        f = lab.host(host).root / src
        if f.exists():
            (keep / f.name).write_bytes(f.read_bytes())
    print("; ".join(line) + f"; lynis report and log kept in {keep}", file=sys.stderr)
    return verdict.as_dict()


def task_times(events_file: Path, top: int = 8) -> list[list]:
    """The `top` slowest tasks of a run: [seconds, task name], from one task start to the next
    (the linear strategy starts a task once for all hosts, so this is its wall time)."""
    starts: list[tuple[datetime, str]] = []
    end = None
    for line in events_file.read_text().splitlines():
        ev = json.loads(line)
        if not ev.get("created"):
            continue
        at = datetime.fromisoformat(ev["created"])
        end = at
        if ev.get("event") in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            starts.append((at, str((ev.get("event_data") or {}).get("task") or "?")))
    spans: dict[str, float] = {}
    for (at, name), (nxt, _) in zip(starts, [*starts[1:], (end, "")]):
        spans[name] = spans.get(name, 0.0) + (nxt - at).total_seconds()
    return [[round(s, 1), name] for name, s in sorted(spans.items(), key=lambda kv: -kv[1])[:top]]


def cpu_seconds(lab: Lab) -> float:
    """CPU used so far by our finished children (ansible-playbook, its ssh clients) and by
    every process of the lab's hosts (their cgroups' cpu.stat): unlike wall time, it does
    not grow with what other users run on the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    for h in lab.record.hosts:
        for cg in host_cgroups(lab.id, h.name):
            stat = cg / "cpu.stat"
            if stat.exists():
                total += int(stat.read_text().split("usage_usec", 1)[1].split()[0]) / 1e6
                break
    return total


def bench(n: int, use_judges: bool, content: Path | None, console: Console) -> dict:
    names = [f"b{i}" for i in range(1, n + 1)]
    with Lab.start(names=names, groups={"db": names[-1:], "log_collector": names[:1]}) as lab:
        before = judges(lab, names[0], content) if use_judges else {}
        runs = Path(tempfile.mkdtemp(prefix=f"harden-bench-{n}-"))
        quiet = Console(file=open(runs / "progress.log", "w"))
        load = [round(os.getloadavg()[0], 1)]
        t0, c0 = time.monotonic(), cpu_seconds(lab)
        first = harden(inventory=lab.state_dir / "inventory.yml", run_dir=runs / "cold", console=quiet)
        cold, cold_cpu = time.monotonic() - t0, cpu_seconds(lab) - c0
        load.append(round(os.getloadavg()[0], 1))
        t0, c0 = time.monotonic(), cpu_seconds(lab)
        second = harden(inventory=lab.state_dir / "inventory.yml", run_dir=runs / "second", console=quiet)
        warm, warm_cpu = time.monotonic() - t0, cpu_seconds(lab) - c0
        load.append(round(os.getloadavg()[0], 1))
        after = judges(lab, names[0], content) if use_judges else {}
    # load_1min: the machine's load average before the cold run, between the runs and after
    # the second (a shared machine: a ratio taken under a changing load is noisy).
    row = {"hosts": n, "cold_s": round(cold, 1), "second_s": round(warm, 1), "second_ratio": round(warm / cold, 2),
           "cold_cpu_s": round(cold_cpu, 1), "second_cpu_s": round(warm_cpu, 1),
           "second_cpu_ratio": round(warm_cpu / cold_cpu, 2) if cold_cpu else None,
           "load_1min": load, "changed_second": sum(second.changed.values()),
           "failed_controls": sum(map(len, first.failed_controls.values())),
           "top_tasks_second": task_times(second.run_dir / "events.jsonl"), "runs": str(runs),
           "before": before, "after": after}
    if row["failed_controls"]:
        row["invalid"] = f"the cold run failed {row['failed_controls']} control(s): timings and judges mean nothing; see {runs}"
        console.print(f"[red]{row['invalid']}[/red]")
    console.print(row)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,5,10")
    ap.add_argument("--no-judges", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    console = Console(stderr=True)
    ensure_base()
    content = None
    if not args.no_judges:
        try:
            content = ssg_content()
        except (subprocess.CalledProcessError, StopIteration) as exc:
            console.print(f"OpenSCAP content unavailable ({exc}); lynis only")
    rows = [bench(int(n), not args.no_judges, content, console) for n in args.sizes.split(",")]
    print(json.dumps(rows, indent=2))
    table = Table(title="govcloud harden: cold vs idempotent second run (target: second <= 25% of cold)")
    for col in ("hosts", "cold s", "second s", "ratio", "target", "CPU s cold / second", "CPU ratio",
                "changed (2nd)", "load 1-min before/between/after"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["hosts"]), str(r["cold_s"]), str(r["second_s"]), f"{r['second_ratio']:.0%}",
                      "met" if r["second_ratio"] <= 0.25 else "NOT met",
                      f"{r['cold_cpu_s']} / {r['second_cpu_s']}",
                      f"{r['second_cpu_ratio']:.0%}" if r["second_cpu_ratio"] is not None else "-",
                      str(r["changed_second"]), " / ".join(map(str, r["load_1min"])))
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
