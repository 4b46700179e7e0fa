"""The one day rule and what is contracted on the day (article 2; articles 7, 77, 79), on the seed contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from govcloud.contract import load_contract
from govcloud.errors import ContractError
from govcloud.ledger.day import ContractSource, contracted, contracted_on_day, day_of
from govcloud.paths import DEFAULT_CONTRACT

SA = """schema_version: 1
id: SA-1
contract: "2025095"
signed: 2026-01-20
effective: 2026-03-01
clause: article-77
changes:
  - item: vcpu
    quantity: 2000
"""
SA2 = SA.replace("SA-1", "SA-2").replace("2026-03-01", "2026-04-01").replace("vcpu", "memory").replace("2000", "4400")


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return load_contract(DEFAULT_CONTRACT)


@pytest.fixture
def sa(tmp_path: Path) -> Path:
    path = tmp_path / "sa.yaml"
    path.write_text(SA, encoding="utf-8")
    return path


@pytest.mark.parametrize("given, setting, today, expected, source", [
    (date(2025, 7, 1), date(2026, 1, 1), date(2026, 2, 1), date(2025, 7, 1), "command line"),
    (None, date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1), "stack setting"),
    (None, None, date(2026, 2, 1), date(2026, 2, 1), "today"),
    (None, None, date(2024, 12, 31), date(2025, 6, 1), "today"),  # before the term: its first day
    (None, None, date(2026, 12, 4), date(2026, 5, 31), "today"),  # after the term: its last day
])
def test_day_rule(seed, given, setting, today, expected, source) -> None:  # type: ignore[no-untyped-def]
    assert day_of(seed.term, given, setting, today) == (expected, source)


def test_a_given_day_outside_the_term_is_an_error_not_clipped(seed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ContractError, match="within the term 2025-06-01..2026-05-31"):
        contracted_on_day(seed, (), date(2026, 6, 1))
    with pytest.raises(ContractError):
        contracted_on_day(seed, (), None, date(2025, 5, 31))


def test_without_amendments_every_day_is_the_signed_contract(seed) -> None:  # type: ignore[no-untyped-def]
    signed = {li.id: li for li in seed.line_items}
    for day in (date(2025, 6, 1), date(2026, 1, 1), date(2026, 5, 31)):
        assert dict(contracted_on_day(seed, (), day).items) == signed


def test_stack_amendments_then_command_line_ones_on_the_stack_day(sa: Path, tmp_path: Path) -> None:
    sa2 = tmp_path / "sa2.yaml"
    sa2.write_text(SA2, encoding="utf-8")
    source = ContractSource(DEFAULT_CONTRACT, (sa,), date(2026, 4, 1))
    got = contracted(source, amendments=[sa2])
    assert (got.on, got.day_from) == (date(2026, 4, 1), "stack setting")
    assert [a.id for a in got.amendments] == ["SA-1", "SA-2"]
    assert got.items["vcpu"].quantity == 2000 and got.items["memory"].quantity == 4400
    before = contracted(source, date(2026, 2, 28), [sa2])  # the command line's day wins over the stack's
    assert (before.on, before.day_from) == (date(2026, 2, 28), "command line")
    assert before.items["vcpu"].quantity == 1800 and before.items["memory"].quantity == 4000


def test_no_day_given_is_today_clipped(sa: Path) -> None:
    source = ContractSource(DEFAULT_CONTRACT, (sa,))
    assert contracted(source, today=date(2026, 2, 1)).items["vcpu"].quantity == 1800
    late = contracted(source, today=date(2026, 12, 4))
    assert (late.on, late.day_from, late.items["vcpu"].quantity) == (date(2026, 5, 31), "today", Decimal(2000))


def test_the_loader_is_the_callers(sa: Path, seed) -> None:  # type: ignore[no-untyped-def]
    read: list[Path] = []

    def loader(path: Path):  # type: ignore[no-untyped-def]
        read.append(path)
        return seed

    got = contracted(ContractSource(Path("elsewhere.yaml"), (sa,), date(2026, 3, 1)), loader=loader)
    assert read == [Path("elsewhere.yaml")] and got.contract is seed and got.items["vcpu"].quantity == 2000
