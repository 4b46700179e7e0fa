"""Make ``vuln-scan.tar.xz``: the reports the vuln_scan role fetched from two real booted lab hosts (see README.md).

    sudo .venv/bin/python tests/deliverables/data/make_vuln_scan.py [OUT.tar.xz]

Boots lab-app-01 and lab-db-01 (inventory/lab-hosts.json), installs the scanners, the SCAP content and the
contract-year schedule with the role (``site.yml --tags vuln_scan``), runs the role's own scan script
(``/usr/local/sbin/govcloud-vuln-scan``) under Debian's libfaketime at the schedule's planned times, hardens the
hosts (``govcloud harden``) after the first scan, and fetches the reports with the role into one folder per host.
lab-db-01 skips the 2025-12-15 scan (a quarter without a scan). ~15 min on 2 cores (~25 when loaded).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from govcloud.hosts.harden import SITE_PLAYBOOK, harden
from govcloud.hosts.judges import ssg_content
from govcloud.hosts.runner import run_playbooks
from govcloud.labhosts import Lab
from govcloud.labhosts.__main__ import _from_stack
from govcloud.labhosts.paths import cache_dir

ROOT = Path(__file__).resolve().parents[3]
HOSTS = ("lab-app-01", "lab-db-01")
#: the schedule's planned dates (schedule.json: contract year from 2025-06-01, the 15th, 02:30); per host the
#: dates it is scanned on (lab-db-01 misses the third quarter's)
SCANS = {"lab-app-01": ("2025-06-15", "2025-09-15", "2025-12-15", "2026-03-15"),
         "lab-db-01": ("2025-06-15", "2025-09-15", "2026-03-15")}
SCAN_TIME = "02:30:00"
PROFILES = ["xccdf_org.ssgproject.content_profile_standard", "xccdf_org.ssgproject.content_profile_anssi_bp28_minimal"]
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")  # Debian's libfaketime (controller)


def scan(lab: Lab, host: str, day: str) -> None:
    """The role's scan script under a clock started at ``day SCAN_TIME`` (the host's local time)."""
    t0 = time.monotonic()
    lab.ssh(host, f"sudo env LD_PRELOAD=/usr/local/lib/libfaketime.so.1 'FAKETIME=@{day} {SCAN_TIME}' "
                  "/usr/local/sbin/govcloud-vuln-scan", timeout=1800)
    print(f"{host} {day}: scanned in {time.monotonic() - t0:.0f} s", flush=True)


def main(out: Path) -> None:
    _names, groups, host_vars = _from_stack(ROOT / "inventory" / "lab-hosts.json")
    groups = {g: [m for m in members if m in HOSTS] for g, members in groups.items()}
    work = Path(tempfile.mkdtemp(prefix="vuln-scan-"))
    fetched = work / "vuln-scan"
    # host vars, so that `govcloud harden` (site.yml) keeps them too; the role's default content path
    # (/usr/share/xml/scap/ssg/content/) has no folder without the ssg-debian package, and the copy fails there
    role_vars = {"vuln_scan_oscap_datastream_src": str(ssg_content(cache_dir() / "ssg")),
                 "vuln_scan_oscap_datastream": "/root/ssg-debian12-ds.xml",
                 "vuln_scan_oscap_profiles": PROFILES, "vuln_scan_fetch_dir": str(fetched), "vuln_scan_run": "never"}
    lab = Lab.start(names=list(HOSTS), groups={g: m for g, m in groups.items() if m},
                    host_vars={h: {**host_vars[h], **role_vars} for h in HOSTS})
    try:
        inv = lab.state_dir / "inventory.yml"
        r = run_playbooks([SITE_PLAYBOOK], inv, work / "install", tags=["vuln_scan"])
        assert r.rc == 0, f"site.yml --tags vuln_scan: rc {r.rc}"
        for h in HOSTS:
            shutil.copy2(LIBFAKETIME, lab.host(h).root / "usr/local/lib/libfaketime.so.1")
        days = sorted({d for ds in SCANS.values() for d in ds})
        with ThreadPoolExecutor(len(HOSTS)) as pool:
            for n, day in enumerate(days):
                if n == 1:
                    outcome = harden(inventory=inv, run_dir=work / "harden")
                    print(f"harden: exit {outcome.exit_code}", flush=True)
                list(pool.map(lambda h, d=day: scan(lab, h, d), [h for h in HOSTS if day in SCANS[h]]))
        r = run_playbooks([SITE_PLAYBOOK], inv, work / "fetch", tags=["vuln_scan"])
        assert r.rc == 0, f"site.yml --tags vuln_scan (fetch): rc {r.rc}"
    finally:
        problems = lab.stop()
        print(f"lab down{': ' + str(problems) if problems else ''}", flush=True)
    missing = [h for h in HOSTS for d in SCANS[h] for p in ("standard", "anssi_bp28_minimal")
               if not (fetched / h / f"oscap-{p}-{d.replace('-', '')}T023000-arf.xml").exists()]
    assert not missing, f"scans without OpenSCAP results: {missing}"
    with tarfile.open(out, "w:xz", preset=9) as tar:
        for path in sorted(fetched.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(work)), recursive=False)
    subprocess.run(["ls", "-laR", str(fetched)], check=False)
    print(f"{out}: {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("vuln-scan.tar.xz"))
