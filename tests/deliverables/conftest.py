"""The deliverables tests' inputs: a real SLA report, produced by ``govcloud sla report --format json`` against
the SLA tests' real backfilled Prometheus (their session fixtures, shared) for the ``carrier`` month, with an
incident record answered late and two maintenance windows (one approved), so every section has something."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.sla.conftest import prom_server, systems_files  # noqa: F401  (session fixtures, shared)
from tests.sla.promserver import PromServer
from tests.sla.recordkit import CARRIER_INCIDENTS

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-03"

INCIDENTS = CARRIER_INCIDENTS

CHANGES = """
    kind: govcloud/sla-changes
    version: 1
    changes:
      - id: CHG-12
        systems: [office]
        start: "2026-03-07T01:00:00+08:00"
        end: "2026-03-07T03:00:00+08:00"
        change: 操作系统补丁
        approved: {by: 李娜, at: "2026-03-05T10:00:00+08:00"}
      - id: CHG-13
        systems: [litigation]
        start: "2026-03-21T02:00:00+08:00"
        end: "2026-03-21T02:30:00+08:00"
        change: 未经批准的重启
        approved: false
    """


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sla_report_doc(prom_server: PromServer, systems_files, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
                   ) -> dict[str, Any]:
    """The JSON of ``govcloud sla report`` for the carrier month, as a user runs it (exit 2: findings)."""
    folder = tmp_path_factory.mktemp("sla-inputs")
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "sla", "report", "--prometheus", prom_server.url,
                        "--month", MONTH, "--systems", str(systems_files["carrier"].path),
                        "--incidents", str(_write(folder, "incidents.yaml", INCIDENTS)),
                        "--changes", str(_write(folder, "changes.yaml", CHANGES)), "--format", "json"],
                       check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    return json.loads(r.stdout)
