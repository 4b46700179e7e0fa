"""Benchmark `govcloud harden` on local booted Debian 12 hosts (issue 4).

For N = 1, 5, 10 hosts (a fresh lab each): the wall time of the cold harden run
and of the idempotent second run (target: second ≤ 25% of the first), and two
independent judges on the same hosts before and after hardening:
  - lynis hardening index (`lynis audit system --quick`, target ≥ 80 after),
  - OpenSCAP pass/fail counts for the `standard` and `anssi_bp28_minimal` profiles
    of ssg-debian12-ds.xml, evaluated *inside* the host (TEST-HOSTS.md: oscap-chroot
    miscounts). The content ships in the next Debian release's ssg-debian package,
    fetched once with a temporary apt source list used only through -o options.
The judges run on the first host of each lab only (they take ~30 s per host).

    .venv/bin/python benchmarks/harden.py [--sizes 1,5,10] [--no-judges]

Needs root, like the lab (govcloud.labhosts).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from govcloud.hosts.harden import harden
from govcloud.labhosts import Lab, ensure_base
from govcloud.labhosts.paths import cache_dir

PROFILES = ("standard", "anssi_bp28_minimal")
NEXT_SUITE = "trixie"


def ssg_content() -> Path:
    """ssg-debian12-ds.xml from the next release's ssg-debian .deb (cached)."""
    out = cache_dir() / "ssg" / "ssg-debian12-ds.xml"
    if out.exists():
        return out
    work = Path(tempfile.mkdtemp(prefix="ssg-"))
    (work / "lists/partial").mkdir(parents=True)
    (work / "archives/partial").mkdir(parents=True)
    (work / "sources.list").write_text(f"deb http://deb.debian.org/debian {NEXT_SUITE} main\n")
    opts = ["-o", f"Dir::Etc::SourceList={work / 'sources.list'}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={work / 'lists'}", "-o", f"Dir::Cache::Archives={work / 'archives'}",
            "-o", "APT::Get::List-Cleanup=0"]
    subprocess.run(["apt-get", *opts, "update"], check=True, capture_output=True)
    subprocess.run(["apt-get", *opts, "download", "ssg-debian"], check=True, capture_output=True, cwd=work)
    deb = next(work.glob("ssg-debian_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
    found = next((work / "x").rglob("ssg-debian12-ds.xml"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(found.read_bytes())
    return out


def judges(lab: Lab, host: str, content: Path | None) -> dict:
    """lynis index and oscap counts measured inside `host`."""
    lab.ssh(host, "sudo apt-get install -y -q lynis openscap-scanner linux-base >/dev/null 2>&1 || true", timeout=600)
    lab.ssh(host, "sudo lynis audit system --quick --no-colors >/dev/null 2>&1", check=False, timeout=600)
    rep = lab.ssh(host, "sudo grep -h '^hardening_index=' /var/log/lynis-report.dat", check=False).stdout
    m = re.search(r"hardening_index=(\d+)", rep)
    result: dict = {"lynis_index": int(m.group(1)) if m else None}
    if content is not None:
        target = lab.host(host).root / "root/ssg-debian12-ds.xml"
        target.write_bytes(content.read_bytes())
        for profile in PROFILES:
            out = lab.ssh(host, f"sudo oscap xccdf eval --profile {profile} /root/ssg-debian12-ds.xml 2>/dev/null",
                          check=False, timeout=600).stdout
            counts: dict[str, int] = {}
            for value in re.findall(r"^Result\s+(\w+)", out.replace("\r", "\n"), flags=re.M):
                counts[value] = counts.get(value, 0) + 1
            result[f"oscap_{profile}"] = counts
    return result


def bench(n: int, use_judges: bool, content: Path | None, console: Console) -> dict:
    names = [f"b{i}" for i in range(1, n + 1)]
    with Lab.start(names=names, groups={"db": names[-1:], "log_collector": names[:1]}) as lab:
        before = judges(lab, names[0], content) if use_judges else {}
        runs = Path(tempfile.mkdtemp(prefix=f"harden-bench-{n}-"))
        quiet = Console(file=open(runs / "progress.log", "w"))
        t0 = time.monotonic()
        first = harden(inventory=lab.state_dir / "inventory.yml", run_dir=runs / "cold", console=quiet)
        cold = time.monotonic() - t0
        t0 = time.monotonic()
        second = harden(inventory=lab.state_dir / "inventory.yml", run_dir=runs / "second", console=quiet)
        warm = time.monotonic() - t0
        after = judges(lab, names[0], content) if use_judges else {}
    row = {"hosts": n, "cold_s": round(cold, 1), "second_s": round(warm, 1), "second_ratio": round(warm / cold, 2),
           "changed_second": sum(second.changed.values()), "failed_controls": sum(map(len, first.failed_controls.values())),
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
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
