"""The contract as data: loader, typed model, costing, amendments (articles 2, 7, 17-18, 77, 79)."""

from govcloud.contract.amendments import Amendment, AmendedContract, apply_amendments, contracted_on, load_amendment
from govcloud.contract.costing import ContractCost, cost_contract, line_cost, monthly_cost
from govcloud.contract.loader import load_contract
from govcloud.contract.model import Contract, LineItem
from govcloud.errors import ContractError
from govcloud.paths import DEFAULT_CONTRACT

__all__ = [
    "Amendment", "AmendedContract", "Contract", "ContractCost", "ContractError", "DEFAULT_CONTRACT", "LineItem",
    "apply_amendments", "contracted_on", "cost_contract", "line_cost", "load_amendment", "load_contract",
    "monthly_cost",
]
