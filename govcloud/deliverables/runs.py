"""Runbook runs read from their journals (``RUN_DIR/journal.jsonl``, govcloud.runbook.engine.journal) for the change
documents of article 16: per run its runbook, system, stack, start and end, result, steps, the work order it filed
(article 23) and the approval it recorded (the court's acceptance of an exit, article 58).

``--journals DIR`` is a folder of run directories, as ``govcloud runbook`` writes them (``runs/<runbook>/<system>``):
every folder holding a ``journal.jsonl`` is one run, and its subfolders are that run's evidence (a migration's
bundle keeps a copy of the journal), not runs. The figures come from the journal alone, so the same journals give
the same document: a run without an end record is ``未结束`` whether or not its process still lives. A run of
another stack is refused naming the journal and the field; a run of no stack (``runbook run FILE``) works under the
default contract, refused when that is not this one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from govcloud.containment import contained
from govcloud.errors import InputError
from govcloud.limits import json_limits
from govcloud.runbook.engine.journal import JOURNAL, read_journal, step_states
from govcloud.sla.clock import TZ

FLAG = "--journals DIR"
MAX_DEPTH = 6  # runs/<runbook>/<system> is two levels; a folder of such folders three

RESULT_ZH = {"completed": "全部步骤已验证", "paused": "按计划暂停（--stop-before）", "blocked": "前置条件不满足，已停止",
             "unverified": "步骤未通过验证，已停止", "failed": "步骤执行失败，已停止", "waiting": "等待外部方（如法院验收）"}
NO_END_ZH = "未结束（日志无结束记录）"
STATE_ZH = {"pending": "未开始", "started": "已开始（无结束记录）", "verified": "已验证", "failed": "失败",
            "blocked": "前置条件不满足", "unverified": "未通过验证", "waiting": "等待外部方"}
GOOD_RESULTS = ("completed", "paused", "waiting")  # nothing went wrong (the rest are flagged)


@dataclass(frozen=True)
class StepRun:
    """One step of a run: its last recorded state (the journal's last word on it)."""

    id: str
    title: str
    clause: str
    state: str  # pending | started | verified | failed | blocked | unverified | waiting
    attempts: int
    started: datetime | None
    ended: datetime | None

    @property
    def state_zh(self) -> str:
        return STATE_ZH.get(self.state, self.state)


@dataclass(frozen=True)
class RunRecord:
    """One run directory's journal."""

    journal: Path
    name: str  # the run directory relative to the folder given (``migrate-in/litigation``)
    runbook: str
    stack: str | None  # the run's ``stack`` parameter; None for a run of no stack
    system: str
    started: datetime  # the first run-start
    ended: datetime  # the last record
    result: str | None  # the last attempt's run-end result; None when it has none
    stopped_at: str | None
    attempts: int  # run-start records: 1 + resumes
    steps: tuple[StepRun, ...]
    work_order: str | None  # the order id a step recorded (article 23)
    approval: str | None  # who approved, as a step recorded it (the court's acceptance of an exit)
    torn_tail: bool

    @property
    def verified(self) -> int:
        return sum(s.state == "verified" for s in self.steps)

    @property
    def result_zh(self) -> str:
        if self.result is None:
            return NO_END_ZH
        text = RESULT_ZH.get(self.result, self.result)
        return f"{text}（{self.stopped_at}）" if self.stopped_at else text

    @property
    def went_wrong(self) -> bool:
        """Stopped by a failed, blocked or unverified step, or without an end: flagged in the documents."""
        return self.result not in GOOD_RESULTS


@dataclass(frozen=True)
class Runs:
    """Every run under the folder given, by start then name; ``touching`` those a document of a period lists."""

    folder: Path
    given: tuple[RunRecord, ...]

    def touching(self, first: date, last: date) -> list[RunRecord]:
        """Runs whose span (first start to last record) touches the Beijing days ``first``..``last``."""
        start = datetime.combine(first, datetime.min.time(), TZ)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ)
        return [r for r in self.given if r.started < end and r.ended >= start]


def journal_files(folder: Path) -> list[Path]:
    """Each ``journal.jsonl`` under ``folder`` (the folder itself may be a run directory); a run directory's
    subfolders are not searched; links leaving the folder are refused."""
    if not folder.is_dir():
        raise InputError.one(folder, "", f"expected a folder of runbook run directories for {FLAG} "
                                         "(e.g. runs/), " + ("got a file" if folder.exists() else "not found"))
    found = []
    for here, dirs, files in os.walk(folder):
        depth = len(Path(here).relative_to(folder).parts)
        if JOURNAL in files:
            found.append(contained(folder, Path(here, JOURNAL).relative_to(folder), file=folder,
                                   field=str(Path(here, JOURNAL).relative_to(folder))))
            dirs[:] = []  # the run's own folders: evidence, not runs
        elif depth >= MAX_DEPTH:
            dirs[:] = []
        dirs.sort()
    return sorted(found)


def _ts(journal: Path, n: int, rec: Mapping[str, Any]) -> datetime:
    try:
        t = datetime.fromisoformat(str(rec.get("ts")))
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise InputError.one(journal, f"records[{n}].ts",
                             f"an ISO 8601 time with its UTC offset, got {rec.get('ts')!r}")
    return t


def _steps(journal: Path, n: int, start: Mapping[str, Any], records: tuple[dict[str, Any], ...]) -> tuple[StepRun, ...]:
    listed = start.get("steps")
    if not isinstance(listed, list) or not all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in listed):
        raise InputError.one(journal, f"records[{n}].steps", "the runbook's steps as the run started them "
                                                             "(a list of {id, title, clause})")
    states = step_states(records)
    out = []
    for s in listed:
        st = states.get(s["id"], {})
        started, ended = st.get("started"), st.get("ended")
        out.append(StepRun(s["id"], str(s.get("title", "")), str(s.get("clause", "")), st.get("state", "pending"),
                           st.get("attempts", 0), datetime.fromisoformat(started) if started else None,
                           datetime.fromisoformat(ended) if ended else None))
    return tuple(out)


def _recorded(records: tuple[dict[str, Any], ...]) -> tuple[str | None, str | None]:
    """The work order id and the approval (``法院 张三，2026-06-02 10:30``) verified steps recorded."""
    order = approval = None
    for r in records:
        if r["event"] != "step-end" or r.get("result") != "verified" or not isinstance(r.get("detail"), dict):
            continue
        action = r["detail"].get("action")
        if not isinstance(action, dict):
            continue
        if isinstance(action.get("order_id"), str):
            order = action["order_id"]
        if isinstance(action.get("accepted_by"), str):
            at = str(action.get("accepted_at") or "")
            try:
                at = datetime.fromisoformat(at).astimezone(TZ).strftime("%Y-%m-%d %H:%M")
            except ValueError:
                pass
            who = " ".join(str(x) for x in (action.get("organisation"), action["accepted_by"]) if x)
            approval = f"{who}（{r['step']}，{at}）" if at else f"{who}（{r['step']}）"
    return order, approval


def load_run(journal: Path, folder: Path, contract_number: str, stack: str) -> RunRecord:
    """One run from its journal; a run of another stack (or, without one, of another contract) is refused."""
    too_large = json_limits().too_large(journal.stat().st_size)
    if too_large:
        raise InputError.one(journal, "", too_large)
    read = read_journal(journal)
    records = read.records
    starts = [(n, r) for n, r in enumerate(records) if r["event"] == "run-start"]
    if not starts:
        raise InputError.one(journal, "records", "a runbook journal beginning with a run-start record, found none")
    n0, first = starts[0]
    params = first.get("params")
    if not isinstance(first.get("runbook"), str) or not isinstance(params, dict):
        raise InputError.one(journal, f"records[{n0}]", "a run-start record with the runbook's name and its params")
    run_stack = params.get("stack")
    if run_stack is not None and run_stack != stack:
        raise InputError.one(journal, f"records[{n0}].params.stack", f"a run of stack {stack}, got stack "
                                                                     f"{run_stack}'s")
    if run_stack is None:
        from govcloud.runbook.steps.stack_contract import run_contract

        other = run_contract(params).number  # a run of no stack works under the default contract
        if other != contract_number:
            raise InputError.one(journal, f"records[{n0}].params", f"a run of stack {stack} (contract "
                                                                   f"{contract_number}); a run of no stack works "
                                                                   f"under contract {other}")
    n_last, last = starts[-1]
    end = next((r for r in reversed(records[n_last:]) if r["event"] == "run-end"), None)
    order, approval = _recorded(records)
    run_dir = journal.parent
    name = str(run_dir.relative_to(folder)) if run_dir != folder else folder.name
    return RunRecord(journal, name, first["runbook"], run_stack, str(params.get("system") or "—"),
                     _ts(journal, n0, first), _ts(journal, len(records) - 1, records[-1]),
                     str(end["result"]) if end else None, end.get("stopped_at") if end else None, len(starts),
                     _steps(journal, n_last, last, records), order, approval, read.torn_tail)


def load_runs(folder: Path, contract_number: str, stack: str) -> Runs:
    """Every run under ``folder``, by first start then name."""
    files = journal_files(folder)  # errors name the folder as given
    runs = [load_run(j, folder.resolve(), contract_number, stack) for j in files]
    return Runs(folder, tuple(sorted(runs, key=lambda r: (r.started, r.name))))
