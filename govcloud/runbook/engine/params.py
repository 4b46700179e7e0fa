"""A named runbook's parameters, each declared once: its command-line flag, how the value given
there becomes the run's string parameter, and what a ``--resume`` does with it.

A command (``govcloud runbook exit``, ``migrate-in``, ``rollback-in``) declares a tuple of ``Param``;
its argparse flags, the parameters it passes to the engine (``derive``), the names a resume may
change (``resume_may_change``) and the values a resume takes from the run it continues all come
from that tuple. The runbook file's ``params:`` list names the same parameters (a test holds the
two together): ``govcloud runbook run FILE`` reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from govcloud.errors import GovcloudError

from .errors import RunbookError
from .journal import read_journal


class BadValue(RunbookError, ValueError):
    """A value a parameter refuses; ``derive`` names the flag it came from (``--old-unit 'x': …``)."""


# ------------------------------------------------------------------ value functions
def text(given: Any, values: Values) -> str:
    """The value as given; absent: the empty string."""
    return "" if given is None else str(given)


def resolved(given: Any, values: Values) -> str:
    """A path made absolute (the run may be resumed from another directory)."""
    return str(Path(given).resolve())


def joined(given: Sequence[str], values: Values) -> str:
    """A repeatable flag's values, comma-separated."""
    return ",".join(given)


def today_or(given: date | None, values: Values) -> str:
    """The date given, else today."""
    return (given or date.today()).isoformat()


def or_param(name: str, convert: Callable[[Any], str] = str) -> Callable[[Any, Values], str]:
    """The value given (``convert``-ed), else the value of parameter ``name``."""
    def value(given: Any, values: Values) -> str:
        return convert(given) if given else values[name]
    value.__name__ = f"or_{name}"
    return value


# ------------------------------------------------------------------ the declaration
@dataclass(frozen=True)
class Param:
    """One runbook parameter of a command.

    ``flag``: its command-line flag (None: computed from the others only), added with the argparse
    keyword arguments ``options`` (type, required, default, metavar, help, choices, action …).
    ``value(given, values)``: the string the run records, from the flag's value as parsed (None when
    the flag is absent and has no default) and ``values``, the command's other parameters (see
    ``Values``). ``resume_may_change``: a ``--resume`` may pass another value (given only when the run
    reaches the step that uses it). ``from_resumed_run``: on ``--resume`` without the flag the value
    is the one of the run being resumed (a date defaulted to today is that run's day, not today's).
    """

    name: str
    flag: str | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    value: Callable[[Any, Values], str] = field(default=text, compare=False)
    resume_may_change: bool = False
    from_resumed_run: bool = False

    def __post_init__(self) -> None:
        if self.flag is None and (self.options or self.from_resumed_run or self.value is text):
            raise ValueError(f"parameter {self.name}: without a flag it needs a value function and takes no options")
        if self.flag is not None and not self.flag.startswith("--"):
            raise ValueError(f"parameter {self.name}: flag {self.flag!r} must start with --")

    @property
    def dest(self) -> str | None:
        """The attribute argparse stores the flag's value in."""
        if self.flag is None:
            return None
        return str(self.options.get("dest") or self.flag.lstrip("-").replace("-", "_"))


def param(name: str, flag: str | None = None, *, value: Callable[[Any, Values], str] | None = None,
          resume_may_change: bool = False, from_resumed_run: bool = False, **options: Any) -> Param:
    """``Param`` written like ``add_argument``: ``param("inventory", "--inventory", type=Path,
    required=True, help=…, value=resolved)``."""
    return Param(name, flag, MappingProxyType(dict(options)), value or text, resume_may_change, from_resumed_run)


# ------------------------------------------------------------------ derivation
class Values(Mapping[str, str]):
    """The parameters of one command line as a value function sees them: ``values["name"]`` is another
    parameter's value (computed first when needed, so a default may name a parameter declared after
    it), ``values.args`` the parsed command line (for flags that are no parameter, e.g.
    ``--target-role``), ``values.run_dir`` the run directory."""

    def __init__(self, params: Sequence[Param], args: Any, run_dir: Path, resumed: Mapping[str, str]):
        self.args, self.run_dir = args, run_dir
        self._params = {p.name: p for p in params}
        self._resumed = resumed
        self._done: dict[str, str] = {}
        self._busy: list[str] = []

    def __getitem__(self, name: str) -> str:
        if name in self._done:
            return self._done[name]
        p = self._params[name]
        if name in self._busy:
            raise RunbookError(f"parameters {' -> '.join([*self._busy, name])}: each defaults to the next")
        self._busy.append(name)
        try:
            given = getattr(self.args, p.dest) if p.dest else None
            if given is None and p.from_resumed_run and name in self._resumed:
                out = self._resumed[name]
            else:
                try:
                    out = p.value(given, self)
                except BadValue as exc:
                    raise RunbookError(f"{p.flag or p.name} {exc}") from None
        finally:
            self._busy.pop()
        self._done[name] = out
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def derive(params: Sequence[Param], args: Any, run_dir: Path, *, resume: bool = False) -> dict[str, str]:
    """The run's parameters from a parsed command line (``args``: an ``argparse.Namespace``), in
    declaration order. With ``resume``, a ``from_resumed_run`` parameter whose flag is absent takes
    the value the run in ``run_dir`` started with (if there is one)."""
    inherits = resume and any(p.from_resumed_run for p in params)
    values = Values(params, args, run_dir, resumed_params(run_dir) if inherits else {})
    return {p.name: values[p.name] for p in params}


def resume_may_change(params: Sequence[Param]) -> tuple[str, ...]:
    """The parameters a ``--resume`` may pass with another value."""
    return tuple(p.name for p in params if p.resume_may_change)


def first_start(run_dir: Path) -> Mapping[str, Any] | None:
    """The first ``run-start`` record of the journal in ``run_dir``; None if it holds none. No journal
    or a broken one is the journal's InputError."""
    return next((r for r in read_journal(run_dir).records if r["event"] == "run-start"), None)


def resumed_params(run_dir: Path) -> dict[str, str]:
    """The parameters the run in ``run_dir`` first started with; {} when there is no run to read (the
    engine itself refuses a resume of a missing or broken journal)."""
    try:
        start = first_start(run_dir)
    except GovcloudError:
        return {}
    return {str(k): str(v) for k, v in ((start or {}).get("params") or {}).items()}
