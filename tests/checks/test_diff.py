"""`govcloud diff --preview` and `govcloud plan --against`: a change priced against the contract.

No Pulumi CLI exists here, so the preview digests are built in the shape `pulumi preview --json`
writes (PreviewDigest: steps with op, urn, oldState, newState, diffReasons, detailedDiff;
changeSummary) from the real prod export — a stand-in for the CLI's output, said so here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.checks.conftest import govcloud, resources


def preview_from(doc: dict[str, Any], change: dict[str, tuple[dict, dict | None]]) -> dict[str, Any]:
    """Every custom resource a `same` step, except URNs in ``change`` (old, new) → update/delete."""
    steps = []
    for r in resources(doc):
        if r["type"] == "pulumi:pulumi:Stack":
            continue
        if r["urn"] in change:
            old, new = change[r["urn"]]
            if new is None:
                steps.append({"op": "delete", "urn": r["urn"], "oldState": old})
            else:
                diff = sorted(k for k in new.get("inputs", {}) if new["inputs"][k] != old.get("inputs", {}).get(k))
                steps.append({"op": "update", "urn": r["urn"], "oldState": old, "newState": new, "diffReasons": diff,
                              "detailedDiff": {k: {"kind": "update", "inputDiff": True} for k in diff}})
        else:
            steps.append({"op": "same", "urn": r["urn"], "oldState": r, "newState": r})
    summary: dict[str, int] = {}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    return {"steps": steps, "changeSummary": summary, "duration": 1234}


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return p


def raise_cores(doc: dict, cores: int) -> dict:
    quota = next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))
    new = copy.deepcopy(quota)
    new["inputs"]["cores"] = new["outputs"]["cores"] = cores
    return preview_from(doc, {quota["urn"]: (quota, new)})


def test_a_change_over_the_contract_needs_an_amendment(prod_doc: dict, tmp_path: Path) -> None:
    preview = write(tmp_path, "preview.json", raise_cores(prod_doc, 2000))
    out = govcloud("diff", "--preview", str(preview), "--format", "json", "--on", "2026-01-01")
    assert out.returncode == 2, out.stderr
    report = json.loads(out.stdout)
    assert report["needs_amendment"] is True
    assert (report["contract"], report["stack"], report["on"]) == ("2025095", "prod", "2026-01-01")
    assert report["steps"]["update"] == 1
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert (vcpu["before"], vcpu["after"], vcpu["status_after"]) == ("1800", "2000", "over")
    assert (vcpu["monthly_before"], vcpu["monthly_after"]) == ("25200.00", "28000.00")  # 14 yuan per vCPU-month
    assert (vcpu["term_before"], vcpu["term_after"]) == ("302400.00", "336000.00")
    assert [i["id"] for i in report["items"] if i["changed"]] == ["vcpu"]
    assert [i["id"] for i in report["items"] if i["leaves_contract"]] == ["vcpu"]
    assert report["term_before"] == "5983667.20"
    md = govcloud("diff", "--preview", str(preview), "--on", "2026-01-01")
    assert "needs a supplementary agreement" in md.stdout and "| `vcpu`" in md.stdout
    assert "contract 2025095, stack prod, on 2026-01-01" in md.stdout


def test_a_change_under_the_contract_is_reported(prod_doc: dict, tmp_path: Path) -> None:
    preview = write(tmp_path, "preview.json", raise_cores(prod_doc, 1700))
    out = govcloud("diff", "--preview", str(preview), "--format", "json")
    assert out.returncode == 2
    report = json.loads(out.stdout)
    assert report["needs_amendment"] is False
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert (vcpu["status_after"], vcpu["leaves_contract"]) == ("under", True)


def test_a_change_within_the_contract_passes(prod_doc: dict, tmp_path: Path) -> None:
    rule = next(r for r in resources(prod_doc) if r["type"].endswith("secGroupRule:SecGroupRule"))
    new = copy.deepcopy(rule)
    new["inputs"]["description"] = "tightened"
    preview = write(tmp_path, "preview.json", preview_from(prod_doc, {rule["urn"]: (rule, new)}))
    out = govcloud("diff", "--preview", str(preview), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert not any(i["changed"] or i["leaves_contract"] for i in json.loads(out.stdout)["items"])


def test_a_malformed_preview_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path, "preview.json", {"steps": [{"op": "explode", "urn": "urn:pulumi:prod::govcloud::x:y:Z::n"}]})
    out = govcloud("diff", "--preview", str(bad))
    assert out.returncode == 1 and "steps[0].op" in out.stderr and "expected one of same, create" in out.stderr


def test_plan_against_an_export_computes_the_steps_offline(prod_doc: dict, tmp_path: Path) -> None:
    doc = copy.deepcopy(prod_doc)
    next(r for r in resources(doc) if r["type"].endswith("quotaSetV2:QuotaSetV2"))["outputs"]["cores"] = 1600
    doc["deployment"]["resources"] = [r for r in resources(doc) if not r["urn"].endswith("::hearing-web-01")]
    export = write(tmp_path, "export.json", doc)
    out = govcloud("plan", "--stack", "prod", "--against", str(export), "--format", "json")
    assert out.returncode == 0, out.stderr  # applying the program brings everything back within the contract
    report = json.loads(out.stdout)
    assert report["steps"]["create"] == 1 and report["steps"]["update"] == 1 and report["stack"] == "prod"
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert (vcpu["before"], vcpu["after"], vcpu["status_before"], vcpu["status_after"]) == ("1600", "1800", "under", "ok")


def test_a_preview_of_another_stack_is_refused(prod_doc: dict, tmp_path: Path) -> None:
    preview = write(tmp_path, "preview.json", raise_cores(prod_doc, 2000))
    out = govcloud("diff", "--stack", "lab", "--preview", str(preview), "--format", "json")
    assert out.returncode == 1 and out.stdout == ""
    assert f"{preview}: steps[0].urn: expected a URN of stack 'lab' of project 'govcloud'" in out.stderr
    assert "of stack 'prod' of project 'govcloud'" in out.stderr


def test_a_preview_without_the_unchanged_resources_is_refused(prod_doc: dict, tmp_path: Path) -> None:
    doc = raise_cores(prod_doc, 2000)
    doc["steps"] = [s for s in doc["steps"] if s["op"] != "same"]  # `pulumi preview --json` without --show-sames
    preview = write(tmp_path, "preview.json", doc)
    out = govcloud("diff", "--preview", str(preview))
    assert out.returncode == 1 and f"{preview}: steps: expected a step for every resource" in out.stderr
