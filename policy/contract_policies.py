"""CrossGuard policies for contract 2025095, evaluated at ``pulumi preview``/``up``.

They count through the ledger's counting table (``govcloud.ledger.counting``), read what is
contracted through its day rule and judge through its one judgement, as ``govcloud plan``,
``check`` and ``diff`` do:
* ``quotas-not-below-contract`` — quotas and subscriptions at least the contracted
  quantity (article 2: 数量上不低于以下最低要求);
* ``allocation-within-contract`` — nothing declared or allocated above the contract
  unless an amendment (补充协议, article 7) raises it;
* ``hosts-carry-contracted-addons`` — every instance carries its role's add-ons.

Policy config (optional): ``contract`` (path), ``amendments`` (paths), ``on`` (YYYY-MM-DD; without
it, the ledger's rule: today clipped to the term).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from govcloud.ledger import judgement
from govcloud.ledger.counting import INSTANCE, META_ADDONS, META_ROLE, MappingError, Resource, tally
from govcloud.ledger.day import ContractSource
from govcloud.ledger.day import contracted as ledger_contracted
from govcloud.ledger.judgement import Status
from govcloud.tenancy.addons import required_addons

CONFIG_SCHEMA = PolicyConfigSchema(properties={
    "contract": {"type": "string"},
    "amendments": {"type": "array", "items": {"type": "string"}},
    "on": {"type": "string"},
})


@lru_cache(maxsize=8)
def _contracted(contract_path: str, amendments: tuple[str, ...], on: str, today: date) -> dict[str, Any]:
    from govcloud.contract import DEFAULT_CONTRACT

    source = ContractSource(Path(contract_path) if contract_path else DEFAULT_CONTRACT,
                            tuple(Path(a) for a in amendments), date.fromisoformat(on) if on else None)
    return dict(ledger_contracted(source, today=today).items)


def contracted_items(config: Mapping[str, Any]) -> dict[str, Any]:
    """Line items in force for the policy config (the seed contract by default)."""
    return _contracted(str(config.get("contract", "")), tuple(config.get("amendments", ())),
                       str(config.get("on", "")), date.today())


def _stack_tally(args: StackValidationArgs, report_violation: ReportViolation):  # type: ignore[no-untyped-def]
    try:
        return tally(Resource(r.resource_type, r.name, r.props) for r in args.resources)
    except MappingError as exc:
        report_violation(f"cannot count the stack against the contract: {exc}", None)
        return None


def validate_quotas(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Article 2: the provider provisions at least the contracted quantity of every item."""
    counted = _stack_tally(args, report_violation)
    if counted is None:
        return
    for item_id, li in contracted_items(args.get_config()).items():
        declared = counted.total(item_id, "provision")
        if judgement.provision(li.quantity, declared) is Status.UNDER:
            report_violation(f"{item_id} ({li.name_zh}, {li.clause}): provisioned {declared or 0} {li.unit}, "
                             f"contract requires at least {li.quantity} {li.unit}", None)


def validate_allocation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Articles 7, 77, 79: using more than contracted needs a supplementary agreement (an amendment)."""
    counted = _stack_tally(args, report_violation)
    if counted is None:
        return
    contracted = contracted_items(args.get_config())
    for item_id in sorted(counted.items() - set(contracted)):
        report_violation(f"{item_id}: declared but not a line item of the contract", None)
    for item_id, li in contracted.items():
        for basis, judge in (("provision", judgement.provision), ("allocation", judgement.allocation)):
            total = counted.total(item_id, basis)
            if judge(li.quantity, total) is Status.OVER:
                report_violation(f"{item_id} ({li.name_zh}, {li.clause}): {basis} {total} {li.unit} exceeds "
                                 f"the contracted {li.quantity} {li.unit}; needs an amendment (补充协议, article 7)",
                                 None)


def validate_host_addons(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Article 2: every host carries the per-host add-ons; database hosts also database audit."""
    if args.resource_type != INSTANCE:
        return
    metadata = args.props.get("metadata") or {}
    role = metadata.get(META_ROLE)
    if not role:
        report_violation(f"instance {args.name} has no {META_ROLE} metadata: its contracted add-ons cannot be "
                         "checked", None)
        return
    carried = {a for a in str(metadata.get(META_ADDONS, "")).split(",") if a}
    missing = [a for a in required_addons(str(role)) if a not in carried]
    if missing:
        report_violation(f"instance {args.name} (role {role}) lacks contracted add-ons: {', '.join(missing)} "
                         "(article 2)", None)


quotas_not_below_contract = StackValidationPolicy(
    name="quotas-not-below-contract",
    description="Quotas and subscriptions are at least the contracted quantity (article 2).",
    validate=validate_quotas, enforcement_level=EnforcementLevel.MANDATORY, config_schema=CONFIG_SCHEMA,
)
allocation_within_contract = StackValidationPolicy(
    name="allocation-within-contract",
    description="Nothing declared or allocated above the contract without an amendment (articles 7, 77, 79).",
    validate=validate_allocation, enforcement_level=EnforcementLevel.MANDATORY, config_schema=CONFIG_SCHEMA,
)
hosts_carry_contracted_addons = ResourceValidationPolicy(
    name="hosts-carry-contracted-addons",
    description="Every instance carries the add-ons its role is contracted for (article 2).",
    validate=validate_host_addons, enforcement_level=EnforcementLevel.MANDATORY,
)
POLICIES = [quotas_not_below_contract, allocation_within_contract, hosts_carry_contracted_addons]
