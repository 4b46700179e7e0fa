"""Error types raised at the edges and shown once by the CLI (exit 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Issue:
    """One problem in one input file: where it is and what was expected."""

    file: str
    path: str  # field path such as ``line_items[3].unit_price``; "" for the document
    expected: str
    line: int | None = None  # 1-based line in the source, where the format has lines

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        field_ = self.path or "(document)"
        return f"{where}: {field_}: {self.expected}"


class GovcloudError(Exception):
    """Base of every error govcloud reports to a user."""


@dataclass
class InputError(GovcloudError):
    """An input file is invalid; ``issues`` lists every problem found."""

    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)

    @classmethod
    def one(cls, file: str | Path, path: str, expected: str, line: int | None = None) -> "InputError":
        return cls([Issue(str(file), path, expected, line)])


class ContractError(InputError):
    """A contract or amendment document is invalid (schema or semantics)."""


class CalendarError(GovcloudError):
    """A date falls outside the years the holiday calendar knows."""
