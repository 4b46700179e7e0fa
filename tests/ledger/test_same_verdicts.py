"""``plan``, ``check``, ``diff`` and the policy pack give the same per-item verdict on the same state.

Each case is the real prod export (``govcloud plan --export-state``) or a copy edited as the check
tests edit it (inputs and outputs alike, so declared and deployed agree and only the contract
verdict is left). Then, per case:
* plan — its report (``govcloud.plan.report.item_lines``) on what the copy declares;
* check — ``govcloud check --state COPY --declared COPY --format json``;
* diff — ``govcloud diff --preview`` of a preview from the prod export to the copy: its ``status_after``;
* policy — the pack's ``validate_quotas`` (under) and ``validate_allocation`` (over) on the copy's resources.

The verdict of an item is ``ok``, ``under`` or ``over``; where an item is both (less provided, more
allocated) check and the pack report both and every command's one status is the ledger's: ``under``.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, StackValidationArgs

from govcloud.ledger.counting import Resource, tally
from govcloud.ledger.day import ContractSource, contracted
from govcloud.ledger.judgement import Status, worst
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.plan.report import item_lines
from tests.checks.conftest import ROOT, govcloud, resources

sys.path.insert(0, str(ROOT / "policy"))
import contract_policies as cp  # noqa: E402

Edit = Callable[[dict[str, Any]], None]
SA = ('schema_version: 1\nid: SA-1\ncontract: "2025095"\nsigned: 2026-01-20\neffective: 2026-03-01\n'
      "clause: article-77\nchanges:\n  - item: vcpu\n    quantity: 2000\n")


def _set(doc: dict[str, Any], match: Callable[[dict[str, Any]], bool], **values: Any) -> None:
    r = next(r for r in resources(doc) if match(r))
    r["inputs"].update(values)
    r["outputs"].update(values)


def _quota(cores: int) -> Edit:
    return lambda doc: _set(doc, lambda r: r["type"].endswith("quotaSetV2:QuotaSetV2"), cores=cores)


def _subscription(item: str, quantity: str | None) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        def is_it(r: dict[str, Any]) -> bool:
            return r["type"] == "govcloud:contract:Subscription" and r["inputs"].get("itemId") == item

        if quantity is None:
            doc["deployment"]["resources"] = [r for r in resources(doc) if not is_it(r)]
        else:
            _set(doc, is_it, quantity=quantity)
    return edit


def _remove_host(doc: dict[str, Any]) -> None:
    doc["deployment"]["resources"] = [r for r in resources(doc) if not r["urn"].endswith("::hearing-web-01")]


def _add_volume(doc: dict[str, Any]) -> None:
    """A 2 TB high-performance volume: the hosts then allocate 32 TB of the 30 contracted."""
    vt = next(r for r in resources(doc) if r["urn"].endswith("::voltype-high-performance"))
    vol = copy.deepcopy(vt)
    vol["type"] = "openstack:blockstorage/volume:Volume"
    vol["urn"] = vt["urn"].replace("volumeTypeV3:VolumeTypeV3::voltype-high-performance",
                                   "volume:Volume::extra-hp-01")
    vol["id"] = "extra-hp-01-id"
    vol["inputs"] = {"name": "extra-hp-01", "size": 2048, "volumeType": "high-performance"}
    vol["outputs"] = dict(vol["inputs"])
    resources(doc).append(vol)


def _bigger_host(doc: dict[str, Any]) -> None:
    """hearing-web-01 from gc.c4m8 to gc.c16m64: the hosts allocate 1812 vCPU and 4056 GB."""
    _set(doc, lambda r: r["urn"].endswith("::hearing-web-01"), flavorName="gc.c16m64")


def _both(*edits: Edit) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for e in edits:
            e(doc)
    return edit


@dataclass(frozen=True)
class Case:
    name: str
    edit: Edit | None
    expected: dict[str, str]  # item -> verdict; every other item ok
    both: dict[str, set[str]] = field(default_factory=dict)  # items under and over at once
    on: str | None = None
    amended: bool = False


CASES = [
    Case("prod export", None, {}),
    Case("compute quota lowered", _quota(1600), {"vcpu": "under"}),
    Case("host removed", _remove_host, {}),  # the quotas still provide the contract; hosts use less
    Case("volume added", _add_volume, {"storage_high_performance": "over"}),
    Case("subscription quantity cut", _subscription("cdn", "40000"), {"cdn": "under"}),
    Case("subscription quantity raised", _subscription("ssl_vpn", "40"), {"ssl_vpn": "over"}),
    Case("subscription removed", _subscription("cdn", None), {"cdn": "under"}),
    Case("amendment given", None, {"vcpu": "under"}, on="2026-03-01", amended=True),
    Case("amendment not yet in force", None, {}, on="2026-02-28", amended=True),
    Case("quota lowered, a host made bigger", _both(_quota(1600), _bigger_host), {"vcpu": "under", "memory": "over"},
         both={"vcpu": {"under", "over"}}),
]


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _preview(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The digest `pulumi preview --json --show-sames` writes, from ``before`` (deployed) to ``after`` (the program)."""
    old = {r["urn"]: r for r in resources(before) if r["type"] != "pulumi:pulumi:Stack"}
    new = {r["urn"]: r for r in resources(after) if r["type"] != "pulumi:pulumi:Stack"}
    steps = []
    for urn in [*old, *(u for u in new if u not in old)]:
        if urn not in new:
            steps.append({"op": "delete", "urn": urn, "oldState": old[urn]})
        elif urn not in old:
            steps.append({"op": "create", "urn": urn, "newState": new[urn]})
        elif old[urn] != new[urn]:
            diff = sorted(k for k in new[urn]["inputs"] if new[urn]["inputs"][k] != old[urn]["inputs"].get(k))
            steps.append({"op": "update", "urn": urn, "oldState": old[urn], "newState": new[urn], "diffReasons": diff,
                          "detailedDiff": {k: {"kind": "update", "inputDiff": True} for k in diff}})
        else:
            steps.append({"op": "same", "urn": urn, "oldState": old[urn], "newState": new[urn]})
    summary: dict[str, int] = {}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    return {"steps": steps, "changeSummary": summary, "duration": 1}


def _plan(doc: dict[str, Any], items: dict[str, Any]) -> dict[str, str]:
    declared = tally(Resource(r["type"], r["urn"].rsplit("::", 1)[-1], r.get("inputs", {})) for r in resources(doc)
                     if r["type"] != "pulumi:pulumi:Stack")
    return {line.id: line.status for line in item_lines(declared, items)}


def _policy(doc: dict[str, Any], config: dict[str, Any]) -> dict[str, set[str]]:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = StackValidationArgs([PolicyResource(r["type"], r.get("inputs", {}), r["urn"], r["urn"].rsplit("::", 1)[-1],
                                               opts, None, None, [], {})
                                for r in resources(doc) if r["type"] != "pulumi:pulumi:Stack"], config)
    found: dict[str, set[str]] = {}
    for validate, verdict in ((cp.validate_quotas, "under"), (cp.validate_allocation, "over")):
        validate(args, lambda message, urn=None, v=verdict: found.setdefault(message.split(" ", 1)[0], set()).add(v))
    return found


@pytest.fixture(scope="module")
def sa_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("amendments") / "sa.yaml"
    path.write_text(SA, encoding="utf-8")
    return path


def test_plan_in_process_is_the_plan_command(prod_doc: dict[str, Any]) -> None:
    """The plan verdicts below come from the same report function the command prints."""
    out = govcloud("plan", "--stack", "prod", "--format", "json")
    assert out.returncode == 0, out.stderr
    items = dict(contracted(ContractSource(DEFAULT_CONTRACT)).items)
    assert {i["id"]: i["status"] for i in json.loads(out.stdout)["items"]} == _plan(prod_doc, items)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_check_diff_and_policy_agree(case: Case, prod_doc: dict[str, Any], sa_file: Path,
                                          tmp_path: Path) -> None:
    doc = copy.deepcopy(prod_doc)
    if case.edit:
        case.edit(doc)
    state = _write(tmp_path / "state.json", doc)
    amendments = [str(sa_file)] if case.amended else []
    extra = [*(a for p in amendments for a in ("--amendment", p)), *(("--on", case.on) if case.on else ())]
    items = dict(contracted(ContractSource(DEFAULT_CONTRACT), date.fromisoformat(case.on) if case.on else None,
                            [Path(a) for a in amendments]).items)
    expected = {item: case.expected.get(item, "ok") for item in items}

    plan = _plan(doc, items)

    out = govcloud("check", "--stack", "prod", "--state", str(state), "--declared", str(state), "--format", "json",
                   *extra)
    assert out.returncode in (0, 2), out.stderr
    check_items = json.loads(out.stdout)["items"]
    check = {i["id"]: i["status"] for i in check_items}
    check_both = {i["id"]: set(i["statuses"]) for i in check_items if len(i["statuses"]) > 1}

    preview = _write(tmp_path / "preview.json", _preview(prod_doc, doc))
    out = govcloud("diff", "--preview", str(preview), "--format", "json", *extra)
    assert out.returncode in (0, 2), out.stderr
    diff = {i["id"]: i["status_after"] for i in json.loads(out.stdout)["items"]}

    config: dict[str, Any] = {"amendments": amendments, "on": case.on} if case.amended else {}
    found = _policy(doc, config)
    policy = {item: worst(found.get(item, ())).value for item in items}
    policy_both = {item: v for item, v in found.items() if len(v) > 1}

    assert plan == expected
    assert check == expected
    assert diff == expected
    assert policy == expected
    assert check_both == policy_both == case.both
    assert all(isinstance(s, Status) for s in plan.values())


def test_the_lab_stack_is_under_on_every_item_everywhere(tmp_path: Path) -> None:
    """The lab provisions only what its four hosts use (``provision: hostplan``): every item is under,
    including those it provides nothing of (CDN, anti-DDoS, leased lines...), which check used to call ok."""
    export = tmp_path / "lab.json"
    out = govcloud("plan", "--stack", "lab", "--export-state", str(export), "--format", "json")
    assert out.returncode == 2, out.stderr
    plan = {i["id"]: i["status"] for i in json.loads(out.stdout)["items"]}
    out = govcloud("check", "--stack", "lab", "--state", str(export), "--declared", str(export), "--format", "json")
    check = {i["id"]: i["status"] for i in json.loads(out.stdout)["items"]}
    doc = json.loads(export.read_text(encoding="utf-8"))
    preview = _write(tmp_path / "preview.json", _preview(doc, doc))
    out = govcloud("diff", "--stack", "lab", "--preview", str(preview), "--format", "json")
    diff = {i["id"]: i["status_after"] for i in json.loads(out.stdout)["items"]}
    found = _policy(doc, {})
    policy = {item: worst(found.get(item, ())).value for item in plan}
    assert plan == check == diff == policy == {item: "under" for item in plan} and len(plan) == 19
