"""One lab for every runbook host test: the source host (the old provider's) and the stack's
app host as the target, a generated data set on the source. Booted once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govcloud.labhosts import BaseImage, Lab, LabError
from govcloud.runbook.remote.transfer import Endpoint, Manifest, inventory_endpoints, make_manifest

from ..conftest import _progress
from .dataset import GENERATE, generate_command

SOURCE, TARGET, DB_TARGET = "old-app-01", "lab-app-01", "lab-db-01"
DATABASE, ROWS = "court", 1_000_000
DATA = "/srv/data"
SMALL_FILES, LARGE_FILES, LARGE_MB = 3000, 3, 8


@dataclass
class MigrationLab:
    lab: Lab
    source: Endpoint
    target: Endpoint
    data_bytes: int
    source_manifest: Manifest

    @property
    def inventory(self) -> Path:
        return self.lab.state_dir / "inventory.yml"


@pytest.fixture(scope="session")
def mlab(lab_base: BaseImage, pytestconfig: pytest.Config) -> Iterator[MigrationLab]:
    say = _progress(pytestconfig)
    try:
        lab = Lab.start(names=[SOURCE, TARGET, DB_TARGET], groups={"app": [TARGET], "db": [DB_TARGET]},
                        base=lab_base, progress=say)
    except LabError as exc:
        pytest.fail(f"lab boot failed: {exc}", pytrace=False)
    try:
        total = int(lab.ssh(SOURCE, generate_command(DATA, small=SMALL_FILES, large=LARGE_FILES, large_mb=LARGE_MB),
                            input_text=GENERATE).stdout.strip())
        eps = inventory_endpoints(lab.state_dir / "inventory.yml")
        manifest = make_manifest(eps[SOURCE], DATA)
        assert manifest.total_bytes == total and len(manifest.files) == SMALL_FILES + LARGE_FILES
        say(f"runbook lab: {len(manifest.files)} files, {total / 1e6:.1f} MB on {SOURCE}:{DATA}")
        yield MigrationLab(lab, eps[SOURCE], eps[TARGET], total, manifest)
    finally:
        problems = lab.stop()
        assert not problems, f"lab teardown problems: {problems}"


# what the vuln_scan role's scan script runs (playbooks/roles/vuln_scan/templates/govcloud-vuln-scan.sh.j2)
LYNIS_SCAN = ("sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis >/dev/null && "
              "sudo -n mkdir -p /var/lib/govcloud/vuln-scan && s=$(date +%Y%m%dT%H%M%S) && "
              "sudo -n lynis audit system --quick --no-colors --quiet --report-file /var/lib/govcloud/vuln-scan/lynis-$s.dat "
              "--logfile /var/lib/govcloud/vuln-scan/lynis-$s.log >/dev/null 2>&1; "
              "sudo -n grep -q '^hardening_index=' /var/lib/govcloud/vuln-scan/lynis-$s.dat")
PG_INSTALL = "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null"
SOURCE_DB_SQL = f"""
CREATE TABLE cases (id bigint PRIMARY KEY, title text NOT NULL, filed timestamptz NOT NULL);
INSERT INTO cases SELECT g, md5(g::text), timestamptz '2025-06-01' + g * interval '1 second'
  FROM generate_series(1, {ROWS}) g;
CREATE TABLE parties (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO parties (name) SELECT 'party ' || g FROM generate_series(1, 1000) g;
"""


@pytest.fixture(scope="session")
def pglab(mlab: MigrationLab, pytestconfig: pytest.Config) -> MigrationLab:
    """PostgreSQL 15 (from the base's package cache) on the source and the cloud db host; the
    source holds database `court`: a table of a million rows and a small one."""
    import subprocess

    say = _progress(pytestconfig)
    procs = [subprocess.Popen(mlab.lab.host(h).ssh_command(cmd), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
             for h, cmd in ((SOURCE, PG_INSTALL), (DB_TARGET, PG_INSTALL), (TARGET, LYNIS_SCAN))]
    for p in procs:
        out, _ = p.communicate(timeout=1200)  # apt and lynis are slow on a loaded 2-core machine
        assert p.returncode == 0, f"postgresql install failed: {out[-2000:]}"
    mlab.lab.ssh(SOURCE, f"sudo -n -u postgres createdb {DATABASE}")
    mlab.lab.ssh(SOURCE, f"sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -d {DATABASE}", input_text=SOURCE_DB_SQL,
                 timeout=1200)
    say(f"runbook lab: PostgreSQL on {SOURCE} and {DB_TARGET}; {DATABASE} has {ROWS} + 1000 rows; "
        f"lynis report on {TARGET}")
    return mlab
