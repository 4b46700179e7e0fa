"""A real Prometheus for the SLA tests: scenarios written as OpenMetrics, backfilled with ``promtool tsdb
create-blocks-from openmetrics --max-block-duration=24h``, served by ``/usr/bin/prometheus`` as a process the
test owns on 127.0.0.1 (free port, its own data directory, ``--storage.tsdb.retention.time=10y`` so start-up
does not delete the backfilled blocks), stopped by its pid.

promtool's blocks are kept in govcloud's cache directory under a digest of the series' definition and the promtool
version, so a second run copies them instead of backfilling again (a scenario changed is a new digest).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from govcloud.schemas import validator_cache_dir

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
METRIC = "probe_success"
OPENMETRICS_VERSION = 1  # of ``openmetrics``'s output: change it when the text it writes changes


@dataclass(frozen=True)
class Series:
    """One target's samples: every ``step_s`` from ``start_s + offset_s`` up to ``end_s`` (seconds since the
    epoch), 0 inside any ``down`` interval, none inside any ``missing`` interval (half-open, seconds)."""

    job: str
    instance: str
    start_s: int
    end_s: int
    step_s: int
    offset_s: int = 0
    down: tuple[tuple[int, int], ...] = ()
    missing: tuple[tuple[int, int], ...] = ()

    def samples(self) -> Iterator[tuple[int, int]]:
        t = self.start_s + self.offset_s
        while t < self.end_s:
            if not any(a <= t < b for a, b in self.missing):
                yield t, 0 if any(a <= t < b for a, b in self.down) else 1
            t += self.step_s


def openmetrics(series: Iterable[Series]) -> str:
    lines = [f"# HELP {METRIC} Displays whether or not the probe was a success", f"# TYPE {METRIC} gauge"]
    for s in series:
        head = f'{METRIC}{{job="{s.job}",instance="{s.instance}"}} '
        lines += [f"{head}{v} {t}" for t, v in s.samples()]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def promtool_version() -> str:
    out = subprocess.run([PROMTOOL, "--version"], capture_output=True, text=True, check=True)
    return (out.stdout or out.stderr).splitlines()[0]


def cache_root() -> Path:
    return validator_cache_dir().parent / "sla-tsdb"


def backfill(series: dict[str, list[Series]], cache: Path | None = None) -> dict[str, Path]:
    """Each named set of series backfilled (``name → directory of blocks``), by promtool in parallel where the
    cache does not hold it yet. The cache key is the series' definition (not the text, which takes a while
    to write), the OpenMetrics writer's version and promtool's."""
    cache = cache or cache_root()
    cache.mkdir(parents=True, exist_ok=True)
    version = promtool_version()
    out: dict[str, Path] = {}
    running: list[tuple[subprocess.Popen[bytes], Path, Path, str]] = []
    for name, defs in series.items():
        digest = hashlib.sha256(f"{version}\n{OPENMETRICS_VERSION}\n{defs!r}".encode()).hexdigest()[:20]
        final = cache / f"{name}-{digest}"
        out[name] = final
        if (final / ".complete").exists():
            continue
        work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=cache))
        (work / "in.om").write_text(openmetrics(defs), encoding="utf-8")
        (work / "blocks").mkdir()
        proc = subprocess.Popen([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h",
                                 str(work / "in.om"), str(work / "blocks")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        running.append((proc, work, final, name))
        if len(running) >= max(2, os.cpu_count() or 2):
            _finish(running.pop(0))
    for r in running:
        _finish(r)
    return out


def complete_blocks(proc: subprocess.Popen[bytes], work: Path, final: Path, what: str) -> None:
    """Wait for a ``promtool tsdb create-blocks-from openmetrics`` of ``work/in.om`` into ``work/blocks``, mark the
    blocks whole (``.complete``) and move them to ``final`` atomically; the scratch folder ``work`` is removed."""
    _, err = proc.communicate()
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(f"promtool backfill of {what} failed: {err.decode(errors='replace')[-2000:]}")
    (work / "in.om").unlink()
    (work / "blocks" / ".complete").write_text("ok\n")
    try:
        (work / "blocks").rename(final)  # atomic: another run copies either nothing or every block
    except OSError:
        if not (final / ".complete").exists():  # not a concurrent run that finished first
            raise
    shutil.rmtree(work, ignore_errors=True)


def _finish(r: tuple[subprocess.Popen[bytes], Path, Path, str]) -> None:
    proc, work, final, name = r
    complete_blocks(proc, work, final, name)
    for old in final.parent.glob(f"{name}-*"):  # earlier versions of this scenario
        if old != final and (old / ".complete").exists():
            shutil.rmtree(old, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Daemon:
    """One process the test owns, ready when ``ready_url`` answers 200; stopped by its pid."""

    name: str
    argv: list[str]
    log: Path
    ready_url: str
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}): {self.tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready at {self.ready_url} within {timeout} s: {self.tail()}")

    def stop(self) -> None:
        """Terminate by pid, wait, kill if it will not stop."""
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"


@dataclass
class PromServer:
    """``/usr/bin/prometheus`` on 127.0.0.1 over a data directory holding the given blocks."""

    workdir: Path
    blocks: list[Path]
    port: int = 0
    daemon: Daemon | None = None
    log: Path = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> PromServer:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        for src in self.blocks:
            for block in src.iterdir():
                if block.is_dir():
                    shutil.copytree(block, data / block.name)
        config = self.workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")  # scrapes nothing
        self.port = self.port or free_port()
        self.log = self.workdir / "prometheus.log"
        self.daemon = Daemon("prometheus", [
            PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=10y",
            # no compaction of the backfilled blocks while the tests query them
            "--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h",
            f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"], self.log, f"{self.url}/-/ready")
        self.daemon.start(timeout)
        return self

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.daemon.proc if self.daemon else None

    def stop(self) -> None:
        """Terminate by pid, wait, kill if it will not stop."""
        if self.daemon:
            self.daemon.stop()

    def __enter__(self) -> PromServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
