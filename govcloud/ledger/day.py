"""What is contracted on a day: the one day rule and the amendments applied (article 2; articles 7, 77, 79).

The day rule, the same for ``plan``, ``check``, ``diff``, ``contract show``, the Pulumi program
and the policy pack:

1. the date given on the command line (``--on``), else
2. the stack's own date setting (``govcloud:on`` in ``Pulumi.<stack>.yaml``; the policy pack's
   ``on`` config), else
3. today, clipped to the term (before the term: its first day; after it: its last day).

A given date outside the term is an error, never clipped. The amendments applied are the stack's
(``govcloud:amendments``) followed by any given on the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from govcloud.contract.amendments import AmendedContract, Amendment, apply_amendments, load_amendment
from govcloud.contract.loader import load_contract
from govcloud.contract.model import Contract, LineItem, Term


class ContractSettings(Protocol):
    """What the ledger reads of a stack's settings (``govcloud:contract``, ``govcloud:amendments``,
    ``govcloud:on``): the tenancy's ``StackSettings`` has these, and the ledger never imports it."""

    @property
    def contract_path(self) -> Path: ...

    @property
    def amendments(self) -> tuple[Path, ...]: ...

    @property
    def on(self) -> date | None: ...


@dataclass(frozen=True)
class ContractSource:
    """Contract settings without a stack: ``contract show`` (a file), the policy pack (its config)."""

    contract_path: Path
    amendments: tuple[Path, ...] = ()
    on: date | None = None


@dataclass(frozen=True)
class Contracted:
    """The line items in force on ``on`` (item id -> LineItem, amendments applied), and how they were found."""

    contract: Contract
    on: date
    items: Mapping[str, LineItem]
    amended: AmendedContract
    day_from: str  # "command line", "stack setting" or "today"

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        return tuple(self.amended.amendments)


def day_of(term: Term, given: date | None = None, setting: date | None = None,
           today: date | None = None) -> tuple[date, str]:
    """The one day rule: the command line's date, else the stack's ``on`` setting, else today
    clipped to the term; with where the day came from."""
    if given is not None:
        return given, "command line"
    if setting is not None:
        return setting, "stack setting"
    now = today if today is not None else date.today()
    return min(max(now, term.start), term.end), "today"


def contracted_on_day(contract: Contract, amendments: Sequence[Amendment] = (), given: date | None = None,
                      setting: date | None = None, today: date | None = None) -> Contracted:
    """The items in force on the day the rule picks, ``amendments`` applied (articles 7, 77, 79).

    A day outside the term is a ``ContractError`` naming the term."""
    amended = apply_amendments(contract, amendments)
    on, day_from = day_of(contract.term, given, setting, today)
    return Contracted(contract, on, amended.items_on(on), amended, day_from)


def contracted(settings: ContractSettings, on: date | None = None, amendments: Sequence[Path] = (), *,
               loader: Callable[[Path], Contract] = load_contract, today: date | None = None) -> Contracted:
    """What is contracted for ``settings`` on the day the rule picks: ``on`` (the command line's date)
    before ``settings.on``; the settings' amendments, then ``amendments`` (the command line's).

    ``loader`` reads the contract file (a caller with a cache passes its own)."""
    contract = loader(settings.contract_path)
    loaded = [load_amendment(p) for p in (*settings.amendments, *amendments)]
    return contracted_on_day(contract, loaded, on, settings.on, today)
