"""What a step's action and checks see: the run directory, parameters, journal and console."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from rich.console import Console

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
        """A path inside the run directory; refuses to leave it."""
        p = (self.run_dir / relative).resolve()
        if self.run_dir.resolve() not in (p, *p.parents):
            raise ValueError(f"{relative!r} leaves the run directory")
        return p

    def note(self, text: str) -> None:
        """A progress line on the terminal."""
        self.console.print(f"    [dim]{text}[/dim]", highlight=False)
