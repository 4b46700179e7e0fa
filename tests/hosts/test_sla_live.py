"""Issue 15, the SLA on the real thing: the hardened lab's four hosts watched by a real blackbox exporter and a real
Prometheus (processes this test owns, ``livemonitor.py``), sshd stopped on two of them for ~25 s, then
``govcloud sla report`` run as a user runs it. The outages it reports are exactly the stopped hosts' systems,
each within one probe interval of the stop and start the controller's clock measured; an incident record
answered later than the contract's minutes is a ``sla.response`` finding, one answered in time is not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from govcloud.contract.loader import add_months, load_contract
from govcloud.labhosts import Lab
from govcloud.labhosts.nspawn import container_init_pid
from govcloud.schemas import load_schema
from govcloud.sla.clock import Period, local_date, local_iso, month_of
from govcloud.sla.model import ms_of
from govcloud.sla.prom import Sample
from govcloud.sla.systems import load_systems

from .conftest import HOSTS, REPO
from .livemonitor import LiveMonitor, now_ms, require_tools

pytestmark = [pytest.mark.hosts, pytest.mark.slow]

STOPPED = ("lab-app-02", "lab-db-01")  # k = 2 of the n = 4 lab hosts
SSH_UNIT = "ssh.service"  # Debian's sshd unit
INTERVAL_S = 2  # the scrape interval and the systems file's interval_seconds
OUTAGE_S = 25
# How far a sample's timestamp may lie outside the interval the controller measured, beyond one interval: the
# timestamp is when Prometheus starts the scrape and the exporter connects a few ms later (a sample stamped just
# before a stop may already see sshd gone); Prometheus's scrape ticker may fire late on a loaded 2-core machine
# running four booted hosts; Prometheus aligns timestamps to the interval by up to 2 ms.
SCRAPE_SLACK_MS = 500
LATE_ID, ON_TIME_ID = "INC-LATE", "INC-ON-TIME"


@dataclass(frozen=True)
class Stamp:
    """A command's run by the controller's clock: just before it started, just after it returned (epoch ms)."""

    before_ms: int
    after_ms: int


def systemctl(lab: Lab, host: str, verb: str) -> Stamp:
    """``systemctl VERB ssh.service`` inside ``host``, through nsenter into its namespaces: with sshd down, SSH
    cannot start it again."""
    init = container_init_pid(lab.host(host).pid)
    argv = ["nsenter", "-t", str(init), "-m", "-u", "-i", "-n", "-p", "--", "systemctl", verb, SSH_UNIT]
    before = now_ms()
    proc = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    after = now_ms()
    assert proc.returncode == 0, f"{host}: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}"
    return Stamp(before, after)


def target(lab: Lab, host: str) -> str:
    return f"{lab.host(host).address}:22"


def write_systems(path: Path, lab: Lab) -> Path:
    """One system per lab host, down while its SSH banner probe (critical) fails."""
    systems = [{"id": h, "name_zh": h, "important": False, "down_when": "any-critical",
                "probes": [{"id": f"{h}-ssh", "module": "ssh_banner", "target": target(lab, h), "host": h,
                            "critical": True}]} for h in HOSTS]
    doc = {"kind": "govcloud/sla-systems", "version": 1, "stack": "lab", "interval_seconds": INTERVAL_S,
           "open_after": 2, "job": "blackbox", "systems": systems}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def contract_covering(month: Period, path: Path) -> Path:
    """Contract 2025095 with its term moved to the 12 months starting with ``month``, nothing else changed. The
    command refuses a month outside the term (article 13) and the real term (2025-06-01..2026-05-31) is over,
    while a live test can only judge the month it runs in. The loader holds ``end`` = ``start`` + ``months``."""
    start = local_date(month.start_ms)
    text = (REPO / "contracts" / "2025095.yaml").read_text(encoding="utf-8")
    moved, n = re.subn(r"(?m)^(term:.*\n  start: )\S+\n  end: \S+$",
                       rf"\g<1>{start}\n  end: {add_months(start, 12) - timedelta(days=1)}", text)
    assert n == 1, "contracts/2025095.yaml: no `term:` block with start and end lines to move"
    path.write_text(moved, encoding="utf-8")
    return path


def second(ms: int, up: bool = False) -> str:
    """An instant as a person writes it in a record: whole seconds, Beijing time (rounded down, or up)."""
    return local_iso((ms + (999 if up else 0)) // 1000 * 1000)


def write_incidents(path: Path, stops: dict[str, Stamp], starts: dict[str, Stamp], response_minutes: int) -> Path:
    """Two records of the outages: the first stopped host's answered a minute past the contract's limit, the
    second's answered (and the fault cleared) at the restart. The late answer lies in the future: the loader takes
    it, and a live test cannot wait 16 minutes."""
    late, on_time = STOPPED
    detected = second(stops[late].after_ms)
    acknowledged = datetime.fromisoformat(detected) + timedelta(minutes=response_minutes + 1)
    records = [
        {"id": LATE_ID, "systems": [late], "cause": "provider", "detected": detected,
         "acknowledged": acknowledged.isoformat()},
        {"id": ON_TIME_ID, "systems": [on_time], "cause": "provider", "detected": second(stops[on_time].after_ms),
         "acknowledged": second(starts[on_time].before_ms), "isolated": second(starts[on_time].after_ms, up=True),
         "resolved": second(starts[on_time].after_ms, up=True)},
    ]
    path.write_text(yaml.safe_dump({"kind": "govcloud/sla-incidents", "version": 1, "incidents": records},
                                   sort_keys=False), encoding="utf-8")
    return path


def all_up_twice(got: dict[str, list[Sample]]) -> bool:
    return all(len(s) >= 2 and all(v == 1 for _, v in s) for s in got.values())


def run_report(url: str, systems: Path, incidents: Path, contract: Path, month: str, out: Path) -> dict[str, Any]:
    """The command as a user runs it; its JSON report (kept in ``out`` for a look after a failure), schema-checked."""
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "sla", "report", "--prometheus", url,
                        "--systems", str(systems), "--incidents", str(incidents), "--contract", str(contract),
                        "--month", month, "--format", "json", "--output", str(out)],
                       check=False, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr, (r.returncode, r.stderr)
    doc = json.loads(out.read_text(encoding="utf-8"))
    from jsonschema import Draft202012Validator

    Draft202012Validator(load_schema("sla-report.schema.json")).validate(doc)
    return doc


def ms(text: str) -> int:
    return ms_of(datetime.fromisoformat(text))


def stop_ssh(lab: Lab, mon: LiveMonitor) -> tuple[dict[str, Stamp], dict[str, Stamp], int]:
    """sshd stopped on the ``STOPPED`` hosts for ``OUTAGE_S`` and started again (always, also on failure): the
    stops, the starts, and when the last of them first answered a probe again."""
    stops: dict[str, Stamp] = {}
    starts: dict[str, Stamp] = {}
    try:
        for h in STOPPED:
            stops[h] = systemctl(lab, h, "stop")
        time.sleep(max(0.0, OUTAGE_S - (now_ms() - stops[STOPPED[0]].before_ms) / 1000))
    finally:
        for h in STOPPED:  # also after a failed stop: starting a running unit changes nothing
            starts[h] = systemctl(lab, h, "start")
    after = {h: target(lab, h) for h in STOPPED}
    got = mon.wait_for("an up sample of each stopped host after its restart",
                       lambda got: all(any(t >= starts[h].before_ms and v == 1 for t, v in got[after[h]])
                                       for h in STOPPED), min(s.before_ms for s in stops.values()), timeout=30)
    back = max(min(t for t, v in got[after[h]] if t >= starts[h].before_ms and v == 1) for h in STOPPED)
    return stops, starts, back


def check_outage(host: str, o: dict[str, Any], stop: Stamp, start: Stamp, zero: int) -> None:
    """The outage's first failed probe within one interval of sshd going, its first good one within one of its
    return (plus ``SCRAPE_SLACK_MS``); the figures printed, as seconds past ``zero``."""
    a, b = ms(o["start"]), ms(o["end"])
    print(f"{host}: stop {(stop.before_ms - zero) / 1000:.3f}..{(stop.after_ms - zero) / 1000:.3f} s, outage start "
          f"{(a - zero) / 1000:.3f} s ({(a - stop.before_ms) / 1000:+.3f} s from the stop's start); start "
          f"{(start.before_ms - zero) / 1000:.3f}..{(start.after_ms - zero) / 1000:.3f} s, outage end "
          f"{(b - zero) / 1000:.3f} s ({(b - start.after_ms) / 1000:+.3f} s from the start's return)")
    assert (o["ongoing"], o["excluded_by"]) == (False, None), o
    interval = INTERVAL_S * 1000
    assert stop.before_ms - SCRAPE_SLACK_MS <= a <= stop.after_ms + interval + SCRAPE_SLACK_MS, (host, o, stop)
    assert start.before_ms - SCRAPE_SLACK_MS <= b <= start.after_ms + interval + SCRAPE_SLACK_MS, (host, o, start)


def test_sshd_stopped_on_two_hosts_is_their_outages_and_a_late_answer_is_flagged(hardened, tmp_path: Path) -> None:
    require_tools()
    t0 = time.monotonic()
    lab = hardened.lab
    systems = write_systems(tmp_path / "systems.yaml", lab)
    with LiveMonitor(tmp_path / "monitor", load_systems(systems)) as mon:
        mon.wait_for("every host's SSH probe up twice", all_up_twice, now_ms() - 1000, timeout=60)
        stops, starts, back = stop_ssh(lab, mon)
        zero = min(s.before_ms for s in stops.values())
        month = month_of(zero)
        contract = contract_covering(month, tmp_path / "2025095.yaml")
        response = load_contract(contract).sla.response_minutes
        incidents = write_incidents(tmp_path / "incidents.yaml", stops, starts, response)
        doc = run_report(mon.url, systems, incidents, contract, month.label, tmp_path / "report.json")
    for h in STOPPED:  # sshd answers again, and no ban (fail2ban) shut the controller out
        lab.ssh(h, "true")

    period = doc["period"]
    assert period["label"] == month.label and period["complete"] == (month.end_ms <= ms(doc["generated"]))
    assert ms(period["end"]) > back, (f"the report ends at {period['end']}, before sshd's first good probe at "
                                      f"{local_iso(back)}: an unfinished month must be judged up to now")
    outages = {o["system"]: o for o in doc["outages"]}
    assert sorted(outages) == sorted(STOPPED) and len(doc["outages"]) == len(STOPPED), doc["outages"]
    print(f"\ninterval {INTERVAL_S} s, slack {SCRAPE_SLACK_MS} ms; seconds past the first stop's start")
    for h in STOPPED:
        check_outage(h, outages[h], stops[h], starts[h], zero)

    late = {(f["check"], f["item"]) for f in doc["findings"] if f["kind"] == "late"}
    assert late == {("sla.response", LATE_ID)}, doc["findings"]
    checks = {f["check"] for f in doc["findings"]}
    assert not checks & {"sla.unrecorded-outage", "sla.untraced-incident"}, doc["findings"]  # records ↔ outages
    clocks = {(c["incident"], c["clock"]): (c["status"], c["taken"]) for c in doc["incidents"]["clocks"]}
    assert clocks[(LATE_ID, "response")] == ("late", f"{response + 1}m 00s")
    assert clocks[(ON_TIME_ID, "response")][0] == clocks[(ON_TIME_ID, "isolation")][0] == "on-time"
    assert doc["summary"]["exit_code"] == 2
    print(f"findings: {sorted((f['check'], f['item']) for f in doc['findings'])}")
    print(f"test wall time {time.monotonic() - t0:.1f} s (lab boot and hardening not counted)")
