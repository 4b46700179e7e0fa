"""The scan reports the vuln_scan role fetches (govcloud.hosts.scan_reports), read from real reports: the committed
sample (two lab hosts, tests/deliverables/data/README.md) for the figures and the hostile-folder refusals, and a
scan of the booted lab itself (the role with ``vuln_scan_run=now``, fetched by its own task), whose figures are held
against what the hosts' own files say."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.hosts.scan_reports import ScanReports, index_spread, load_scan_reports
from tests.deliverables.scans import PROFILES, SCANNED, unpack

ROOT = Path(__file__).resolve().parents[2]
LAB = {h.name for h in load_stack_hosts(stack_outputs_file("lab"))}
STAMP = "20250615T023000"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(tmp_path_factory.mktemp("scans"))


@pytest.fixture(scope="module")
def read(sample: Path) -> ScanReports:
    return load_scan_reports(sample, known=LAB, known_from="stack lab")


@pytest.fixture
def copy(sample: Path, tmp_path: Path) -> Path:
    """A copy of the sample to break (hard links: the 14 MiB ARFs are not copied)."""
    out = tmp_path / "vuln-scan"
    shutil.copytree(sample, out, copy_function=os.link)
    return out


def _grep(pattern: str, path: Path) -> list[str]:
    """The lines of ``path`` matching ``pattern``, as grep gives them (an independent reading)."""
    r = subprocess.run(["grep", "-E", pattern, str(path)], capture_output=True, text=True, check=False)
    return r.stdout.splitlines()


def _results(path: Path) -> Counter[str]:
    """Rule results counted straight from the XML text: XCCDF's lower-case ``<result>`` values (the data stream's
    own ``<result>`` elements hold upper-case OVAL values)."""
    values = "pass|fail|error|unknown|notapplicable|notchecked|notselected|informational|fixed"
    return Counter(re.findall(rf"<(?:\w+:)?result>({values})</(?:\w+:)?result>", path.read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------------ figures
def test_every_scan_of_the_sample_is_read_with_its_day(read: ScanReports) -> None:
    assert sorted(read.hosts) == sorted(SCANNED)
    for host, days in SCANNED.items():
        scans = read.hosts[host].scans
        assert tuple(s.day.isoformat() for s in scans) == days
        assert all(s.stamp.strftime("%H:%M:%S") == "02:30:00" for s in scans)
        assert all(sorted(r.profile for r in s.oscap) == list(PROFILES) for s in scans)
        sched = read.hosts[host].schedule
        assert sched is not None and sched.scans_per_year == 4 and sched.time == "02:30:00"
        assert sched.dates == (date(2025, 6, 15), date(2025, 9, 15), date(2025, 12, 15), date(2026, 3, 15))
    assert read.files == sum(1 for p in read.folder.rglob("*") if p.is_file())


def test_lynis_figures_are_what_the_report_files_say(read: ScanReports) -> None:
    seen = set()
    for hs in read.hosts.values():
        for s in hs.scans:
            dat = s.lynis.file
            assert [f"hardening_index={s.lynis.hardening_index}"] == _grep("^hardening_index=", dat)
            assert s.lynis.warnings == len(_grep(r"^warning\[\]=", dat))
            assert s.lynis.suggestions == len(_grep(r"^suggestion\[\]=", dat))
            assert _grep("^report_datetime_start=", dat) == [f"report_datetime_start={s.lynis.started:%Y-%m-%d %H:%M:%S}"]
            assert s.lynis.version == "3.0.8"
            seen.add(s.lynis.hardening_index)
    assert len(seen) >= 2, "the sample holds scans before and after hardening"


def test_openscap_counts_per_profile_are_what_the_results_files_say(read: ScanReports) -> None:
    for hs in read.hosts.values():
        for s in hs.scans:
            for r in s.oscap:
                counted = _results(r.file)
                del counted["notselected"]
                assert dict(r.counts) == dict(counted), r.file.name
                assert r.count("pass") >= 15  # the content applies (not all notapplicable: the oscap-chroot trap)
                assert r.profile_id == f"xccdf_org.ssgproject.content_profile_{r.profile}"
                start = re.search(r'<TestResult [^>]*start-time="([^"]+)"', r.file.read_text(encoding="utf-8"))[1]
                assert r.started == datetime.fromisoformat(start).replace(tzinfo=None)
                assert r.started.date() == s.day
                assert len(r.failing) == r.count("fail") + r.count("error") + r.count("unknown")


def test_the_fleet_spread_and_the_digest(read: ScanReports, sample: Path) -> None:
    latest = [hs.scans[-1].lynis.hardening_index for hs in read.hosts.values()]
    low, mid, high = index_spread(latest)
    assert (low, high) == (min(latest), max(latest)) and low <= mid <= high
    again = load_scan_reports(sample, known=LAB)
    assert again.digest == read.digest and len(read.digest) == 64


def test_a_changed_byte_changes_the_digest(copy: Path, read: ScanReports) -> None:
    log = copy / "lab-app-01" / f"lynis-{STAMP}.log"
    text = log.read_bytes()
    log.unlink()  # a hard link: write a new file
    log.write_bytes(text.replace(b"lynis", b"LYNIS", 1))
    assert load_scan_reports(copy, known=LAB).digest != read.digest


def test_the_cut_out_test_result_reads_as_the_whole_file(read: ScanReports, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader parses only an ARF's TestResult, cut out of the ~14 MiB file; with that shortcut off (the whole
    document parsed, as for a file that is not plainly one TestResult) every result is the same."""
    from govcloud.hosts import scan_reports

    monkeypatch.setattr(scan_reports, "_one_test_result", lambda raw, root: None)
    whole = load_scan_reports(read.folder, known=LAB)
    assert whole.digest == read.digest
    fast = {(h, s.stamp): s.oscap for h, hs in read.hosts.items() for s in hs.scans}
    slow = {(h, s.stamp): s.oscap for h, hs in whole.hosts.items() for s in hs.scans}
    assert fast == slow and sum(len(v) for v in fast.values()) == 14


# ------------------------------------------------------------------------------------------------ hostile folders
def _refused(folder: Path, *, known: set[str] | None = None) -> str:
    with pytest.raises(InputError) as exc:
        load_scan_reports(folder, known=LAB if known is None else known, known_from="stack lab (lab-hosts.json)")
    text = str(exc.value)
    assert len(exc.value.issues) == 1 and "\n" not in text and "Traceback" not in text
    return text


def test_a_host_folder_not_in_the_stack_is_refused(copy: Path) -> None:
    (copy / "lab-web-99").mkdir()
    text = _refused(copy)
    assert f"{copy / 'lab-web-99'}: host: a host of stack lab (lab-hosts.json)" in text and "'lab-web-99'" in text


def test_a_link_leaving_the_folder_is_refused(copy: Path, tmp_path: Path) -> None:
    (copy / "lab-app-01" / f"lynis-{STAMP}.dat").unlink()
    (copy / "lab-app-01" / f"lynis-{STAMP}.dat").symlink_to("/etc/passwd")
    text = _refused(copy)
    assert f"lab-app-01/lynis-{STAMP}.dat: link target: expected a path under" in text and "/etc/passwd" in text
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (copy / "lab-log-01").symlink_to(outside)
    assert "lab-log-01: link target: expected a path under" in _refused(copy)


def test_a_huge_file_is_refused_before_it_is_read(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = copy / "lab-db-01" / "oscap-standard-20250615T023001-arf.xml"
    with huge.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: 300 MiB of nothing
    text = _refused(copy)
    assert f"{huge}: (document): expected at most 128 MiB, the file has 300 MiB (set GOVCLOUD_MAX_SCAN_MB" in text
    huge.unlink()
    monkeypatch.setenv("GOVCLOUD_MAX_SCAN_MB", "1")
    assert "expected at most 1 MiB" in _refused(copy)


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    path.unlink()
    path.write_text(change(text), encoding="utf-8")


def test_malformed_xml_a_doctype_and_an_entity_are_refused(copy: Path) -> None:
    arf = copy / "lab-app-01" / f"oscap-standard-{STAMP}-arf.xml"
    _rewrite(arf, lambda t: t[:-400])  # cut short, as an interrupted fetch leaves it
    assert re.search(rf"oscap-standard-{STAMP}-arf.xml:\d+: \(document\): well-formed XML .* malformed XML at line",
                     _refused(copy))
    _rewrite(arf, lambda t: t + "</arf:asset-report-collection>")  # closed again, for the next cases
    bomb = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n')
    _rewrite(arf, lambda t: t.replace("?>\n", "?>\n" + bomb, 1))
    assert f"oscap-standard-{STAMP}-arf.xml:2: DOCTYPE: XML without a document type declaration" in _refused(copy)
    _rewrite(arf, lambda t: t.replace(bomb, "").replace("<result>pass</result>", "<result>&xxe;</result>", 1))
    assert "undefined entity" in _refused(copy)


def test_a_file_name_whose_date_does_not_parse_is_refused(copy: Path) -> None:
    for ext in ("dat", "log"):
        (copy / "lab-db-01" / f"lynis-{STAMP}.{ext}").rename(copy / "lab-db-01" / f"lynis-20251315T023000.{ext}")
    text = _refused(copy)
    assert "lab-db-01/lynis-20251315T023000.dat: file name: expected the scan's date and time YYYYMMDDTHHMMSS" in text
    assert "'20251315T023000'" in text


def test_a_renamed_report_is_refused(copy: Path) -> None:
    """Moved to a date it was not made on (to fill a quarter): its own start time says otherwise."""
    for ext in ("dat", "log"):
        (copy / "lab-db-01" / f"lynis-{STAMP}.{ext}").rename(copy / "lab-db-01" / f"lynis-20251215T023000.{ext}")
    text = _refused(copy)
    assert ("lab-db-01/lynis-20251215T023000.dat: report_datetime_start: a time within a day after the file name's "
            "2025-12-15 02:30:00") in text and "got 2025-06-15 02:30:00: a renamed or altered report" in text


def test_other_files_and_broken_fields_are_refused(copy: Path) -> None:
    notes = copy / "lab-app-01" / "notes.txt"
    notes.write_text("hello")
    assert f"{notes}: file name: expected only the vuln_scan role's reports" in _refused(copy)
    notes.unlink()
    dat = copy / "lab-app-01" / f"lynis-{STAMP}.dat"
    _rewrite(dat, lambda t: re.sub(r"(?m)^hardening_index=\d+$", "hardening_index=high", t))
    assert re.search(rf"lynis-{STAMP}.dat:\d+: hardening_index: a whole number 0-100, got 'high'", _refused(copy))
    _rewrite(dat, lambda t: re.sub(r"(?m)^hardening_index=high$", "hardening_index=59", t))
    arf = copy / "lab-app-01" / f"oscap-standard-{STAMP}-arf.xml"
    arf.rename(copy / "lab-app-01" / f"oscap-anssi_bp28_high-{STAMP}-arf.xml")
    assert "TestResult.profile: the profile of the file name (anssi_bp28_high), got " \
           "xccdf_org.ssgproject.content_profile_standard" in _refused(copy)
    (copy / "lab-app-01" / f"oscap-anssi_bp28_high-{STAMP}-arf.xml").rename(arf)
    sched = copy / "lab-app-01" / "schedule.json"
    _rewrite(sched, lambda t: t.replace("2025-12-15", "2025-02-30"))
    assert f"{sched}: dates[2]: a calendar date YYYY-MM-DD, got '2025-02-30'" in _refused(copy)
    sched.unlink()
    (copy / "lab-app-01" / f"lynis-{STAMP}.dat").unlink()
    assert f"lynis-{STAMP}.log: file name: its report lynis-{STAMP}.dat beside it" in _refused(copy)


def test_not_a_folder_is_refused(tmp_path: Path) -> None:
    assert "expected the folder the vuln_scan role fetches reports into" in _refused(tmp_path / "none")
    (tmp_path / "f").write_text("x")
    assert "got a file" in _refused(tmp_path / "f")


def test_the_cli_refuses_a_foreign_host_in_one_line(copy: Path, tmp_path: Path) -> None:
    (copy / "lab-web-99").mkdir()
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                        "2026-03", "--out", str(tmp_path / "pkg"), "--scans", str(copy), "--only", "security-test"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "lab-web-99: host: a host of stack lab (lab-hosts.json)" in r.stderr


# ------------------------------------------------------------------------------------------------ the lab
@pytest.mark.hosts
@pytest.mark.slow
def test_a_real_scan_of_the_lab_is_read_as_the_hosts_files_say(hardened, tmp_path_factory) -> None:
    """The role's scan run now on two hardened lab hosts and fetched by the role: the reader's figures equal the
    hosts' own report files (read over SSH with sed), and the day is the hosts' today. The SCAP content goes to the
    role's default path, whose folder the ssg packages would have made: the role makes it."""
    from govcloud.hosts.harden import SITE_PLAYBOOK
    from govcloud.hosts.judges import ssg_content
    from govcloud.hosts.runner import run_playbooks
    from govcloud.labhosts.paths import cache_dir

    lab, hosts = hardened.lab, ("lab-app-01", "lab-db-01")
    fetched = tmp_path_factory.mktemp("lab-scans") / "vuln-scan"
    extravars = {"vuln_scan_run": "now", "vuln_scan_fetch_dir": str(fetched),
                 "vuln_scan_oscap_datastream_src": str(ssg_content(cache_dir() / "ssg")),
                 "vuln_scan_oscap_profiles": [f"xccdf_org.ssgproject.content_profile_{p}" for p in PROFILES]}
    r = run_playbooks([SITE_PLAYBOOK], hardened.inventory, tmp_path_factory.mktemp("scan-run"), tags=["vuln_scan"],
                      limit=",".join(hosts), extravars=extravars)
    assert r.rc == 0, r.status
    reports = load_scan_reports(fetched, known=LAB, known_from="stack lab")
    assert sorted(reports.hosts) == sorted(hosts)
    for host in hosts:
        on_host = lab.ssh(host, "sudo sh -c 'cd /var/lib/govcloud/vuln-scan && f=$(ls lynis-*.dat | tail -n 1) && "
                                "echo $f && sed -n s/^hardening_index=//p $f && grep -c \"^warning\\[\\]=\" $f'; "
                                "date +%F").stdout.split()
        latest = reports.hosts[host].scans[-1]
        assert [latest.lynis.file.name, str(latest.lynis.hardening_index), str(latest.lynis.warnings)] == on_host[:3]
        assert latest.day.isoformat() == on_host[3]
        assert latest.lynis.hardening_index >= 80  # a hardened host (issue 4's target)
        assert sorted(r.profile for r in latest.oscap) == list(PROFILES)
        for prof in latest.oscap:
            assert prof.count("pass") >= 20, (host, prof.profile, prof.counts)
        assert json.loads((fetched / host / "schedule.json").read_text())["scans_per_year"] == 4
