"""A live monitoring stack the test owns: ``/usr/bin/prometheus-blackbox-exporter`` and ``/usr/bin/prometheus``
as plain processes on 127.0.0.1 (free ports, their own config files and data directory), stopped by pid — not
the Debian packages' services.

Prometheus's scrape configuration is derived from a systems file: per job, one scrape config over the exporter's
``/probe`` with the blackbox relabelling (``__address__`` → ``__param_target`` → ``instance``, the probe's
module as ``__param_module``), so every probe's series is ``probe_success{job=<the probe's job>,
instance=<its target>}``, the labels ``govcloud.sla.samples`` selects it by. The scrape interval is the file's
``interval_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import pytest
import yaml

from govcloud.sla.prom import PromClient, Sample, regex_any, selector
from govcloud.sla.systems import SystemsFile

from ..sla.promserver import PROMETHEUS, Daemon, free_port

BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
#: (binary, Debian package): CI installs them from deps/apt-test.txt
TOOLS = ((PROMETHEUS, "prometheus"), (BLACKBOX, "prometheus-blackbox-exporter"))
PROBE_TIMEOUT_S = 1  # the LAN answers in milliseconds; a probe never outlives a 2 s interval
MODULES = {  # the blackbox modules a systems file may name
    "ssh_banner": {"prober": "tcp", "timeout": f"{PROBE_TIMEOUT_S}s",
                   "tcp": {"query_response": [{"expect": "^SSH-2.0-"}]}},
    "tcp_connect": {"prober": "tcp", "timeout": f"{PROBE_TIMEOUT_S}s"},
}


def require_tools() -> None:
    """Fail (never skip) when a binary is missing: a skipped live test proves nothing in CI."""
    missing = [f"{binary} (apt-get install {package})" for binary, package in TOOLS if not Path(binary).exists()]
    if missing:
        pytest.fail(f"the live SLA test needs {', '.join(missing)}; deps/apt-test.txt lists both", pytrace=False)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def blackbox_yaml() -> str:
    return yaml.safe_dump({"modules": MODULES}, sort_keys=False)


def prometheus_yaml(systems: SystemsFile, exporter: str) -> str:
    """One scrape config per job of the systems file's probes, every ``interval_seconds``, through ``exporter``."""
    interval = systems.interval_seconds
    jobs: dict[str, list[dict]] = {}
    for p in systems.probes:
        if p.module not in MODULES:
            raise ValueError(f"probe {p.id}: module {p.module!r} is not one of {sorted(MODULES)}")
        jobs.setdefault(p.job, []).append({"targets": [p.target], "labels": {"__param_module": p.module}})
    scrapes = [{
        "job_name": job, "scrape_interval": f"{interval}s",
        # the most Prometheus allows; the exporter takes 0.5 s off it and keeps the module's timeout if shorter
        "scrape_timeout": f"{interval}s",
        "metrics_path": "/probe", "static_configs": targets,
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter},
        ]} for job, targets in jobs.items()]
    return yaml.safe_dump({"global": {"evaluation_interval": "1m"}, "scrape_configs": scrapes}, sort_keys=False)


@dataclass
class LiveMonitor:
    """The exporter and Prometheus over ``systems``' probes, in ``workdir``; a context manager."""

    workdir: Path
    systems: SystemsFile
    daemons: list[Daemon] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> PromClient:
        return PromClient(self.url, timeout=10)

    def start(self) -> Self:
        require_tools()
        self.workdir.mkdir(parents=True, exist_ok=True)
        bb_port, self.port = free_port(), free_port()
        bb_config, prom_config = self.workdir / "blackbox.yml", self.workdir / "prometheus.yml"
        bb_config.write_text(blackbox_yaml(), encoding="utf-8")
        prom_config.write_text(prometheus_yaml(self.systems, f"127.0.0.1:{bb_port}"), encoding="utf-8")
        self.daemons = [
            Daemon("blackbox exporter", [BLACKBOX, f"--config.file={bb_config}",
                                         f"--web.listen-address=127.0.0.1:{bb_port}", "--log.level=warn"],
                   self.workdir / "blackbox.log", f"http://127.0.0.1:{bb_port}/-/healthy"),
            Daemon("prometheus", [PROMETHEUS, f"--config.file={prom_config}",
                                  f"--storage.tsdb.path={self.workdir / 'data'}",
                                  f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                   self.workdir / "prometheus.log", f"{self.url}/-/ready"),
        ]
        try:
            for d in self.daemons:
                d.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for d in reversed(self.daemons):
            d.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def samples(self, since_ms: int) -> dict[str, list[Sample]]:
        """``target → samples`` of every probe of the file's job since ``since_ms`` (one job: this test's)."""
        targets = sorted({p.target for p in self.systems.probes})
        sel = selector(self.systems.metric, job=self.systems.job, instance=("=~", regex_any(targets)))
        out: dict[str, list[Sample]] = {t: [] for t in targets}
        for labels, samples in self.client.raw(sel, since_ms, now_ms() + 1):
            out.setdefault(labels.get("instance", ""), []).extend(samples)
        return out

    def wait_for(self, what: str, done: Callable[[dict[str, list[Sample]]], bool], since_ms: int,
                 timeout: float) -> dict[str, list[Sample]]:
        """Poll the samples since ``since_ms`` (every half interval) until ``done`` holds of them."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.samples(since_ms)
            if done(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; samples since {since_ms}: {got}; "
                                     f"exporter log: {self.daemons[0].tail()}")
            time.sleep(self.systems.interval_seconds / 2)
