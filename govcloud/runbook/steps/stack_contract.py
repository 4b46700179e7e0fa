"""The contract a run works under: the one its stack names, through the ledger (article 2; articles
7, 77, 79).

A runbook never reads ``contracts/2025095.yaml`` behind its stack's back: the work order, the exit
deadlines, the export manifest, the materials checklist and the exit report all take the contract
that ``govcloud:contract`` in ``Pulumi.<stack>.yaml`` names, with the stack's amendments checked
against it (``govcloud.ledger.contracted``). A step given its own ``contract`` file uses that one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from govcloud.contract.model import Contract
from govcloud.ledger import Contracted, ContractSource, contracted
from govcloud.paths import DEFAULT_CONTRACT, PROJECT_ROOT
from govcloud.tenancy.config import load_stack_settings


def run_contracted(params: Mapping[str, Any], args: Mapping[str, Any] | None = None,
                   on: date | None = None, project_dir: Path = PROJECT_ROOT) -> Contracted:
    """What is in force for a run on the ledger's day (``on``, else the stack's ``govcloud:on``, else
    today clipped to the term): the step's ``contract`` argument if it names one, else the contract of
    the run's ``stack`` parameter, else (a run of no stack: ``runbook run`` of a file) the default."""
    given = (args or {}).get("contract")
    if given:
        return contracted(ContractSource(Path(str(given))), on)
    stack = params.get("stack")
    if stack:
        return contracted(load_stack_settings(str(stack), project_dir), on)
    return contracted(ContractSource(DEFAULT_CONTRACT), on)


def run_contract(params: Mapping[str, Any], args: Mapping[str, Any] | None = None,
                 project_dir: Path = PROJECT_ROOT) -> Contract:
    """The signed contract a run works under (see ``run_contracted``)."""
    return run_contracted(params, args, project_dir=project_dir).contract
