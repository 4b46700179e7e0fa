"""The govcloud contract policy pack: `pulumi preview --policy-pack policy/` (govcloud preview does)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from contract_policies import POLICIES

PolicyPack(
    name="govcloud-contract-2025095",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
