"""The two independent judges of a hardened host (issue 4): the lynis hardening index and the OpenSCAP
rule results of ssg-debian12-ds.xml, both measured *inside* the host (TEST-HOSTS.md: oscap-chroot
miscounts), the failing rules weighed against playbooks/scan-waivers.yml.

Host access is a function `run(command) -> stdout` (SSH as the admin user with sudo, a lab's
`Lab.ssh`, ...), so the judges know nothing of how a host is reached.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .scan_waivers import ScanWaivers

Run = Callable[[str], str]
PROFILES = ("standard", "anssi_bp28_minimal")
RULE_PREFIX = "xccdf_org.ssgproject.content_rule_"
PROFILE_PREFIX = "xccdf_org.ssgproject.content_profile_"
XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
#: XCCDF results that mean an applicable rule did not pass
FAILING = ("fail", "error", "unknown")
#: the next Debian release's ssg-debian carries the Debian 12 content (TEST-HOSTS.md)
NEXT_SUITE = "trixie"
CONTENT_IN_HOST = "/root/ssg-debian12-ds.xml"
PACKAGES = ("lynis", "openscap-scanner", "linux-base")


def rule_results(results_xml: str | bytes) -> dict[str, str]:
    """Rule id (without its prefix) → XCCDF result, from `oscap xccdf eval --results` output."""
    root = ET.fromstring(results_xml)
    out: dict[str, str] = {}
    for rr in root.iter(f"{XCCDF}rule-result"):
        result = rr.find(f"{XCCDF}result")
        out[rr.get("idref", "").removeprefix(RULE_PREFIX)] = result.text if result is not None else "unknown"
    return out


@dataclass(frozen=True)
class ProfileVerdict:
    """One profile on one host: every result counted, the failing rules split into waived and not."""

    profile: str
    counts: dict[str, int]
    waived: dict[str, str] = field(default_factory=dict)  # rule → waiver reason
    unwaived: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        failing = sum(self.counts.get(r, 0) for r in FAILING)
        return {"pass": self.counts.get("pass", 0), "fail": failing, "waived": len(self.waived),
                "unwaived": len(self.unwaived), "notapplicable": self.counts.get("notapplicable", 0),
                "notchecked": self.counts.get("notchecked", 0)}


def judge_profile(profile: str, results: dict[str, str], waivers: ScanWaivers, host_kind: str) -> ProfileVerdict:
    selected = {r: v for r, v in results.items() if v != "notselected"}
    waived: dict[str, str] = {}
    unwaived: list[str] = []
    for rule, value in sorted(selected.items()):
        if value not in FAILING:
            continue
        w = waivers.find(profile, rule, host_kind)
        if w is None:
            unwaived.append(rule)
        else:
            waived[rule] = w.reason
    return ProfileVerdict(profile, dict(Counter(selected.values())), waived, tuple(unwaived))


def host_kind(run: Run) -> str:
    """container (systemd-nspawn, lxc, docker ...), chroot, or machine (a VM or bare metal)."""
    out = run("systemd-detect-virt --container 2>/dev/null; echo; sudo systemd-detect-virt --chroot && echo chroot").split()
    if "chroot" in out:
        return "chroot"
    return "container" if out and out[0] != "none" else "machine"


def install_scanners(run: Run) -> None:
    """lynis and openscap-scanner (+ linux-base, which the kernel CPE looks for) from the host's apt sources."""
    run(f"sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q {' '.join(PACKAGES)} >/dev/null 2>&1 || true")


def lynis_index(run: Run, report: str = "/var/tmp/govcloud-judge-lynis.dat") -> int | None:
    """`lynis audit system --quick` inside the host; its hardening index, None if it did not finish."""
    out = run(f"sudo lynis audit system --quick --no-colors --report-file {report} >/dev/null 2>&1; "
              f"sudo sed -n 's/^hardening_index=//p' {report}")
    m = re.search(r"\d+", out)
    return int(m.group(0)) if m else None


def oscap_results(run: Run, profile: str, content: str = CONTENT_IN_HOST) -> dict[str, str]:
    """`oscap xccdf eval --profile` inside the host (content already there); rule → result."""
    xml = f"/var/tmp/govcloud-judge-oscap-{profile}.xml"
    text = run(f"sudo oscap xccdf eval --profile {PROFILE_PREFIX}{profile} --results {xml} {content} "
               f">/dev/null 2>&1; sudo cat {xml}")
    if "<" not in text:
        raise RuntimeError(f"oscap wrote no results for profile {profile}")
    return rule_results(text[text.index("<"):])


def ssg_content(cache: Path) -> Path:
    """ssg-debian12-ds.xml from the next release's ssg-debian .deb, cached in `cache`; fetched once with
    a temporary apt source list used only through -o options (the machine's apt setup is untouched)."""
    out = cache / "ssg-debian12-ds.xml"
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
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(found.read_bytes())
    tmp.replace(out)
    return out


@dataclass(frozen=True)
class HostJudgement:
    host: str
    host_kind: str
    lynis_index: int | None
    profiles: dict[str, ProfileVerdict]

    def as_dict(self) -> dict:
        return {"host_kind": self.host_kind, "lynis_index": self.lynis_index,
                **{f"oscap_{p}": v.summary() for p, v in self.profiles.items()},
                **{f"oscap_{p}_unwaived": list(v.unwaived) for p, v in self.profiles.items() if v.unwaived}}


def judge_host(host: str, run: Run, waivers: ScanWaivers | None, *, content_in_host: str | None = CONTENT_IN_HOST,
               profiles: tuple[str, ...] = PROFILES, lynis: bool = True) -> HostJudgement:
    """Both judges on one host. `content_in_host`: where ssg-debian12-ds.xml already is inside the host
    (None: lynis only). Without `waivers` every failing rule counts as unwaived."""
    install_scanners(run)
    kind = host_kind(run)
    index = lynis_index(run) if lynis else None
    verdicts: dict[str, ProfileVerdict] = {}
    if content_in_host is not None:
        w = waivers or ScanWaivers(Path("-"), "", ())
        for p in profiles:
            verdicts[p] = judge_profile(p, oscap_results(run, p, content_in_host), w, kind)
    return HostJudgement(host, kind, index, verdicts)
