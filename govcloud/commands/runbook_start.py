"""What every ``govcloud runbook`` command shares: the run directory, the flags of a run
(``--dry-run``, ``--resume``, ``--run-dir``, ``--stop-before``), a named runbook's declared
parameters as flags (govcloud.runbook.engine.params), and the start: load, then dry-run or execute.

Exit codes: 0 every step verified (or a dry run), 2 a step blocked or not verified, 1 an error,
3 waiting for an outside party or paused by ``--stop-before``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from govcloud.console import make_console
from govcloud.hosts.evidence import evidence_max_age
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.paths import PROJECT_ROOT
from govcloud.runbook.engine.errors import RunbookError
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.engine.params import Param, Values
from govcloud.runbook.engine.run import check_step_id, dry_run, execute

RUNS_DIR = PROJECT_ROOT / "runs"


def default_run_dir(runbook: str, system: str) -> Path:
    """``runs/<runbook>/<system>``: stable, so ``--resume`` finds the run without ``--run-dir``."""
    return RUNS_DIR / runbook / system


def add_run_flags(p: argparse.ArgumentParser) -> None:
    """The flags of every run: none of them is a runbook parameter."""
    p.add_argument("--dry-run", action="store_true", help="print the steps and what each would touch; touch nothing")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir at its first unverified step")
    p.add_argument("--run-dir", type=Path, help="run directory (default runs/<runbook>/<system>)")
    p.add_argument("--stop-before", metavar="STEP",
                   help="pause (exit 3) on reaching this step, before it starts; --resume continues "
                        "(e.g. the bulk copy ahead of the maintenance window, the cut-over in it)")


def add_params(p: argparse.ArgumentParser, params: Sequence[Param],
               after: Mapping[str, Callable[[argparse.ArgumentParser], None]] | None = None) -> None:
    """The flag of each declared parameter, in declaration order; ``after[name](p)`` adds a plain flag
    (no runbook parameter) right after the flag of parameter ``name``, where ``--help`` lists it."""
    for param in params:
        if param.flag is not None:
            p.add_argument(param.flag, **param.options)
        if after and param.name in after:
            after[param.name](p)


def default_target(stack: str, system: str, role: str) -> str:
    """The system's first host of ``role`` in the stack's outputs: the default of a host flag."""
    hosts = [h for h in load_stack_hosts(stack_outputs_file(stack)) if h.system == system and h.role == role]
    if not hosts:
        raise RunbookError(f"stack {stack} has no {role} host for system {system} "
                           f"({stack_outputs_file(stack)}); pass --target HOST")
    return hosts[0].name


def max_age_hours(given: float | None, values: Values) -> str:
    """``--evidence-max-age`` as the run records it: the hours in force (the option, else
    $GOVCLOUD_EVIDENCE_MAX_AGE, else 24; a bad value is an InputError naming where it came from)."""
    return f"{evidence_max_age(given).total_seconds() / 3600:g}"


def start(file: Path, params: dict[str, str], args: argparse.Namespace, *,
          resume_may_change: tuple[str, ...] = ()) -> int:
    """Load, then dry-run or execute; shared by `run` and the named runbooks."""
    runbook = load_runbook(file)
    run_dir = (args.run_dir or default_run_dir(runbook.name, params.get("system", "default"))).resolve()
    console = make_console()
    if args.dry_run:
        missing = [p for p in runbook.params if p not in params]
        if missing:
            raise RunbookError(f"runbook {runbook.name}: parameters missing: {', '.join(missing)}")
        check_step_id(runbook, args.stop_before, "--stop-before")
        return dry_run(runbook, params, run_dir, console).exit_code
    return execute(runbook, params, run_dir, resume=args.resume, console=console,
                   resume_may_change=resume_may_change, stop_before=args.stop_before).exit_code
