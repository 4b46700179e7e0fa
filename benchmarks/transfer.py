"""Benchmark the verified transfer (issue 7) between two booted lab hosts.

For a data set of SIZE MiB written as many small files and as a few large ones, prints:
  - the verified transfer: source manifest + rsync host to host with the target hashing files as
    they land + the target's final pass (every file verified, see govcloud/runbook/remote_manifest.py),
  - plain `rsync -a` of the same data between the same hosts (same SSH hop, no manifest),
  - `cp -a` of the same data on the source's own disk (the bound on this machine),
  - a run killed when half the bytes have arrived, then resumed: bytes re-sent of what had arrived.
Targets: verification adds ≤ 50% to plain rsync's time; a resumed run re-sends ≤ 10% of what
had already arrived.

Each timing is repeated (--repeat, plain and verified alternating which goes first) and shown as
min and median wall time, with the CPU seconds the two hosts' cgroups and this process's children
used: on a machine shared by other jobs the wall time follows their load, the CPU time much less.

    .venv/bin/python benchmarks/transfer.py [--mib 1024] [--small 10000] [--large 10] [--repeat 3] [--json OUT]

Needs root, like the lab (govcloud.labhosts). Writes up to 2 × SIZE on the lab's overlay (under
the lab state dir) and deletes it after each data set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govcloud.labhosts import Lab  # noqa: E402
from govcloud.labhosts.cgroups import host_cgroups  # noqa: E402
from govcloud.runbook.remote.transfer import (  # noqa: E402
    Endpoint,
    Manifest,
    compare,
    inventory_endpoints,
    make_manifest,
    rsync,
    verified_transfer,
)
from tests.runbook.dataset import GENERATE, generate_command  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RUNBOOK = REPO / "playbooks/runbooks/file-transfer.yaml"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Meter:
    """Wall time and CPU seconds of the lab hosts' cgroups plus this process's waited-for children."""

    def __init__(self, lab: Lab):
        self.stats = [c / "cpu.stat" for h in lab.hosts for c in host_cgroups(lab.id, h.name)
                      if (c / "cpu.stat").exists()]

    def cpu(self) -> float:
        usec = 0
        for f in self.stats:
            for line in f.read_text().splitlines():
                if line.startswith("usage_usec "):
                    usec += int(line.split()[1])
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usec / 1e6 + r.ru_utime + r.ru_stime

    def __call__(self, fn: Callable[[], Any]) -> tuple[float, float, Any]:
        c0, t0 = self.cpu(), time.monotonic()
        out = fn()
        return time.monotonic() - t0, self.cpu() - c0, out


def arrived(target: Endpoint, root: str) -> int:
    out = target.run(f"sudo -n find {root} -type f -printf '%s\\n' 2>/dev/null || true").stdout
    return sum(int(x) for x in out.split())


def summary(runs: list[tuple[float, float]]) -> dict[str, float]:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return {"min_s": round(min(walls), 2), "median_s": round(statistics.median(walls), 2),
            "cpu_s": round(statistics.median(cpus), 2), "runs": [[round(w, 2), round(c, 2)] for w, c in runs]}


def timings(lab: Lab, src: Endpoint, dst: Endpoint, label: str, root: str, work: Path,
            repeat: int) -> tuple[dict[str, Any], Manifest]:
    meter = Meter(lab)
    m = work / f"{label}-source.json"
    runs: dict[str, list[tuple[float, float]]] = {"verified": [], "plain": [], "cp": [], "source_manifest": []}
    hashing: dict[str, Any] = {}
    manifest = None

    def verified() -> None:
        nonlocal manifest, hashing
        w1, c1, manifest = meter(lambda: make_manifest(src, root))
        manifest.write(m)
        w2, c2, rep = meter(lambda: verified_transfer(src, dst, root, "/srv/bench-v", source_manifest=m,
                                                      target_manifest=work / f"{label}-target.json"))
        assert rep.verified, rep.remaining
        hashing = rep.hashing
        runs["source_manifest"].append((w1, c1))
        runs["verified"].append((w1 + w2, c1 + c2))

    def plain() -> None:
        w, c, _ = meter(lambda: rsync(src, dst, root, "/srv/bench-p"))
        runs["plain"].append((w, c))

    for i in range(repeat):
        for fn in ((plain, verified) if i % 2 == 0 else (verified, plain)):
            dst.run("sudo -n rm -rf /srv/bench-v /srv/bench-p && sync", timeout=1800)
            fn()
        src.run("sudo -n rm -rf /srv/bench-cp && sync", timeout=1800)
        w, c, _ = meter(lambda: src.run(f"sudo -n cp -a {root} /srv/bench-cp", timeout=3600))
        runs["cp"].append((w, c))
        print(f"  [{label} round {i + 1}/{repeat}] wall/cpu s: verified {runs['verified'][-1][0]:.1f}/"
              f"{runs['verified'][-1][1]:.1f}, plain {runs['plain'][-1][0]:.1f}/{runs['plain'][-1][1]:.1f}, "
              f"cp {w:.1f}/{c:.1f}; load {load()}", flush=True)
    dst.run("sudo -n rm -rf /srv/bench-v /srv/bench-p", timeout=1800)
    src.run("sudo -n rm -rf /srv/bench-cp", timeout=1800)
    out = {k: summary(v) for k, v in runs.items()}
    out["target_hashing"] = hashing
    assert manifest is not None
    return out, manifest


def kill_and_resume(lab: Lab, src: Endpoint, dst: Endpoint, label: str, root: str, total: int,
                    manifest: Manifest, work: Path) -> dict[str, Any]:
    """The file-transfer runbook SIGKILLed (by its pid) when half the bytes are at the target, then --resume."""
    run_dir = work / f"run-{label}"
    shutil.rmtree(run_dir, ignore_errors=True)
    dest = "/srv/bench-k"
    dst.run(f"sudo -n rm -rf {dest}", timeout=1800)
    cmd = [sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir", str(run_dir),
           "--param", "system=bench", "--param", f"inventory={lab.state_dir / 'inventory.yml'}",
           "--param", f"source={src.name}", "--param", f"target={dst.name}", "--param", f"source_path={root}",
           "--param", f"target_path={dest}", "--param", f"bwlimit={max(2000, total // 1024 // 20)}"]
    env = {**os.environ, "GOVCLOUD_LOCK_DIR": str(work / "locks")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
    while arrived(dst, dest) < total // 2:
        if proc.poll() is not None:
            raise SystemExit(f"the run ended before the kill (exit {proc.returncode})")
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    had = arrived(dst, dest)  # complete files and partial ones
    before = make_manifest(dst, dest)
    t0 = time.monotonic()
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, cwd=REPO)
    resume_s = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    stats = json.loads((run_dir / "transfer-report.json").read_text())["rsync"]
    complete = {f.path for f in before.files} - {d.path for d in compare(manifest, before)}
    resent_complete = sum(f.size for f in manifest.files if f.path in complete and f.path in stats["changed"])
    # literal data beyond what was missing is data that had arrived and was sent again (an upper bound)
    resent_bound = max(0, stats["literal_bytes"] - (total - had))
    dst.run(f"sudo -n rm -rf {dest}", timeout=1800)
    return {"killed_at_pct": round(100 * had / total, 1), "arrived_bytes": had,
            "complete_files_before_kill": len(complete), "resume_literal_bytes": stats["literal_bytes"],
            "resume_matched_bytes": stats["matched_bytes"], "complete_files_resent_bytes": resent_complete,
            "resent_of_arrived_bytes_upper_bound": resent_bound,
            "resent_pct": round(100 * max(resent_bound, resent_complete) / max(had, 1), 2),
            "resume_seconds": round(resume_s, 1)}


def report(label: str, total: int, files: int, t: dict[str, Any], k: dict[str, Any]) -> None:
    v, p, c, sm = t["verified"], t["plain"], t["cp"], t["source_manifest"]
    print(f"\n== {label}: {files} files, {total} bytes ({total / 2**30:.3f} GiB) ==")
    print(f"{'':22}{'min s':>8}{'median s':>10}{'cpu s':>8}")
    for name, d in (("verified transfer", v), ("  of it source manifest", sm), ("plain rsync -a", p),
                    ("cp -a same disk", c)):
        print(f"{name:22}{d['min_s']:8.1f}{d['median_s']:10.1f}{d['cpu_s']:8.1f}")
    print(f"verification adds: {100 * (v['min_s'] / p['min_s'] - 1):.0f}% (min wall), "
          f"{100 * (v['median_s'] / p['median_s'] - 1):.0f}% (median wall), "
          f"{100 * (v['cpu_s'] / p['cpu_s'] - 1):.0f}% (cpu)   target ≤ 50%")
    print(f"target hashing: {t['target_hashing']}")
    print(f"kill at {k['killed_at_pct']}% ({k['arrived_bytes']} B arrived, {k['complete_files_before_kill']} files "
          f"complete): resume sent {k['resume_literal_bytes']} B literal + {k['resume_matched_bytes']} B matched "
          f"from partial files; re-sent of what had arrived: {k['resent_pct']}% "
          f"(complete files re-sent {k['complete_files_resent_bytes']} B; literal beyond the missing bytes "
          f"{k['resent_of_arrived_bytes_upper_bound']} B)   target ≤ 10%")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024, help="size of each data set (default 1 GiB)")
    ap.add_argument("--small", type=int, default=10000, help="files in the small-file set")
    ap.add_argument("--large", type=int, default=10, help="files in the large-file set")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sets", default="small,large")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    work = Path("/var/tmp/govcloud-bench-transfer")
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"load_start": load(), "mib": args.mib}
    print(f"load at start: {load()}", flush=True)
    mean = (args.mib << 20) // max(args.small, 1)
    sets = {"small": dict(small=args.small, large=0, large_mb=0, small_bytes=(mean // 2, mean * 3 // 2)),
            "large": dict(small=0, large=args.large, large_mb=max(1, args.mib // args.large))}
    with Lab.start(names=["bsrc", "bdst"]) as lab:
        for h in ("bsrc", "bdst"):
            lab.ssh(h, "sudo -n apt-get install -y -q rsync >/dev/null")
        eps = inventory_endpoints(lab.state_dir / "inventory.yml")
        src, dst = eps["bsrc"], eps["bdst"]
        for label in args.sets.split(","):
            root = f"/srv/{label}"
            lab.ssh("bsrc", generate_command(root, **sets[label]), input_text=GENERATE, timeout=3600)
            t, manifest = timings(lab, src, dst, label, root, work, args.repeat)
            k = kill_and_resume(lab, src, dst, label, root, manifest.total_bytes, manifest, work)
            report(label, manifest.total_bytes, len(manifest.files), t, k)
            results[label] = {"bytes": manifest.total_bytes, "files": len(manifest.files), **t, "kill_resume": k}
            lab.ssh("bsrc", f"sudo -n rm -rf {root}", timeout=1800)
    results["load_end"] = load()
    print(f"\nload at end: {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
