"""The ledger: the one owner of contract arithmetic that every command uses (article 2; articles 7, 77, 79).

* ``counting`` — the counting table: which resource property counts toward which line item;
* ``day`` — what is contracted on a day: the one day rule, amendments applied;
* ``judgement`` — the one verdict of an item: ok, under, over (and drift, missing, unmanaged,
  unverifiable where a deployed state is compared).

It sits above ``govcloud.contract`` and the base modules, below state, tenancy, plan, checks,
hosts, runbook and the CLI, and imports none of them.
"""

from govcloud.ledger.day import (
    ContractSettings, ContractSource, Contracted, contracted, contracted_on_day, day_of,
)
from govcloud.ledger.judgement import ORDER, Judgement, Status, judge, worst

__all__ = ["ORDER", "ContractSettings", "ContractSource", "Contracted", "Judgement", "Status", "contracted",
           "contracted_on_day", "day_of", "judge", "worst"]
