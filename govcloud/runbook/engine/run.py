"""Run a runbook: precondition → action → evidence digests → verification, one step at a time.

The journal says what happened; ``resume`` skips every step the journal shows verified (a
finished step never runs twice) and starts at the first one that is not. Exit codes:
0 every step verified, 2 a step blocked by its precondition or not verified (a finding,
e.g. article 24's security gate), 1 an action failed or the run could not start, 3 a step waits
for an outside party (its precondition said ``waiting``, e.g. the court's acceptance of an exit,
article 58): nothing is wrong, ``--resume`` continues once that party has acted. Exit 3 too when
the operator asked the run to pause before a step (``--stop-before STEP``, e.g. the bulk copy of
a migration ahead of its maintenance window, the cut-over in it): the run ends ``paused`` with
that step not started.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Mapping

from rich.console import Console
from rich.table import Table

from govcloud.exitcodes import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_WAITING

from . import registry
from .calls import run_action, run_check
from .context import RunContext
from .errors import RunbookError
from .journal import (
    BLOCKED,
    FAILED,
    JOURNAL,
    UNVERIFIED,
    VERIFIED,
    WAITING,
    Journal,
    read_journal,
    sha256_file,
    step_states,
)
from .lock import RunLock
from .model import Runbook, Step, render

PAUSED = "paused"  # a run-end result only: the step itself stays pending


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    exit_code: int
    stopped_at: str | None  # the step that did not verify, None when all did
    result: str  # completed | blocked | unverified | failed | waiting | paused


def dry_run(runbook: Runbook, params: Mapping[str, str], run_dir: Path | None, console: Console) -> RunOutcome:
    """Print the steps and what each would touch; creates, locks and changes nothing."""
    states = {}
    params = {**params, "run_dir": str(run_dir) if run_dir else "RUN_DIR"}
    if run_dir is not None and (run_dir / JOURNAL).exists():
        states = step_states(read_journal(run_dir).records)
    t = Table(title=f"runbook {runbook.name} (dry run: nothing is touched)", show_lines=True)
    for col in ("#", "step", "clause", "action", "touches", "precondition / verification", "evidence", "journal"):
        t.add_column(col, overflow="fold")
    for i, s in enumerate(runbook.steps, 1):
        st = states.get(s.id, {}).get("state", "pending")
        t.add_row(str(i), f"{s.id}\n{render(s.title, params)}", s.clause, render(s.action.describe(), params),
                  "\n".join(render(list(s.touches), params) + planned(s, params)) or "-",
                  render(f"{s.precondition.describe()}\n{s.verification.describe()}", params),
                  "\n".join(render(list(s.evidence), params)) or "-",
                  "skip (verified)" if st == VERIFIED else st)
    console.print(t)
    return RunOutcome(run_dir or Path("-"), EXIT_OK, None, "dry-run")


def planned(step: Step, params: Mapping[str, str]) -> list[str]:
    """What a built-in action says it would touch (``registry.plan``), e.g. each volume an erase sanitizes."""
    if step.action.kind != "builtin":
        return []
    spec = render(dict(step.action.spec), params)
    fn = registry.PLANS.get(spec["name"])
    return list(fn(dict(spec.get("with") or {}))) if fn else []


def execute(runbook: Runbook, params: Mapping[str, str], run_dir: Path, *, resume: bool = False,
            console: Console, resume_may_change: Collection[str] = (), stop_before: str | None = None) -> RunOutcome:
    """Run (or resume) ``runbook`` in ``run_dir`` under the runbook+system lock. A resume must pass the
    parameters of the first attempt, except those in ``resume_may_change`` (e.g. a confirmation given
    only when the run reaches its destructive step); each attempt's run-start records its own.
    ``stop_before``: pause (exit 3) when the run reaches that step unverified, before starting it."""
    missing = [p for p in runbook.params if p not in params]
    if missing:
        raise RunbookError(f"runbook {runbook.name}: parameters missing: {', '.join(missing)}")
    check_step_id(runbook, stop_before, "--stop-before")
    # the lock first: a second run is told who holds it (pid) before anything else is looked at
    lock = RunLock.acquire(runbook.name, str(params.get("system", "-")), run_dir)
    try:
        journal_file = run_dir / JOURNAL
        if journal_file.exists() and not resume:
            raise RunbookError(f"{run_dir} already holds a run ({JOURNAL}); pass --resume to continue it "
                               "or choose a new --run-dir")
        if resume and not journal_file.exists():
            raise RunbookError(f"--resume: {journal_file} not found: no run to resume in {run_dir}")
        run_dir.mkdir(parents=True, exist_ok=True)
        return _execute(runbook, dict(params), run_dir, resume, console, frozenset(resume_may_change), stop_before)
    finally:
        lock.release()


def check_step_id(runbook: Runbook, step_id: str | None, option: str) -> None:
    """``step_id`` is None or one of ``runbook``'s steps; the error lists them."""
    ids = [s.id for s in runbook.steps]
    if step_id is not None and step_id not in ids:
        raise RunbookError(f"{option} {step_id}: runbook {runbook.name} ({runbook.file}) has no such step; "
                           f"its steps: {', '.join(ids)}")


def _check_resume(runbook: Runbook, params: dict[str, str], records: tuple[dict, ...], run_dir: Path,
                  may_change: frozenset[str] = frozenset()) -> None:
    starts = [r for r in records if r["event"] == "run-start"]
    if not starts:
        raise RunbookError(f"{run_dir / JOURNAL}: no run-start record; cannot resume")
    first = starts[0]
    fixed = {k: v for k, v in params.items() if k not in may_change}
    was = {k: v for k, v in (first.get("params") or {}).items() if k not in may_change}
    if first.get("runbook") != runbook.name:
        raise RunbookError(
            f"--resume: {run_dir} holds a run of {first.get('runbook')} with params {first.get('params')}; "
            f"this is {runbook.name} with {params}: resume with the same runbook and parameters")
    if was != fixed:
        diff = [f"{k} ({was.get(k)!r} then, {fixed.get(k)!r} now)" for k in sorted(set(was) | set(fixed))
                if was.get(k) != fixed.get(k)]
        raise RunbookError(f"--resume: {run_dir}: parameters differ from the first attempt: {'; '.join(diff)}: "
                           "resume with the same runbook and parameters")


def _execute(runbook: Runbook, params: dict[str, str], run_dir: Path, resume: bool, console: Console,
             may_change: frozenset[str] = frozenset(), stop_before: str | None = None) -> RunOutcome:
    states: dict[str, dict] = {}
    if resume:
        read = read_journal(run_dir)
        _check_resume(runbook, params, read.records, run_dir, may_change)
        states = step_states(read.records)
        if read.torn_tail:
            console.print("[yellow]journal: a torn last record (the run was killed mid-write) is ignored[/yellow]")
    journal = Journal(run_dir)
    journal.append("run-start", runbook=runbook.name, file=str(runbook.file), params=params, resume=resume,
                   stop_before=stop_before, steps=[{"id": s.id, "title": render(s.title, params), "clause": s.clause} for s in runbook.steps])
    console.print(f"[bold]runbook {runbook.name}[/bold] ({runbook.title}) system={params.get('system', '-')} "
                  f"run dir {run_dir}" + (" [cyan](resume)[/cyan]" if resume else ""))
    total = len(runbook.steps)
    try:
        for i, step in enumerate(runbook.steps, 1):
            head = f"[{i}/{total}] {step.id} ({step.clause})"
            if states.get(step.id, {}).get("state") == VERIFIED:
                journal.append("step-skip", step=step.id, reason="verified in an earlier attempt")
                console.print(f"{head}: [green]verified earlier — not run again[/green]")
                continue
            if step.id == stop_before:
                journal.append("run-end", result=PAUSED, stopped_at=step.id)
                console.print(f"{head}: [yellow]paused before this step (--stop-before)[/yellow] — "
                              "nothing of it has run; --resume continues")
                return RunOutcome(run_dir, EXIT_WAITING, step.id, PAUSED)
            ctx = RunContext(runbook, {**params, "run_dir": str(run_dir)}, run_dir, console, journal, step)
            outcome = _run_step(ctx, journal, head)
            if outcome is not None:
                journal.append("run-end", result=outcome.result, stopped_at=outcome.stopped_at)
                return outcome
        journal.append("run-end", result="completed", stopped_at=None)
        console.print(f"[bold green]runbook {runbook.name}: all {total} steps verified[/bold green]")
        return RunOutcome(run_dir, EXIT_OK, None, "completed")
    finally:
        journal.close()


def _what(exc: Exception) -> str:
    """One line for the journal and the terminal: govcloud's own errors as they are, anything else
    (a bug, a built-in missing an argument) with its type, so a step never ends in a traceback."""
    from govcloud.errors import GovcloudError

    if isinstance(exc, GovcloudError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    if isinstance(exc, KeyError):
        return f"missing {exc}: an argument in the step's `with:` or a field of a file it reads"
    return f"{type(exc).__name__}: {exc}"


def _run_step(ctx: RunContext, journal: Journal, head: str) -> RunOutcome | None:
    step = ctx.step
    assert step is not None
    console = ctx.console
    console.print(f"{head}: {render(step.title, ctx.params)}")
    journal.append("step-start", step=step.id, clause=step.clause, action=render(step.action.describe(), ctx.params))
    t0 = time.monotonic()

    def end(result: str, detail: object, evidence: list | None = None) -> None:
        journal.append("step-end", step=step.id, result=result, detail=detail, evidence=evidence or [],
                       seconds=round(time.monotonic() - t0, 3))

    # Any exception is a failed step, journaled with its message: never an `interrupted` run, and
    # `--resume` retries the step. (KeyboardInterrupt is not an Exception: a killed run stays killed.)
    try:
        pre = run_check(ctx, step.precondition)
    except Exception as exc:  # noqa: BLE001
        end(FAILED, {"phase": "precondition", "error": _what(exc)})
        console.print(f"{head}: [red]precondition error: {_what(exc)}[/red]", highlight=False)
        return RunOutcome(ctx.run_dir, EXIT_ERROR, step.id, FAILED)
    if not pre.ok and pre.waiting:
        end(WAITING, {"phase": "precondition", "waiting_for": pre.detail})
        console.print(f"{head}: [yellow]waiting: {pre.detail}[/yellow] — the run stops here; --resume continues")
        return RunOutcome(ctx.run_dir, EXIT_WAITING, step.id, WAITING)
    if not pre.ok:
        end(BLOCKED, {"phase": "precondition", "why": pre.detail})
        console.print(f"{head}: [red]blocked: {pre.detail}[/red] — the run stops here")
        return RunOutcome(ctx.run_dir, EXIT_FINDINGS, step.id, BLOCKED)
    try:
        result = run_action(ctx, step.action)
        evidence, missing = [], []
        for rel in render(list(step.evidence), ctx.params):
            p = ctx.path(rel)
            if p.is_file():
                evidence.append({"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size})
            else:
                missing.append(rel)
    except Exception as exc:  # noqa: BLE001
        end(FAILED, {"phase": "action", "error": _what(exc)})
        console.print(f"{head}: [red]failed: {_what(exc)}[/red]", highlight=False)
        return RunOutcome(ctx.run_dir, EXIT_ERROR, step.id, FAILED)
    if missing:
        end(FAILED, {"phase": "evidence", "error": f"declared evidence not written: {', '.join(missing)}",
                     "action": result.detail})
        console.print(f"{head}: [red]evidence missing: {', '.join(missing)}[/red]")
        return RunOutcome(ctx.run_dir, EXIT_ERROR, step.id, FAILED)
    try:
        ver = run_check(ctx, step.verification)
    except Exception as exc:  # noqa: BLE001
        end(FAILED, {"phase": "verification", "error": _what(exc), "action": result.detail}, evidence)
        console.print(f"{head}: [red]verification error: {_what(exc)}[/red]", highlight=False)
        return RunOutcome(ctx.run_dir, EXIT_ERROR, step.id, FAILED)
    if not ver.ok:
        end(UNVERIFIED, {"phase": "verification", "why": ver.detail, "action": result.detail}, evidence)
        console.print(f"{head}: [red]not verified: {ver.detail}[/red]")
        return RunOutcome(ctx.run_dir, EXIT_FINDINGS, step.id, UNVERIFIED)
    end(VERIFIED, {"verification": ver.detail, "action": result.detail}, evidence)
    console.print(f"{head}: [green]verified[/green] ({ver.detail})")
    return None
