"""PostgreSQL moved with proof: ``pg_dump`` (custom format) at the source, the dump carried by the
verified transfer, ``pg_restore`` at the target, and per-table row counts plus a content digest
computed by the same SQL on both sides (articles 1-2; the exit runbook, articles 58-59, reuses it).

The digest of a table is order-independent: the sum of the first 60 bits of ``md5(row::text)``
over every row, beside ``count(*)``. Rows written to the source after the dump show up as a
count or digest mismatch naming the table.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass
from typing import Any

from govcloud.runbook.engine.errors import StepFailed

from .transfer import Endpoint

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DUMP_ROOT = "/var/tmp/govcloud-dump"

TABLES_SQL = ("SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables "
              "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') "
              "ORDER BY 1")
DIGEST_SQL = ("SELECT '{name}', count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0) "
              "FROM {table} t")


@dataclass(frozen=True)
class TableDigest:
    table: str
    rows: int
    digest: str


def check_name(database: str) -> str:
    if not NAME_RE.match(database):
        raise StepFailed(f"database name {database!r}: expected letters, digits and '_' (an SQL identifier)")
    return database


def _psql(host: Endpoint, database: str, sql: str, *, what: str) -> str:
    cmd = f"sudo -n -u postgres psql -X -v ON_ERROR_STOP=1 -At -d {shlex.quote(database)} -c {shlex.quote(sql)}"
    r = host.run(cmd, what=what)
    if r.returncode != 0:
        raise StepFailed(f"host {host.name}: psql {what} on {database} failed: {r.stderr.strip()[-300:]}")
    return r.stdout


def table_digests(host: Endpoint, database: str) -> list[TableDigest]:
    """Row count and content digest of every table, the same SQL wherever it runs."""
    check_name(database)
    tables = [t for t in _psql(host, database, TABLES_SQL, what="(list tables)").splitlines() if t]
    if not tables:
        return []
    sql = " UNION ALL ".join(DIGEST_SQL.format(name=t.replace("'", "''"), table=t) for t in tables) + " ORDER BY 1"
    out = []
    for line in _psql(host, database, sql, what="(table digests)").splitlines():
        name, rows, digest = line.split("|")
        out.append(TableDigest(name, int(rows), digest))
    return out


def compare_tables(source: list[TableDigest], target: list[TableDigest], *,
                   names: tuple[str, str] = ("at the source", "at the target")) -> list[str]:
    """Each table whose count or digest differs, or that one side lacks, as a sentence."""
    a, b = names
    got = {t.table: t for t in target}
    problems = []
    for s in source:
        t = got.pop(s.table, None)
        if t is None:
            problems.append(f"{s.table}: missing {b}")
        elif t.rows != s.rows:
            problems.append(f"{s.table}: {s.rows} rows {a}, {t.rows} {b}")
        elif t.digest != s.digest:
            problems.append(f"{s.table}: content digest differs ({s.rows} rows on both sides)")
    problems += [f"{name}: {b} only" for name in sorted(got)]
    return problems


def digests_doc(host: Endpoint, database: str, tables: list[TableDigest]) -> dict[str, Any]:
    return {"kind": "govcloud/table-digests", "host": host.name, "database": database,
            "method": "count(*) and sum of the first 60 bits of md5(row::text)",
            "tables": [asdict(t) for t in tables]}


def dump(host: Endpoint, database: str) -> str:
    """``pg_dump -Fc`` into DUMP_ROOT/<database>/ on the host; returns that directory."""
    check_name(database)
    d = f"{DUMP_ROOT}/{database}"
    cmd = (f"sudo -n install -d -o postgres -m 0700 {d} && "
           f"sudo -n -u postgres pg_dump -Fc -d {database} -f {d}/{database}.dump.tmp && "
           f"sudo -n mv {d}/{database}.dump.tmp {d}/{database}.dump")
    r = host.run(cmd, what=f"(pg_dump {database})", timeout=1800)
    if r.returncode != 0:
        raise StepFailed(f"host {host.name}: pg_dump {database} failed: {r.stderr.strip()[-300:]}")
    return d


def restore(host: Endpoint, database: str) -> None:
    """Create the database if needed, then ``pg_restore --clean --if-exists`` the transferred dump."""
    check_name(database)
    f = f"{DUMP_ROOT}/{database}/{database}.dump"
    cmd = (f"sudo -n chown -R postgres {DUMP_ROOT}/{database} && "
           f"(sudo -n -u postgres psql -X -At -c \"SELECT 1 FROM pg_database WHERE datname = '{database}'\" | grep -q 1 "
           f"|| sudo -n -u postgres createdb {database}) && "
           f"sudo -n -u postgres pg_restore --clean --if-exists --no-owner --exit-on-error -d {database} {f}")
    r = host.run(cmd, what=f"(pg_restore {database})", timeout=1800)
    if r.returncode != 0:
        raise StepFailed(f"host {host.name}: pg_restore {database} failed: {r.stderr.strip()[-300:]}")


def remove_dump(host: Endpoint, database: str) -> str:
    """Delete DUMP_ROOT/<database>/ on the host once the restore is verified; returns the path."""
    check_name(database)
    d = f"{DUMP_ROOT}/{database}"
    r = host.run(f"sudo -n rm -rf {d} && ! sudo -n test -e {d}", what=f"(removing the dump {d})")
    if r.returncode != 0:
        raise StepFailed(f"host {host.name}: cannot remove {d}: {r.stderr.strip()[-300:]}")
    return d


def dump_present(host: Endpoint, database: str) -> bool:
    check_name(database)
    return host.run(f"sudo -n test -e {DUMP_ROOT}/{database}", what="(dump check)").returncode == 0


def set_read_only(host: Endpoint, database: str, read_only: bool) -> int:
    """New sessions of ``database`` read-only (or read-write again); with ``read_only`` the sessions
    already open are ended, so none keeps writing. Returns how many sessions were ended."""
    check_name(database)
    if not read_only:
        _psql(host, "postgres", f"ALTER DATABASE {database} RESET default_transaction_read_only", what="(unfreeze)")
        return 0
    _psql(host, "postgres", f"ALTER DATABASE {database} SET default_transaction_read_only = on", what="(freeze)")
    out = _psql(host, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  f"WHERE datname = '{database}' AND pid <> pg_backend_pid()", what="(end sessions)")
    return int(out.strip() or 0)


def write_refused(host: Endpoint, database: str) -> tuple[bool, str]:
    """Try a write in a new session (a temporary table, rolled back): refused means writes are stopped."""
    check_name(database)
    sql = "BEGIN; CREATE TEMP TABLE govcloud_freeze_probe (i int); ROLLBACK;"
    r = host.run(f"sudo -n -u postgres psql -X -v ON_ERROR_STOP=1 -At -d {database} -c {shlex.quote(sql)}",
                 what="(write probe)")
    refused = r.returncode != 0 and "read-only transaction" in r.stderr
    return refused, (r.stderr.strip().splitlines() or ["write accepted"])[-1]
