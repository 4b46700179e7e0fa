"""The SLA tests' real Prometheus: every scenario of ``scenarios.py`` backfilled into one server, started once
per session and stopped by its pid (``promserver.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from govcloud.sla.prom import PromClient
from govcloud.sla.systems import SystemsFile, load_systems

from . import scenarios
from .promserver import PROMETHEUS, PROMTOOL, PromServer, backfill


@pytest.fixture(scope="session")
def prom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromServer]:
    for tool in (PROMETHEUS, PROMTOOL):
        if not Path(tool).exists():
            pytest.fail(f"{tool} is needed (Debian 12: apt-get install prometheus)", pytrace=False)
    blocks = backfill({s.job: s.series() for s in scenarios.ALL})
    server = PromServer(tmp_path_factory.mktemp("prometheus"), list(blocks.values()))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prom(prom_server: PromServer) -> PromClient:
    return PromClient(prom_server.url, timeout=30)


@pytest.fixture(scope="session")
def systems_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SystemsFile]:
    """Each scenario's systems file, written as YAML and read back through its schema."""
    folder = tmp_path_factory.mktemp("systems")
    out = {}
    for s in scenarios.ALL:
        path = folder / f"{s.job}.yaml"
        path.write_text(yaml.safe_dump(s.systems_doc(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        out[s.job] = load_systems(path)
    return out
