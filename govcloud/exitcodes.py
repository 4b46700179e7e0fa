"""The exit codes of every govcloud command, declared once (README, "Exit codes")."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """0 compliant or done, 1 an error (usage errors too), 2 findings or a step blocked, 3 waiting for
    an outside party (a runbook paused; ``--resume`` continues)."""

    OK = 0
    ERROR = 1
    FINDINGS = 2
    WAITING = 3


EXIT_OK, EXIT_ERROR, EXIT_FINDINGS, EXIT_WAITING = (int(e) for e in Exit)
