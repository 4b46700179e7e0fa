"""Show a harden run as it happens: a line per task (result counts), failures at once, a recap."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

_RESULT = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_skipped": "skipped",
           "runner_on_unreachable": "unreachable"}


class Progress:
    """An ansible-runner event handler that prints with rich."""

    def __init__(self, console: Console, *, check: bool = False, verbose: bool = False):
        self.console = console
        self.check = check
        self.verbose = verbose
        self.task: str | None = None
        self.counts: Counter[str] = Counter()
        self.n_tasks = 0

    def __call__(self, event: dict) -> None:
        kind = event.get("event", "")
        data = event.get("event_data", {}) or {}
        if kind == "playbook_on_play_start":
            self._flush()
            self.console.print(Text(f"PLAY {data.get('play', '')}", style="bold"))
        elif kind == "playbook_on_task_start":
            self._flush()
            self.task = data.get("task", "")
            self.n_tasks += 1
        elif kind in _RESULT:
            res = data.get("res", {}) or {}
            outcome = _RESULT[kind]
            if outcome == "ok" and res.get("changed"):
                outcome = "changed"
            if kind == "runner_on_failed" and data.get("ignore_errors"):
                outcome = "ignored"
            self.counts[outcome] += 1
            host = data.get("host", "?")
            if outcome in ("failed", "unreachable"):
                msg = str(res.get("msg") or res.get("stderr") or "")[:300]
                self.console.print(Text(f"  ✗ {host}: {self.task}: {outcome}: {msg}", style="red"))
            elif outcome == "changed" and (self.verbose or self.check):
                self.console.print(Text(f"  ~ {host}: {'would change' if self.check else 'changed'}",
                                        style="yellow"))
        elif kind == "playbook_on_stats":
            self._flush()
            self._recap(data)

    def _flush(self) -> None:
        if self.task is None:
            return
        c = self.counts
        parts = [f"{k}={c[k]}" for k in ("ok", "changed", "failed", "unreachable", "skipped", "ignored") if c[k]]
        style = "red" if c["failed"] or c["unreachable"] else "yellow" if c["changed"] else None
        self.console.print(Text(f"[{self.n_tasks:>3}] {self.task}  " + " ".join(parts), style=style))
        self.task, self.counts = None, Counter()

    def _recap(self, stats: dict) -> None:
        table = Table(title="recap" + (" (check mode: changed = would change)" if self.check else ""))
        for col in ("host", "ok", "changed", "failed", "unreachable", "skipped"):
            table.add_column(col, justify="left" if col == "host" else "right")
        hosts = sorted({h for k in ("ok", "changed", "failures", "dark", "skipped") for h in (stats.get(k) or {})})
        for h in hosts:
            table.add_row(h, *(str((stats.get(k) or {}).get(h, 0)) for k in ("ok", "changed", "failures", "dark", "skipped")))
        self.console.print(table)
