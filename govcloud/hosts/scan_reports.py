"""The vulnerability scans' dated reports as the vuln_scan role fetches them to the controller (contract line
item 主机漏洞扫描 "4次/年", article 2; 等保三级 8.1.4.4e 入侵防范 e), for the security test report of article 16.

The role's scan script (``playbooks/roles/vuln_scan/templates/govcloud-vuln-scan.sh.j2``) names each scan by one
stamp, ``date +%Y%m%dT%H%M%S`` in the host's local time when the scan starts, and the fetch keeps the names
(``<fetch dir>/<host>/``, default ``runs/vuln-scan``):

| file | read |
| --- | --- |
| ``lynis-STAMP.dat`` | ``hardening_index=``, ``warning[]=`` and ``suggestion[]=`` lines, ``report_datetime_start`` |
| ``lynis-STAMP.log`` | not read (digest only); needs its ``.dat`` |
| ``oscap-PROFILE-STAMP-arf.xml`` | the XCCDF ``TestResult`` (ARF, or XCCDF results): profile, start-time, results |
| ``schedule.json`` | what the timer plans (``schemas/vuln-scan-schedule.schema.json``) |

A scan's day is its stamp's calendar day, the host's local one, as the timer's ``OnCalendar`` dates are. The folder is
an input like any other: a host folder of another stack, a link leaving the folder, a file of another name, a stamp
that is no date, a report whose own time is not its name's, a file over the size limit (``GOVCLOUD_MAX_SCAN_MB``,
default 128 MiB per file), malformed XML or XML with a DOCTYPE (no DTD, no entities: the standard library's expat is
used, so the prolog is checked here) is one ``InputError`` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from govcloud.containment import contained
from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.limits import MIB, Limits, _env_int
from govcloud.textinput import decode, read_bytes

from .judges import FAILING, RULE_PREFIX

FLAG = "--scans DIR"
SCHEDULE = "schedule.json"
SCHEDULE_SCHEMA = "vuln-scan-schedule.schema.json"
STAMP_FORMAT = "%Y%m%dT%H%M%S"  # the scan script's `date +%Y%m%dT%H%M%S`
_STAMP = re.compile(r"\d{8}T\d{6}")
_LYNIS = re.compile(r"lynis-(?P<stamp>.*)\.(?P<ext>dat|log)")
_OSCAP = re.compile(r"oscap-(?P<rest>.*)\.xml")
NAMES = "lynis-YYYYMMDDTHHMMSS.dat|.log, oscap-PROFILE-YYYYMMDDTHHMMSS-arf.xml or schedule.json"
PROFILE_PREFIX = re.compile(r"^.*_profile_")  # as the script shortens a profile id in the file name
XCCDF_NS = ("http://checklists.nist.gov/xccdf/1.2", "http://checklists.nist.gov/xccdf/1.1")
READERS = min(8, os.cpu_count() or 1)  # host folders read at once (threads: reading and hashing release the GIL)
#: XCCDF 1.2's rule results (section 6.6.4.2), in the report's order
RESULTS = ("pass", "fail", "error", "unknown", "notapplicable", "notchecked", "notselected", "informational", "fixed")
#: a report's own time may follow its name's by this much (the script names the files before the scanners start)
LATE = timedelta(days=1)
EARLY = timedelta(minutes=1)
MAX_FILES = 200_000  # entries of one folder (far above 200 hosts, or 10 years of 4 scans of ~5 files)


def scan_limits() -> Limits:
    """One report file's size limit: an ARF carries the whole SCAP data stream (~15 MiB with ssg-debian12)."""
    return Limits(_env_int("GOVCLOUD_MAX_SCAN_MB", 128) * MIB, 0, 0, "GOVCLOUD_MAX_SCAN_MB")


# ------------------------------------------------------------------------------------------------ the model
@dataclass(frozen=True)
class LynisReport:
    """``lynis audit system`` of one scan: its hardening index (None: the report has none, lynis did not finish)."""

    file: Path
    started: datetime  # report_datetime_start, the host's local time
    hardening_index: int | None
    warnings: int
    suggestions: int
    version: str


@dataclass(frozen=True)
class ProfileResult:
    """``oscap xccdf eval --profile`` of one scan: every selected rule's result counted."""

    file: Path
    profile: str  # as in the file name: standard, anssi_bp28_minimal
    profile_id: str  # the TestResult's: xccdf_org.ssgproject.content_profile_standard
    started: datetime  # the TestResult's start-time, the host's local time (its own offset dropped)
    counts: Mapping[str, int]
    failing: tuple[str, ...] = ()  # the rules (id without its prefix) that fail, err or are unknown: waived or not

    def count(self, result: str) -> int:
        return self.counts.get(result, 0)


@dataclass(frozen=True)
class Scan:
    """One run of the scan script on one host: the files of one stamp."""

    host: str
    stamp: datetime  # the host's local time the scan started (the files' names)
    lynis: LynisReport | None
    oscap: tuple[ProfileResult, ...] = ()

    @property
    def day(self) -> date:
        return self.stamp.date()


@dataclass(frozen=True)
class Schedule:
    """What the timer plans on a host (``schedule.json``, written by the role with the timer)."""

    file: Path
    contract_year_start: date
    scans_per_year: int
    dates: tuple[date, ...]
    time: str


@dataclass(frozen=True)
class HostScans:
    host: str
    scans: tuple[Scan, ...]  # by stamp
    schedule: Schedule | None

    def within(self, first: date, last: date) -> list[Scan]:
        """The scans whose day is ``first``..``last`` (both included), by stamp."""
        return [s for s in self.scans if first <= s.day <= last]


@dataclass(frozen=True)
class ScanReports:
    """Every host folder under ``folder``; ``digest`` is the SHA-256 of each file's name and SHA-256, by name."""

    folder: Path
    hosts: Mapping[str, HostScans]
    digest: str
    files: int = 0
    schedules: tuple[Schedule, ...] = field(default=())

    def within(self, first: date, last: date) -> list[Scan]:
        return sorted((s for h in self.hosts.values() for s in h.within(first, last)), key=lambda s: (s.stamp, s.host))


def index_spread(indexes: Iterable[int]) -> tuple[int, float, int] | None:
    """Min, median and max of hardening indexes; None when there are none."""
    values = sorted(indexes)
    return (values[0], statistics.median(values), values[-1]) if values else None


# ------------------------------------------------------------------------------------------------ reading files
def parse_stamp(path: Path, text: str) -> datetime:
    """The stamp of a report's name; anything but a real ``YYYYMMDDTHHMMSS`` is an error naming the file."""
    try:
        if _STAMP.fullmatch(text):
            return datetime.strptime(text, STAMP_FORMAT)
    except ValueError:
        pass
    raise InputError.one(path, "file name", f"expected the scan's date and time YYYYMMDDTHHMMSS (the scan script's "
                                            f"`date +%Y%m%dT%H%M%S`) in {NAMES}, got {text!r}")


def _near(path: Path, fieldname: str, at: datetime, stamp: datetime) -> None:
    if not stamp - EARLY <= at <= stamp + LATE:
        raise InputError.one(path, fieldname, f"a time within a day after the file name's "
                                              f"{stamp:%Y-%m-%d %H:%M:%S} (the script names a scan's files when it "
                                              f"starts), got {at:%Y-%m-%d %H:%M:%S}: a renamed or altered report")


def read_lynis(path: Path, stamp: datetime, raw: bytes) -> LynisReport:
    """A lynis report file (``key=value`` lines; ``key[]=value`` repeats)."""
    text = decode(path, raw)
    values: dict[str, tuple[int, str]] = {}
    warnings = suggestions = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[^\s=\[\]]+(\[\])?", key):
            raise InputError.one(path, f"line {n}", f"expected key=value (a lynis report file), got {line[:60]!r}", n)
        if key == "warning[]":
            warnings += 1
        elif key == "suggestion[]":
            suggestions += 1
        else:
            values[key] = (n, value)
    if "report_datetime_start" not in values:
        raise InputError.one(path, "report_datetime_start", "the report's start time (lynis writes it first), "
                                                            "found none: not a lynis report")
    n, text_start = values["report_datetime_start"]
    try:
        started = datetime.strptime(text_start.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise InputError.one(path, "report_datetime_start", f"a time YYYY-MM-DD HH:MM:SS, got {text_start!r}",
                             n) from None
    _near(path, "report_datetime_start", started, stamp)
    index = None
    if "hardening_index" in values:
        n, v = values["hardening_index"]
        if not re.fullmatch(r"\d{1,3}", v.strip()) or int(v) > 100:
            raise InputError.one(path, "hardening_index", f"a whole number 0-100, got {v!r}", n)
        index = int(v)
    return LynisReport(path, started, index, warnings, suggestions, values.get("lynis_version", (0, ""))[1].strip())


def _prolog(path: Path, raw: bytes) -> bytes:
    """The root element's name. The prolog may hold an XML declaration, comments and processing instructions only: a
    DOCTYPE (a DTD, entity declarations) is refused before any parser sees the file. Without a DTD expat knows no
    entity but XML's five, so no entity expands."""
    at = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while at < len(raw) and raw[at] in b" \t\r\n":
            at += 1
        if raw.startswith(b"<?", at):
            end = raw.find(b"?>", at)
        elif raw.startswith(b"<!--", at):
            end = raw.find(b"-->", at)
        elif raw.startswith(b"<!", at):
            raise InputError.one(path, "DOCTYPE", "XML without a document type declaration (no DTD, no entities: "
                                                  "oscap writes none), got one", raw.count(b"\n", 0, at) + 1)
        else:
            m = re.match(rb"<([^\s/>]+)", raw[at:at + 256])
            return m.group(1) if m else b""
        if end < 0:
            return b""  # the parser reports the unclosed construct
        at = end + 2


def _one_test_result(raw: bytes, root: bytes) -> ET.Element | None:
    """The fast path: the TestResult element cut out of a complete file and parsed alone (an ARF carries the whole
    data stream it was evaluated against, ~10 MiB, and OVAL results beside it; the figures are the TestResult's).
    None when the file is not plainly that: not ending with its root's end tag, not exactly one TestResult, or one
    that does not parse alone in the XCCDF namespace. The caller then parses the whole file."""
    if not root or not raw[-4096:].rstrip().endswith(b"</" + root + b">"):
        return None
    starts = []
    at = raw.find(b"TestResult")
    while at >= 0 and len(starts) < 3:
        starts.append(at)
        at = raw.find(b"TestResult", at + 10)
    if len(starts) != 2:  # its start tag and its end tag, nothing else
        return None
    open_, close = starts
    begin = raw.rfind(b"<", 0, open_)
    tail = raw.find(b">", close)
    if begin < 0 or tail < 0 or not re.fullmatch(rb"<([A-Za-z_][\w.-]*:)?", raw[begin:open_]) \
            or not re.fullmatch(rb"</([A-Za-z_][\w.-]*:)?TestResult\s*>", raw[raw.rfind(b"<", 0, close):tail + 1]):
        return None
    try:
        el = ET.fromstring(raw[begin:tail + 1])
    except ET.ParseError:
        return None
    return el if el.tag in {f"{{{ns}}}TestResult" for ns in XCCDF_NS} else None


def _test_result(path: Path, raw: bytes) -> ET.Element:
    root_name = _prolog(path, raw)
    fast = _one_test_result(raw, root_name)
    if fast is not None:
        return fast
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError.one(path, "", f"well-formed XML (an OpenSCAP results file), got malformed XML at line {line} "
                                       f"column {col}: {str(exc).split(':')[0]}", line) from None
    found = [e for ns in XCCDF_NS for e in root.iter(f"{{{ns}}}TestResult")]
    if len(found) != 1:
        raise InputError.one(path, "TestResult", f"one XCCDF TestResult (`oscap xccdf eval --results-arf`), "
                                                 f"found {len(found)}")
    return found[0]


def read_oscap(path: Path, profile: str, stamp: datetime, raw: bytes) -> ProfileResult:
    """An OpenSCAP results file (ARF or XCCDF): the TestResult's profile, start time and rule results."""
    tr = _test_result(path, raw)
    ns = tr.tag[:tr.tag.index("}") + 1]
    prof = tr.find(f"{ns}profile")
    profile_id = prof.get("idref", "") if prof is not None else ""
    if PROFILE_PREFIX.sub("", profile_id) != profile:
        raise InputError.one(path, "TestResult.profile", f"the profile of the file name ({profile}), got "
                                                         f"{profile_id or 'none'}")
    text = tr.get("start-time", "")
    try:
        started = datetime.fromisoformat(text).replace(tzinfo=None)  # the host's wall clock, as the stamp
    except ValueError:
        raise InputError.one(path, "TestResult.start-time", f"an ISO 8601 time, got {text!r}") from None
    _near(path, "TestResult.start-time", started, stamp)
    counts: dict[str, int] = {}
    failing = []
    for i, rr in enumerate(tr.iter(f"{ns}rule-result")):
        res = rr.find(f"{ns}result")
        value = (res.text or "").strip() if res is not None else ""
        if value not in RESULTS:
            raise InputError.one(path, f"TestResult.rule-result[{i}].result", f"one of {', '.join(RESULTS)}, got "
                                                                              f"{value!r} ({rr.get('idref', '')})")
        if value != "notselected":
            counts[value] = counts.get(value, 0) + 1
        if value in FAILING:
            failing.append(rr.get("idref", "").removeprefix(RULE_PREFIX))
    ordered = dict(sorted(counts.items(), key=lambda kv: RESULTS.index(kv[0])))
    return ProfileResult(path, profile, profile_id, started, ordered, tuple(sorted(failing)))


def _date(path: Path, fieldname: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError.one(path, fieldname, f"a calendar date YYYY-MM-DD, got {text!r}") from None


def read_schedule(path: Path) -> Schedule:
    """``schedule.json``: the contract year's planned dates (the role's ``vuln_scan_schedule``)."""
    doc = load_json(path, max_bytes=MIB)
    issues = json_issues(path, doc, SCHEDULE_SCHEMA)
    if issues:
        raise InputError(issues)
    start = _date(path, "contract_year_start", doc["contract_year_start"])
    dates = [_date(path, f"dates[{i}]", d) for i, d in enumerate(doc["dates"])]
    return Schedule(path, start, doc["scans_per_year"], tuple(sorted(dates)), doc["time"])


# ------------------------------------------------------------------------------------------------ the folder
@dataclass
class _Files:
    """One stamp's files in a host folder."""

    dat: Path | None = None
    log: Path | None = None
    oscap: dict[str, Path] = field(default_factory=dict)


def _classify(path: Path, files: dict[datetime, _Files]) -> None:
    name = path.name
    if m := _LYNIS.fullmatch(name):
        one = files.setdefault(parse_stamp(path, m["stamp"]), _Files())
        setattr(one, m["ext"], path)
        return
    if m := _OSCAP.fullmatch(name):
        rest = m["rest"].removesuffix("-arf")
        profile, _, stamp = rest.rpartition("-")
        if not profile:
            raise InputError.one(path, "file name", f"expected {NAMES}, got {name!r} (no profile)")
        one = files.setdefault(parse_stamp(path, stamp), _Files())
        if profile in one.oscap:
            raise InputError.one(path, "file name", f"one results file per profile and scan; {one.oscap[profile].name}"
                                                    " is the same scan's")
        one.oscap[profile] = path
        return
    raise InputError.one(path, "file name", f"expected only the vuln_scan role's reports ({NAMES}), got {name!r}")


def _entries(folder: Path, what: str, shown: Path | None = None) -> list[tuple[str, Path]]:
    """``folder``'s entries by name, each resolved inside it (a link out of it is refused, naming ``shown / name``)."""
    shown = shown or folder
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise InputError.one(shown, "", f"expected a folder of {what}, cannot list it: {exc.strerror}") from None
    if len(names) > MAX_FILES:
        raise InputError.one(shown, "", f"expected at most {MAX_FILES:,} entries, found {len(names):,}")
    return [(n, contained(folder, n, file=shown / n, field="link target")) for n in names]


class _Digest:
    """Each file's SHA-256 by its name under the folder; the folder's digest hashes them in name order."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def read(self, rel: str, path: Path, limits: Limits) -> bytes:
        raw = read_bytes(path, limits)
        self.files[rel] = hashlib.sha256(raw).hexdigest()
        return raw

    def hexdigest(self) -> str:
        return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in sorted(self.files.items())).encode()).hexdigest()


def _host(folder: Path, host: str, target: Path, digest: _Digest) -> HostScans:
    """One host folder: every name checked first (nothing read), then each scan's files read, digested, parsed."""
    files: dict[datetime, _Files] = {}
    schedule_file = None
    for name, path in _entries(target, f"scan reports of {host}", folder / host):
        shown = folder / host / name
        if not path.is_file():
            raise InputError.one(shown, "", f"expected a report file ({NAMES}), got a folder or special file")
        if name == SCHEDULE:
            schedule_file = shown
        else:
            _classify(shown, files)
    limits = scan_limits()
    schedule = None
    if schedule_file is not None:
        digest.read(f"{host}/{SCHEDULE}", schedule_file, limits)
        schedule = read_schedule(schedule_file)
    scans = []
    for stamp, f in sorted(files.items()):
        if f.log is not None and f.dat is None:
            raise InputError.one(f.log, "file name", f"its report lynis-{stamp:{STAMP_FORMAT}}.dat beside it (the log "
                                                     "alone holds no hardening index), found none")
        if f.log is not None:
            digest.read(f"{host}/{f.log.name}", f.log, limits)
        lynis = read_lynis(f.dat, stamp, digest.read(f"{host}/{f.dat.name}", f.dat, limits)) if f.dat else None
        oscap = tuple(read_oscap(p, prof, stamp, digest.read(f"{host}/{p.name}", p, limits))
                      for prof, p in sorted(f.oscap.items()))
        scans.append(Scan(host, stamp, lynis, oscap))
    return HostScans(host, tuple(scans), schedule)


def load_scan_reports(folder: Path, *, known: Collection[str] | None = None,
                      known_from: str = "the stack") -> ScanReports:
    """Every host folder of ``folder`` (``<fetch dir>/<host>/``); a host outside ``known`` is refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError.one(folder, "", f"expected the folder the vuln_scan role fetches reports into (one folder per "
                                         f"host, e.g. runs/vuln-scan) for {FLAG}, "
                                         + ("got a file" if folder.exists() else "not found"))
    todo = []
    for name, target in _entries(folder, "hosts' scan reports"):
        if not target.is_dir():
            raise InputError.one(folder / name, "", "expected one folder per host (<fetch dir>/<host>/), got a file")
        if known is not None and name not in known:
            raise InputError.one(folder / name, "host", f"a host of {known_from} ({', '.join(sorted(known)) or 'none'})"
                                                        f", got {name!r}: reports of another tenancy's or lab's host")
        todo.append((name, target))
    # hosts in threads: reading and hashing (most of the time) release the GIL; map() yields in host order and
    # raises the first host's error in that order, so the same folder gives the same result and the same error
    digests = [_Digest() for _ in todo]
    with ThreadPoolExecutor(max_workers=max(1, min(READERS, len(todo)))) as pool:
        found = list(pool.map(lambda job: _host(folder, *job[0], job[1]), zip(todo, digests, strict=True)))
    hosts = {name: h for (name, _), h in zip(todo, found, strict=True)}
    digest = _Digest()
    for d in digests:
        digest.files.update(d.files)
    schedules = tuple(h.schedule for h in hosts.values() if h.schedule is not None)
    return ScanReports(folder, hosts, digest.hexdigest(), len(digest.files), schedules)
