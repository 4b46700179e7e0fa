"""What a step's action and checks see: the run directory, parameters, journal and console."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from rich.console import Console

from govcloud.containment import contained

from .journal import Journal
from .model import Runbook, Step


@dataclass(frozen=True)
class RunContext:
    runbook: Runbook
    params: Mapping[str, str]
    run_dir: Path
    console: Console
    journal: Journal | None  # None in a dry run
    step: Step | None = None

    def path(self, relative: str) -> Path:
        """A path inside the run directory, symlinks resolved; an ``InputError`` naming the runbook and
        the step when it leaves it."""
        step = f"steps[{self.step.id}]" if self.step is not None else "params"
        return contained(self.run_dir, relative, file=self.runbook.file, field=f"{step}: path")

    def note(self, text: str) -> None:
        """A progress line on the terminal."""
        self.console.print(f"    [dim]{text}[/dim]", highlight=False)
