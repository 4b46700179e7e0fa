"""Stack config as the Pulumi engine hands it to the program at start (strings; JSON for
lists and maps): validated against schemas/stack-config.schema.json, errors name the key."""

from __future__ import annotations

import pytest

from govcloud.tenancy.config import validate_runtime_config
from govcloud.tenancy.errors import StackError

GOOD = {
    "govcloud:hostPlan": "stacks/hostplans/prod.yaml",
    "govcloud:supernet": "10.95.0.0/16",
    "govcloud:reserved": '["10.95.0.0/24"]',
    "govcloud:projectName": "bjgy-zwy-prod",
    "govcloud:externalNetwork": "public-internet",
    "govcloud:adminPassword": "correct horse",
    "openstack:region": "RegionOne",
    "aws:region": "ignored: another provider's namespace",
}


def test_valid_runtime_config_parses_json_values() -> None:
    values = validate_runtime_config(GOOD, {"govcloud:adminPassword"}, "prod")
    assert values["govcloud:reserved"] == ["10.95.0.0/24"]
    assert values["govcloud:adminPassword"] == {"secure": "[secret]"}
    assert "aws:region" not in values


def test_a_password_that_is_not_a_secret_names_the_key_and_hides_the_value() -> None:
    with pytest.raises(StackError) as exc:
        validate_runtime_config(GOOD, set(), "prod")
    text = str(exc.value)
    assert "Pulumi.prod.yaml: govcloud:adminPassword: must be a secret" in text
    assert "correct horse" not in text


@pytest.mark.parametrize("key, value, expected", [
    ("govcloud:reserved", '["10.95.0.0/24", "nope"]', "govcloud:reserved[1]"),
    ("govcloud:quotaOverrides", '{"vcpu": -1}', "govcloud:quotaOverrides.vcpu"),
    ("govcloud:hostplan", "typo.yaml", "govcloud:hostplan: unknown field"),
])
def test_schema_errors_name_the_key(key: str, value: str, expected: str) -> None:
    with pytest.raises(StackError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        validate_runtime_config({**GOOD, key: value}, {"govcloud:adminPassword"}, "prod")
