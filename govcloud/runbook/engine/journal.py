"""The run journal: JSON lines in ``RUN_DIR/journal.jsonl``, each record flushed and fsync'd.

A record is on disk before the next thing happens, so a SIGKILL loses at most the record
being written; a torn last line is ignored when read (and said so).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govcloud.errors import InputError

JOURNAL = "journal.jsonl"

# step states, last record wins
STARTED, VERIFIED, FAILED, BLOCKED, UNVERIFIED = "started", "verified", "failed", "blocked", "unverified"
WAITING = "waiting"  # the precondition waits for an outside party (exit 3); resume when it has acted


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Journal:
    """Append-only; every ``append`` is durable when it returns."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / JOURNAL
        created = not self.path.exists()
        self._fh = open(self.path, "a", encoding="utf-8")
        if created:
            dfd = os.open(run_dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"ts": now(), "event": event, "pid": os.getpid(), **fields}
        self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return record

    def close(self) -> None:
        self._fh.close()


@dataclass(frozen=True)
class JournalRead:
    records: tuple[dict[str, Any], ...]
    torn_tail: bool


def read_journal(path: Path) -> JournalRead:
    """Every complete record; a torn last line (a kill mid-write) is dropped, a torn middle line is an error."""
    if path.is_dir():
        path = path / JOURNAL
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError.one(path, "", "no journal here: expected a run directory holding journal.jsonl") from None
    records: list[dict[str, Any]] = []
    torn = False
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or "event" not in rec:
                raise ValueError("not a journal record")
        except ValueError:
            if n == len(lines):
                torn = True
                break
            raise InputError.one(path, f"line {n}", "expected one JSON journal record per line", n) from None
        records.append(rec)
    return JournalRead(tuple(records), torn)


def step_states(records: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last word on each step: ``{"state", "started", "ended", "evidence", "detail", "attempts", "skips"}``."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        sid = r.get("step")
        if not sid:
            continue
        st = out.setdefault(sid, {"state": "pending", "attempts": 0, "skips": 0, "started": None, "ended": None,
                                  "evidence": [], "detail": None, "seconds": None})
        if r["event"] == "step-start":
            st.update(state=STARTED, started=r["ts"], ended=None)
            st["attempts"] += 1
        elif r["event"] == "step-end":
            st.update(state=r["result"], ended=r["ts"], evidence=r.get("evidence", []), detail=r.get("detail"),
                      seconds=r.get("seconds"))
        elif r["event"] == "step-skip":
            st["skips"] += 1
    return out
