"""Benchmark ``govcloud sla report`` (issue 15): one calendar month judged for a fleet of N blackbox probe targets
scraped every 15 s, read from a real Prometheus holding the month backfilled.

The fleet (deterministic, ``--seed``): systems of two hosts each, an app host (HTTP probe, critical; SSH probe,
not critical) and a database host (TCP 5432 probe, critical; SSH probe, not critical), so four probes per system
(the last system takes what is left of N); every fourth system important. Each system has two to four troubles
over the month and its lookback day: a single failed probe (no outage, but its day must be read sample by
sample), two in a row (a 30 s outage), a few minutes down, half an hour to an hour down, a database outage that
takes the HTTP probe with it, an SSH probe down (not critical), and now and then (one trouble in twelve) more than
two hours down, annex 3's length; about a third of the systems lose a few minutes of one probe's samples (a scrape
gap), and the whole fleet loses two minutes once (a Prometheus restart on 17 March: that day every probe is read
raw in one answer, which sets the command's peak memory). So the report passes most probe-days on their day
figures and reads the others raw, as it would on a real month. Each fleet size is its
own Prometheus job (``blackbox-N``) in one server; the series run from an hour before the report's lookback day to
an hour after the month.

Backfill: OpenMetrics written per 18-hour window (promtool's block length for ``--max-block-duration=24h``, so
each file is exactly one block and no two blocks overlap), converted by ``promtool tsdb create-blocks-from
openmetrics``, several at once, while the next window is written. The blocks are kept in govcloud's cache
(``~/.cache/govcloud/sla-tsdb/bench-sla-DIGEST``, DIGEST of the fleet sizes, seed, month, generator and promtool
version), so a second run starts at once; the backfill's time is printed, not measured.

Measured, per fleet size, ``--repeat`` times (median; peak memory the largest): the wall time of ``govcloud sla
report --prometheus URL --month M --systems FILE --format json --output FILE`` from process start, the CPU seconds
it used (user + system, from wait4), its peak RSS, the queries Prometheus answered for it (its own
``prometheus_http_requests_total``) and the CPU seconds Prometheus spent answering them; then the probe-days read
raw (from one in-process ``samples.read_spans``, untimed, which also warms Prometheus), and the time per
target-day (wall or CPU / (N × days read)) for linearity, with the marginal time per target-day between sizes (the
command's start-up, under a second of imports, is in the first and not in the second).

Targets (issue 15): at 200 targets the month report < 30 s and < 1 GiB; time linear in targets × days.
Exit 0 whatever the figures (a benchmark prints them); 1 when something fails to run.

    .venv/bin/python benchmarks/sla.py [--targets 20,50,200] [--repeat 3] [--month 2026-03] [--seed 15]
                                       [--jobs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml

from govcloud.contract import DEFAULT_CONTRACT, load_contract
from govcloud.sla.clock import Period, month, term
from govcloud.sla.model import Interval
from govcloud.sla.monthly import lookback_ms
from benchmarks.childproc import run_child  # noqa: E402
from tests.sla.promserver import (
    METRIC,
    PROMETHEUS,
    PROMTOOL,
    PromServer,
    complete_blocks,
    cache_root,
    promtool_version,
)

STEP_MS = 15_000
MIN_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
BLOCK_MS = 18 * HOUR_MS  # promtool's block length for --max-block-duration=24h (2h × 3^k ≤ 24h); epoch-aligned
GENERATOR_VERSION = 1  # change when the fleet or the text written changes (a new cache digest)
RESTART = "2026-03-17T03:10:00+08:00"  # the fleet-wide scrape gap (a Prometheus restart), when inside the month
TARGET_S, TARGET_MIB, LINEAR_SLACK = 30.0, 1024.0, 1.25


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -------------------------------------------------------------------------------------------------- the fleet
@dataclass
class Target:
    job: str
    instance: str
    offset_ms: int  # samples at offset_ms + k × 15 s (Prometheus spreads targets over the interval)
    down: list[tuple[int, int]] = field(default_factory=list)  # [a, b) epoch ms: samples in it are 0
    missing: list[tuple[int, int]] = field(default_factory=list)  # [a, b): no sample


@dataclass
class Fleet:
    size: int
    job: str
    systems_doc: dict[str, Any]
    targets: list[Target]
    troubles: int  # down stretches
    gaps: int  # scrape gaps (the fleet-wide one counted once)


def _iso_ms(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text).timestamp() * 1000)


def fleet(size: int, seed: int, read: Interval) -> Fleet:
    """``size`` probe targets in systems of four (see the module docstring). System k's troubles depend on
    (seed, k) only, so the systems of a smaller fleet are the first systems of a larger one."""
    job = f"blackbox-{size}"
    systems, targets = [], []
    troubles = gaps = 0
    restart = _iso_ms(RESTART)
    for k in range((size + 3) // 4):
        rng = random.Random(f"{seed}/{k}")
        sid = f"sys-{k:03d}"
        app, db = f"10.{20 + k // 200}.{k % 200}.11", f"10.{20 + k // 200}.{k % 200}.12"
        probes = [(f"{sid}-app-http", "http_2xx", f"http://{app}:80/", True),
                  (f"{sid}-app-ssh", "ssh_banner", f"{app}:22", False),
                  (f"{sid}-db-pg", "tcp_connect", f"{db}:5432", True),
                  (f"{sid}-db-ssh", "ssh_banner", f"{db}:22", False)][: size - 4 * k]
        mine = [Target(job, p[2], rng.randrange(STEP_MS)) for p in probes]
        critical = [t for t, p in zip(mine, probes) if p[3]]
        ssh = [t for t, p in zip(mine, probes) if not p[3]]

        def at(rng: random.Random = rng) -> int:  # a whole second of the read span, early enough for any trouble
            return (rng.randrange(read.start_ms, read.end_ms - 4 * HOUR_MS) // 1000) * 1000

        for _ in range(rng.choice((2, 3, 3, 4))):
            kind = rng.choices(("flap", "double", "short", "medium", "cascade", "ssh", "long"),
                               (20, 10, 25, 15, 10, 12, 8))[0]
            if kind == "cascade" and len(critical) < 2:
                kind = "medium"
            if kind == "ssh" and not ssh:
                kind = "short"
            a = at()
            troubles += 1
            if kind == "flap":  # one failed probe: the first sample at or after a
                t = rng.choice(critical)
                first = a + (t.offset_ms - a) % STEP_MS
                t.down.append((first, first + 1))
            elif kind == "double":  # two in a row: an outage of 30 s
                t = rng.choice(critical)
                first = a + (t.offset_ms - a) % STEP_MS
                t.down.append((first, first + STEP_MS + 1))
            elif kind == "short":
                rng.choice(critical).down.append((a, a + rng.randrange(2, 11) * MIN_MS))
            elif kind == "medium":
                rng.choice(critical).down.append((a, a + rng.randrange(15, 61) * MIN_MS))
            elif kind == "cascade":  # the database down, the app's HTTP probe failing a minute later
                n = rng.randrange(10, 46) * MIN_MS
                critical[1].down.append((a, a + n))
                critical[0].down.append((a + MIN_MS, a + n + 30_000))
            elif kind == "ssh":
                rng.choice(ssh).down.append((a, a + rng.randrange(5, 41) * MIN_MS))
            else:  # beyond annex 3's two hours
                rng.choice(critical).down.append((a, a + rng.randrange(125, 201) * MIN_MS))
        if rng.random() < 0.33:
            a = at()
            rng.choice(mine).missing.append((a, a + rng.randrange(1, 16) * MIN_MS))
            gaps += 1
        if read.start_ms <= restart < read.end_ms:
            for t in mine:
                t.missing.append((restart, restart + 2 * MIN_MS))
        systems.append({"id": sid, "name_zh": f"业务系统{k + 1:03d}", "important": k % 4 == 0,
                        "down_when": "any-critical",
                        "probes": [{"id": p[0], "module": p[1], "target": p[2], "host": f"{sid}-{p[0].split('-')[2]}",
                                    "critical": p[3]} for p in probes]})
        targets += mine
    gaps += 1 if read.start_ms <= restart < read.end_ms else 0
    doc = {"kind": "govcloud/sla-systems", "version": 1, "interval_seconds": STEP_MS // 1000, "open_after": 2,
           "job": job, "systems": systems}
    return Fleet(size, job, doc, targets, troubles, gaps)


# ------------------------------------------------------------------------------------------------ OpenMetrics
def windows(lo_ms: int, hi_ms: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` cut at promtool's epoch-aligned block edges."""
    out, s = [], lo_ms
    while s < hi_ms:
        e = min((s // BLOCK_MS + 1) * BLOCK_MS, hi_ms)
        out.append((s, e))
        s = e
    return out


def _lines(t: Target, lo: int, hi: int) -> Iterator[str]:
    head = f'{METRIC}{{job="{t.job}",instance="{t.instance}"}} '
    first = lo + (t.offset_ms - lo) % STEP_MS
    frac = f"{first % 1000:03d}"
    down = [(a, b) for a, b in t.down if a < hi and b > lo]
    missing = [(a, b) for a, b in t.missing if a < hi and b > lo]
    if not down and not missing:  # the usual window: every sample up
        yield "".join([f"{head}1 {s}.{frac}\n" for s in range(first // 1000, (hi - 1) // 1000 + 1, STEP_MS // 1000)
                       if s * 1000 + first % 1000 < hi])
        return
    out = []
    for ms in range(first, hi, STEP_MS):
        if any(a <= ms < b for a, b in missing):
            continue
        v = 0 if any(a <= ms < b for a, b in down) else 1
        out.append(f"{head}{v} {ms // 1000}.{frac}\n")
    yield "".join(out)


def write_window(path: Path, targets: list[Target], lo: int, hi: int) -> int:
    """The samples of ``[lo, hi)`` as OpenMetrics; returns how many."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"# HELP {METRIC} Displays whether or not the probe was a success\n# TYPE {METRIC} gauge\n")
        for t in targets:
            for text in _lines(t, lo, hi):
                n += text.count("\n")
                fh.write(text)
        fh.write("# EOF\n")
    return n


def backfill(fleets: list[Fleet], span: Interval, key: str, jobs: int) -> tuple[list[Path], float, int, bool]:
    """Every fleet's series over ``span`` as blocks (one directory per window, cached under a digest):
    ``(directories, seconds, samples, from cache)``."""
    root = cache_root()
    digest = hashlib.sha256(f"{promtool_version()}\n{key}".encode()).hexdigest()[:20]
    home = root / f"bench-sla-{digest}"
    home.mkdir(parents=True, exist_ok=True)
    for old in root.glob("bench-sla-*"):  # earlier fleets or generators
        if old != home:
            shutil.rmtree(old, ignore_errors=True)
    wins = windows(span.start_ms, span.end_ms)
    dirs = [home / f"{lo}" for lo, _ in wins]
    todo = [(w, d) for w, d in zip(wins, dirs) if not (d / ".complete").exists()]
    if not todo:
        meta = [json.loads(m.read_text()) for d in dirs for m in d.glob("*/meta.json")]
        return dirs, 0.0, sum(m["stats"]["numSamples"] for m in meta), True
    targets = [t for f in fleets for t in f.targets]
    log(f"backfill: {len(todo)} windows of 18 h, {len(targets)} targets, into {home} ({jobs} promtool at once)")
    t0 = time.monotonic()
    running: list[tuple[subprocess.Popen[bytes], Path, Path, int]] = []
    total = done = 0

    def finish(r: tuple[subprocess.Popen[bytes], Path, Path, int]) -> None:
        nonlocal done
        proc, work, final, _n = r
        shutil.rmtree(final, ignore_errors=True)  # a window an interrupted run left half-written
        complete_blocks(proc, work, final, f"window {final.name}")
        done += 1
        el = time.monotonic() - t0
        log(f"  {done}/{len(todo)} windows, {el:.0f} s, ~{el / done * (len(todo) - done):.0f} s left")

    try:
        for (lo, hi), final in todo:
            work = Path(tempfile.mkdtemp(prefix="window-", dir=home))
            n = write_window(work / "in.om", targets, lo, hi)
            total += n
            (work / "blocks").mkdir()
            proc = subprocess.Popen([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics",
                                     "--max-block-duration=24h", str(work / "in.om"), str(work / "blocks")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append((proc, work, final, n))
            while len(running) >= jobs:
                finish(running.pop(0))
        while running:
            finish(running.pop(0))
    finally:
        for proc, work, _final, _n in running:  # interrupted: leave no promtool or half-written window behind
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            shutil.rmtree(work, ignore_errors=True)
    meta = [json.loads(m.read_text()) for d in dirs for m in d.glob("*/meta.json")]
    return dirs, time.monotonic() - t0, sum(m["stats"]["numSamples"] for m in meta), False


# ------------------------------------------------------------------------------------------------ measuring
def queries_answered(url: str) -> float:
    """Prometheus's own count of ``/api/v1/query`` requests (every status code)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("prometheus_http_requests_total{") and 'handler="/api/v1/query"' in line)


def cpu_of(pid: int) -> float:
    """User + system seconds of a running process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Row:
    targets: int
    systems: int
    probe_days: int
    raw_days: int
    wall: float
    cpu: float
    peak_mib: float
    queries: float
    prom_cpu: float
    outages: int
    verdict: str
    exit: int
    load: float  # 1-minute load average when the fleet's runs began

    def per_target_day_us(self, days: int, cpu: bool = False) -> float:
        return (self.cpu if cpu else self.wall) / (self.targets * days) * 1e6


def measure(f: Fleet, folder: Path, url: str, prom_pid: int, period: Period, read: Interval,
            repeat: int) -> Row:
    from govcloud.sla.prom import PromClient
    from govcloud.sla.samples import read_spans
    from govcloud.sla.systems import load_systems

    systems_file = folder / f"systems-{f.size}.yaml"
    systems_file.write_text(yaml.safe_dump(f.systems_doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = folder / f"report-{f.size}.json"
    systems = load_systems(systems_file)
    stats = read_spans(PromClient(url, timeout=120), systems, read).stats  # untimed: what is read, and a warm-up
    cmd = [sys.executable, "-m", "govcloud.cli", "sla", "report", "--prometheus", url, "--month", period.label,
           "--systems", str(systems_file), "--format", "json", "--output", str(out)]
    walls, cpus, peaks, queries, prom_cpus = [], [], [], [], []
    code = 0
    load = os.getloadavg()[0]
    for i in range(repeat):
        q0, p0 = queries_answered(url), cpu_of(prom_pid)
        wall, cpu, peak, code = run_child(cmd)
        queries.append(queries_answered(url) - q0)
        prom_cpus.append(cpu_of(prom_pid) - p0)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        log(f"  {f.size} targets, run {i + 1}/{repeat}: {wall:.2f} s, {cpu:.2f} CPU s, {peak:.0f} MiB")
    doc = json.loads(out.read_text(encoding="utf-8"))
    return Row(f.size, len(f.systems_doc["systems"]), stats.probe_days, stats.raw_probe_days,
               statistics.median(walls), statistics.median(cpus), max(peaks), statistics.median(queries),
               statistics.median(prom_cpus), len(doc["outages"]), doc["verdict"], code, load)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="20,50,200", help="fleet sizes (probe targets), comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--month", default="2026-03", help="the calendar month judged (inside the contract's term)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2), help="promtool processes at once")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="keep the systems files and reports in DIR")
    args = ap.parse_args()
    sizes = sorted({int(s) for s in args.targets.split(",")})
    for tool in (PROMETHEUS, PROMTOOL):
        if not Path(tool).exists():
            log(f"{tool} is needed (Debian 12: apt-get install prometheus)")
            return 1
    contract = load_contract(DEFAULT_CONTRACT)
    period = month(args.month)
    t = term(contract)
    if not (t.start_ms <= period.start_ms and period.end_ms <= t.end_ms):
        log(f"--month {period.label} is not inside the contract's {t.label}")
        return 1
    read = Interval(period.start_ms - lookback_ms(contract), period.end_ms)  # as monthly.evaluate reads
    days = (read.end_ms - read.start_ms) // DAY_MS
    span = Interval(read.start_ms - HOUR_MS, read.end_ms + HOUR_MS)
    fleets = [fleet(n, args.seed, read) for n in sizes]
    for f in fleets:
        print(f"fleet {f.job}: {f.size} targets in {len(f.systems_doc['systems'])} systems, {f.troubles} troubles "
              f"(down stretches), {f.gaps} scrape gaps")
    key = f"{GENERATOR_VERSION}\n{sizes}\n{args.seed}\n{span}\n{RESTART}"
    t0 = time.monotonic()
    dirs, seconds, samples, cached = backfill(fleets, span, key, max(1, args.jobs))
    print(f"month {period.label}: {days} days read (the month and {days - period.ms // DAY_MS} day of lookback), "
          f"probes every {STEP_MS // 1000} s; fleets of {', '.join(map(str, sizes))} targets, "
          f"{samples:,} samples in {len(dirs)} blocks")
    if cached:
        print(f"backfill: from the cache ({dirs[0].parent})")
    else:
        print(f"backfill: {seconds:.0f} s with promtool ({samples / seconds:,.0f} samples/s, "
              f"{args.jobs} at once, text written meanwhile)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-sla-"))
    server = PromServer(tmp / "prometheus", dirs)
    try:
        server.start(timeout=120)
        assert server.proc is not None
        print(f"prometheus: {server.url} (pid {server.proc.pid}), ready {time.monotonic() - t0:.0f} s after start")
        print(f"load average (1, 5, 15 min) before: {_load()} on {os.cpu_count()} CPUs")
        folder = args.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        rows = [measure(f, folder, server.url, server.proc.pid, period, read, args.repeat) for f in fleets]
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"{'targets':>7} {'systems':>7} {'probe-days':>10} {'read raw':>8} {'queries':>7} {'wall s':>7} "
          f"{'CPU s':>6} {'peak MiB':>8} {'prom CPU s':>10} {'µs/target-day':>13} {'CPU µs/t-d':>10} "
          f"{'outages':>7} {'verdict':>9} {'exit':>4} {'load':>5}")
    for r in rows:
        print(f"{r.targets:>7} {r.systems:>7} {r.probe_days:>10} {r.raw_days:>8} {r.queries:>7.0f} {r.wall:>7.2f} "
              f"{r.cpu:>6.2f} {r.peak_mib:>8.0f} {r.prom_cpu:>10.2f} {r.per_target_day_us(days):>13.0f} "
              f"{r.per_target_day_us(days, cpu=True):>10.0f} {r.outages:>7} {r.verdict:>9} {r.exit:>4} "
              f"{r.load:>5.2f}")
    print(f"(median of {args.repeat}; peak MiB the largest; 'read raw' = probe-days read sample by sample; "
          f"prom CPU = Prometheus's CPU seconds answering; load = 1-min load average before the runs)")
    for a, b in pairwise(rows):
        slope = (b.wall - a.wall) / ((b.targets - a.targets) * days) * 1e6
        cslope = (b.cpu - a.cpu) / ((b.targets - a.targets) * days) * 1e6
        print(f"marginal time {a.targets} → {b.targets} targets: {slope:.0f} µs wall, {cslope:.0f} µs CPU "
              f"per target-day")
    if len(rows) > 1:
        lo, hi = rows[0], rows[-1]
        for what, cpu in (("wall", False), ("CPU", True)):
            ratio = hi.per_target_day_us(days, cpu) / lo.per_target_day_us(days, cpu)
            print(f"{what} time per target-day, {hi.targets} vs {lo.targets} targets: x{ratio:.2f} "
                  f"(linear or better: ≤ x{LINEAR_SLACK}) {'PASS' if ratio <= LINEAR_SLACK else 'FAIL'}")
    big = rows[-1]
    print(f"target at {big.targets} targets: wall {big.wall:.2f} s < {TARGET_S:.0f} s "
          f"{'PASS' if big.wall < TARGET_S else 'FAIL'}; peak {big.peak_mib:.0f} MiB < {TARGET_MIB:.0f} MiB "
          f"{'PASS' if big.peak_mib < TARGET_MIB else 'FAIL'}"
          + ("" if big.targets >= 200 else " (the issue's target is stated at 200)"))
    print(f"  (the command waits for each answer, so on an idle machine its wall time is about its CPU plus "
          f"Prometheus's: {big.cpu + big.prom_cpu:.1f} s; a higher wall time is other load: see the load column)")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as exc:
        log(f"benchmarks/sla.py: {exc}")
        sys.exit(1)
