"""A hardened lab shared by the host tests: boot the lab stack's hosts (inventory/lab-hosts.json: two
application hosts, lab-log-01 the log collector, lab-db-01 the database) once, run
`harden` (site.yml + evidence) once, share the outcome; always tear the hosts down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from govcloud.hosts.harden import HardenOutcome, harden
from govcloud.labhosts import BaseImage, Lab, LabError

from ..conftest import _progress

REPO = Path(__file__).resolve().parents[2]
_STACK_HOSTS = json.loads((REPO / "inventory" / "lab-hosts.json").read_text(encoding="utf-8"))["hosts"]
HOSTS = [h["name"] for h in _STACK_HOSTS]  # the lab stack's outputs: the hosts `govcloud check` expects
GROUPS = {"db": [h["name"] for h in _STACK_HOSTS if h["role"] == "db"],
          "log_collector": [h["name"] for h in _STACK_HOSTS if h["role"] == "log"]}


class _LineWriter:
    """A file-like object that hands complete lines to `say` (terminal, past capture)."""

    def __init__(self, say):
        self.say, self.buf = say, ""

    def write(self, text: str) -> int:
        self.buf += text
        while "\n" in self.buf:
            line, self.buf = self.buf.split("\n", 1)
            if line.strip():
                self.say(line)
        return len(text)

    def flush(self) -> None:
        pass


@dataclass
class HardenedLab:
    lab: Lab
    first: HardenOutcome
    runs: Path
    console: Console

    @property
    def inventory(self) -> Path:
        return self.lab.state_dir / "inventory.yml"

    def harden(self, name: str, **kwargs) -> HardenOutcome:
        return harden(inventory=self.inventory, run_dir=self.runs / name, console=self.console, **kwargs)


@pytest.fixture(scope="session")
def hardened(lab_base: BaseImage, pytestconfig: pytest.Config, tmp_path_factory) -> Iterator[HardenedLab]:
    say = _progress(pytestconfig)
    try:
        lab = Lab.start(names=HOSTS, groups=GROUPS, base=lab_base, progress=say)
    except LabError as exc:
        pytest.fail(f"lab boot failed: {exc}", pytrace=False)
    try:
        console = Console(file=_LineWriter(lambda line: say(f"harden: {line}")), width=150, color_system=None)
        runs = tmp_path_factory.mktemp("harden-runs")
        first = harden(inventory=lab.state_dir / "inventory.yml", run_dir=runs / "apply-1", console=console)
        yield HardenedLab(lab, first, runs, console)
    finally:
        problems = lab.stop()
        assert not problems, f"lab teardown problems: {problems}"
