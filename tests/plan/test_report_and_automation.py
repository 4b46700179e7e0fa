"""Plan report invariants, outputs masking, and the Automation API commands without a CLI."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from govcloud.contract import DEFAULT_CONTRACT, load_contract
from govcloud.ledger.counting import Resource
from govcloud.plan.report import PlanError, build_report
from govcloud.plan.runner import MockRun
from tests.plan.support import ROOT, dump, env_without_pulumi, govcloud


@pytest.fixture(scope="module")
def prod_dump() -> dict[str, Any]:
    return dump("prod", ROOT)


def _run(doc: dict[str, Any], outputs: dict[str, Any] | None = None, secret: frozenset[str] = frozenset()) -> MockRun:
    return MockRun("prod", tuple(Resource(r["type"], r["name"], r["inputs"]) for r in doc["resources"]),
                   frozenset((r["type"], r["name"]) for r in doc["resources"] if r["custom"]),
                   outputs if outputs is not None else doc["outputs"], secret)


def test_report_from_a_saved_run_is_compliant(prod_dump: dict[str, Any]) -> None:
    contract = load_contract(DEFAULT_CONTRACT)
    report = build_report(_run(prod_dump), contract, {li.id: li for li in contract.line_items})
    assert report.compliant and report.exit_code == 0
    assert str(report.term_total) == "5983667.20"


def test_declared_output_must_match_what_was_registered(prod_dump: dict[str, Any]) -> None:
    outputs = copy.deepcopy(prod_dump["outputs"])
    outputs["declared"]["memory"]["quantity"] = "3000"
    contract = load_contract(DEFAULT_CONTRACT)
    with pytest.raises(PlanError, match=r"declared.memory.quantity is 3000 but the registered resources declare 4000"):
        build_report(_run(prod_dump, outputs), contract, {li.id: li for li in contract.line_items})


def test_subscription_in_the_wrong_unit_is_an_error(prod_dump: dict[str, Any]) -> None:
    doc = copy.deepcopy(prod_dump)
    next(r for r in doc["resources"] if r["inputs"].get("itemId") == "cdn")["inputs"]["unit"] = "TB/month"
    contract = load_contract(DEFAULT_CONTRACT)
    with pytest.raises(PlanError, match="subscription for cdn is in 'TB/month'"):
        build_report(_run(doc), contract, {li.id: li for li in contract.line_items})


def test_secret_outputs_are_masked() -> None:
    run = MockRun("x", (), frozenset(), {"hosts": [], "token": "s3cr3t"}, frozenset({"token"}))
    assert run.outputs_document() == {"hosts": [], "token": "[secret]"}


@pytest.mark.parametrize("action", ["preview", "up", "refresh"])
def test_without_the_pulumi_cli_exit_1_and_name_govcloud_plan(action: str) -> None:
    proc = govcloud(action, "--stack", "prod", env=env_without_pulumi())
    assert proc.returncode == 1
    assert "no `pulumi` CLI on PATH" in proc.stderr
    assert "govcloud plan --stack prod" in proc.stderr
