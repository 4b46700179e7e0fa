"""Benchmark the verified transfer (issue 7) between two booted lab hosts.

For a data set of SIZE MiB written as many small files and as a few large ones, prints:
  - the verified transfer (source manifest + rsync host to host + target manifest),
  - plain `rsync -a` of the same data between the same hosts,
  - `cp -a` of the same data on the source's own disk (the bound on this machine),
  - a run killed when half the bytes have arrived, then resumed: bytes re-sent of what had arrived.
Targets: verification adds ≤ 50% to plain rsync's time; a resumed run re-sends ≤ 10% of what
had already arrived.

    .venv/bin/python benchmarks/transfer.py [--mib 1024] [--small 10000] [--large 10]

Needs root, like the lab (govcloud.labhosts). The default 1 GiB takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govcloud.labhosts import Lab  # noqa: E402
from govcloud.runbook.transfer import (Endpoint, compare, inventory_endpoints, make_manifest,  # noqa: E402
                                       rsync, verified_transfer)

REPO = Path(__file__).resolve().parents[1]
RUNBOOK = REPO / "playbooks/runbooks/file-transfer.yaml"
from tests.runbook.dataset import GENERATE, generate_command  # noqa: E402


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def arrived(target: Endpoint, root: str) -> int:
    out = target.run(f"sudo -n find {root} -type f -printf '%s\\n' 2>/dev/null || true").stdout
    return sum(int(x) for x in out.split())


def bench(lab: Lab, src: Endpoint, dst: Endpoint, label: str, root: str, total: int, work: Path) -> None:
    print(f"\n== {label}: {total / 2**20:.0f} MiB ==")
    m = work / f"{label}-source.json"
    t_manifest, manifest = timed(lambda: make_manifest(src, root))
    manifest.write(m)
    t_verified, rep = timed(lambda: verified_transfer(src, dst, root, f"/srv/v-{label}", source_manifest=m,
                                                      target_manifest=work / f"{label}-target.json"))
    assert rep.verified
    t_verified += t_manifest
    t_plain, _ = timed(lambda: rsync(src, dst, root, f"/srv/p-{label}"))
    t_cp, _ = timed(lambda: lab.ssh(src.name, f"sudo -n cp -a {root} /srv/cp-{label}", timeout=3600))
    print(f"verified transfer  {t_verified:7.1f} s  (source manifest {t_manifest:.1f} s)")
    print(f"plain rsync -a     {t_plain:7.1f} s  -> verification adds {100 * (t_verified / t_plain - 1):.0f}%")
    print(f"cp -a same disk    {t_cp:7.1f} s")
    # kill the runbook process (SIGKILL, by its pid) at ~50%, then --resume
    run_dir = work / f"run-{label}"
    shutil.rmtree(run_dir, ignore_errors=True)
    dest = f"/srv/k-{label}"
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
    before = make_manifest(dst, dest)
    had = before.total_bytes
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    stats = json.loads((run_dir / "transfer-report.json").read_text())["rsync"]
    done = {f.path for f in before.files} - {d.path for d in compare(manifest, before)}
    resent_complete = sum(f.size for f in manifest.files if f.path in done and f.path in stats["changed"])
    print(f"kill at {100 * had / total:.0f}%: resume sent {stats['literal_bytes']} B literal "
          f"(+{stats['matched_bytes']} B matched from partial files, not re-sent); of the {had} B that had "
          f"arrived, {resent_complete} B were re-sent ({100 * resent_complete / max(had, 1):.1f}%)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--small", type=int, default=10000)
    ap.add_argument("--large", type=int, default=10)
    args = ap.parse_args()
    work = Path("/var/tmp/govcloud-bench-transfer")
    work.mkdir(parents=True, exist_ok=True)
    with Lab.start(names=["bsrc", "bdst"]) as lab:
        for h in ("bsrc", "bdst"):
            lab.ssh(h, "sudo -n apt-get install -y -q rsync >/dev/null")
        eps = inventory_endpoints(lab.state_dir / "inventory.yml")
        src, dst = eps["bsrc"], eps["bdst"]
        # 10,000 small files of ~mib/small each: the generator's sizes average 4 KiB, so scale the count
        lab.ssh("bsrc", generate_command("/srv/small", small=args.small, large=0, large_mb=0), input_text=GENERATE,
                timeout=3600)
        lab.ssh("bsrc", generate_command("/srv/large", small=0, large=args.large,
                                         large_mb=max(1, args.mib // args.large)), input_text=GENERATE, timeout=3600)
        for label, root in (("small", "/srv/small"), ("large", "/srv/large")):
            total = make_manifest(src, root).total_bytes
            bench(lab, src, dst, label, root, total, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
