"""The real Pulumi CLI's shapes (``data/``: ``pulumi stack export``, ``pulumi preview --json`` and
``pulumi refresh --preview-only --json`` of the lab stack, sources in ``data/README.md``) through
the real readers and the real commands."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

from govcloud.errors import InputError
from govcloud.paths import PROJECT_ROOT
from govcloud.state.export import read_export
from govcloud.state.identity import StackIdentity, stack_identity
from govcloud.state.preview import read_preview
from govcloud.state.secrets import SECRET, SIG_KEY, UNKNOWN
from tests.state.conftest import (LAB_EXPORT, LAB_INTERRUPTED, LAB_PREVIEW, LAB_PREVIEW_DEFAULT, LAB_REFRESH,
                                  govcloud, load)

LAB = StackIdentity("lab", "govcloud")
INSTANCE = "openstack:compute/instance:Instance"
RESOURCE_SHAPES = {"created", "modified", "sourcePosition", "propertyDependencies", "dependencies", "protect",
                   "retainOnDelete", "deletedWith", "importID", "additionalSecretOutputs", "aliases",
                   "customTimeouts", "ignoreChanges", "replaceOnChanges", "provider", "parent"}
INTERRUPTED_SHAPES = {"delete", "pendingReplacement", "external", "initErrors"}
DIFF_KINDS = {"add", "add-replace", "delete", "delete-replace", "update", "update-replace"}


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def secret_texts(doc: Any) -> set[str]:
    """Every ciphertext and plaintext a file holds: none may reach any output."""
    return {v.get("ciphertext") or v.get("plaintext") for _p, v in walk(doc)
            if isinstance(v, dict) and SIG_KEY in v and ("ciphertext" in v or "plaintext" in v)}


def by_name(resources: Any, name: str) -> Any:
    return next(r for r in resources if r.urn.endswith("::" + name))


# ------------------------------------------------------------------ the fixtures hold what they claim
def test_the_export_fixture_carries_the_cli_shapes() -> None:
    doc = load(LAB_EXPORT)
    dep = doc["deployment"]
    assert set(dep) == {"manifest", "secrets_providers", "resources", "metadata"}
    assert {p["type"] for p in dep["manifest"]["plugins"]} == {"resource", "language"}
    keys = set().union(*(set(r) for r in dep["resources"]))
    assert RESOURCE_SHAPES <= keys
    assert any(v is None for r in dep["resources"] for v in (r.get("propertyDependencies") or {}).values())
    secrets = [(p, v) for p, v in walk(doc) if isinstance(v, dict) and SIG_KEY in v]
    assert {"ciphertext", "plaintext"} <= {k for _p, v in secrets for k in v}
    assert max(p.count(".") + p.count("[") for p, _v in secrets) >= 7  # a secret in a list in a map in a map
    types = Counter(r["type"] for r in dep["resources"])
    assert types["pulumi:pulumi:Stack"] == 1 and types["pulumi:providers:openstack"] == 1
    provider = next(r for r in dep["resources"] if r["type"] == "pulumi:providers:openstack")
    assert all(r["provider"] == f"{provider['urn']}::{provider['id']}" for r in dep["resources"] if "provider" in r)
    assert any(not r["custom"] and r["type"].startswith("govcloud:") for r in dep["resources"])  # components


def test_the_interrupted_fixture_carries_the_odd_shapes() -> None:
    dep = load(LAB_INTERRUPTED)["deployment"]
    assert INTERRUPTED_SHAPES <= set().union(*(set(r) for r in dep["resources"]))
    assert [op["type"] for op in dep["pending_operations"]] == ["updating"]
    urns = Counter(r["urn"] for r in dep["resources"])
    assert [u.rsplit("::", 1)[1] for u, n in urns.items() if n == 2] == ["lab-app-01"]


def test_the_preview_fixtures_carry_the_cli_shapes() -> None:
    doc = load(LAB_PREVIEW)
    assert set(doc) == {"config", "steps", "diagnostics", "duration", "changeSummary"}
    ops = Counter(s["op"] for s in doc["steps"])
    assert set(ops) == {"same", "update", "replace", "create-replacement", "delete-replaced", "create", "delete",
                        "read", "discard", "import"}
    kinds = {d["kind"] for s in doc["steps"] for d in (s["detailedDiff"] or {}).values()}
    assert kinds == DIFF_KINDS
    assert all(s["detailedDiff"] is None for s in doc["steps"] if s["op"] == "same")  # written as null
    assert {d["severity"] for d in doc["diagnostics"]} == {"info", "warning"}
    assert not secret_texts(doc) and any(v == "[secret]" for _p, v in walk(doc))  # the CLI masks them
    assert {s["op"] for s in load(LAB_REFRESH)["steps"]} == {"same", "refresh"}


# ------------------------------------------------------------------ the readers
def test_the_export_reads_with_every_secret_redacted() -> None:
    dep = read_export(LAB_EXPORT, LAB)
    assert (dep.stack, dep.project, dep.engine_version) == ("lab", "govcloud", "v3.272.0")
    assert len(dep.resources) == 48 and not dep.pending_operations and not dep.pending_deletes
    assert Counter(r.type for r in dep.resources)[INSTANCE] == 4
    inst = by_name(dep.resources, "lab-app-01")
    assert inst.outputs["adminPass"] is SECRET and inst.outputs["personality"][0]["content"] is SECRET
    assert inst.outputs["allMetadata"]["bootstrap"]["token"] is SECRET
    assert inst.outputs["allMetadata"]["bootstrap"]["chain"][1]["key"] is SECRET
    stack = dep.resources[0]
    assert stack.outputs["recovery"][0]["key"] is SECRET and stack.outputs["adminConsole"]["token"] is SECRET
    provider = next(r for r in dep.resources if r.type == "pulumi:providers:openstack")
    assert provider.inputs["password"] is SECRET and inst.provider == f"{provider.urn}::{provider.id}"
    texts = repr([(r.inputs, r.outputs) for r in dep.resources])
    assert not any(t in texts for t in secret_texts(load(LAB_EXPORT)))


def test_an_interrupted_update_reads_with_its_pending_copies_apart() -> None:
    dep = read_export(LAB_INTERRUPTED, LAB)
    assert len(dep.resources) == 48  # 50 in the file: the old copy and the deleted rule are not deployed
    assert [(r.name, r.id) for r in dep.pending_deletes] == [("lab-app-01", "0b7e2f7c-1a55-4d3e-b9a0-6f1e8d2c4a10")]
    assert [r.name for r in dep.pending_replacements] == ["sg-app-intra"]
    assert dep.by_urn()[by_name(dep.resources, "lab-app-01").urn].id == "lab-app-01-id"
    assert by_name(dep.resources, "lab-external").external
    assert "No valid host" in by_name(dep.resources, "lab-log-01").init_errors[0]
    assert [(op.type, op.urn.rsplit("::", 1)[1]) for op in dep.pending_operations] == [("updating", "lab-app-02")]


def test_two_live_copies_of_one_urn_are_still_refused(tmp_path: Path) -> None:
    doc = load(LAB_INTERRUPTED)
    old = next(r for r in doc["deployment"]["resources"] if r.get("delete"))
    del old["delete"]
    bad = tmp_path / "two-live.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_export(bad, LAB)
    assert "expected unique URNs" in str(err.value) and "only copies marked `delete: true`" in str(err.value)


def test_the_preview_reads_one_logical_step_per_resource() -> None:
    preview = read_preview(LAB_PREVIEW, LAB)
    assert Counter(s.op for s in preview.steps) == {"same": 42, "update": 3, "replace": 2, "create": 1, "delete": 1,
                                                    "read": 1, "discard": 1, "import": 1}
    assert sorted(s.op for s in preview.replacement_steps) == ["create-replacement"] * 2 + ["delete-replaced"] * 2
    assert len({s.urn for s in preview.steps}) == len(preview.steps)  # each resource once
    replace = next(s for s in preview.steps if s.op == "replace" and s.urn.endswith("::lab-app-01"))
    assert replace.replace_reasons == ("blockDevices[0].uuid",)
    assert replace.detailed_diff == {"blockDevices[0].uuid": {"kind": "update-replace", "inputDiff": True}}
    assert replace.old.outputs["adminPass"] == "[secret]" and replace.new.outputs["id"] == UNKNOWN
    assert next(s for s in preview.steps if s.op == "read").new.external
    assert preview.change_summary == dict(Counter(s.op for s in preview.steps)) and preview.unlisted_sames == 0
    assert len(preview.diagnostics) == 2


def test_a_default_preview_lists_only_the_root_stack_of_the_unchanged() -> None:
    preview = read_preview(LAB_PREVIEW_DEFAULT, LAB)
    assert [s.op for s in preview.steps] == ["same", "update"] and preview.unlisted_sames == 46


def test_the_refresh_preview_reads_the_cloud_side() -> None:
    preview = read_preview(LAB_REFRESH, LAB)
    assert Counter(s.op for s in preview.steps) == {"refresh": 47, "same": 1} and preview.unlisted_sames == 0
    quota = next(s for s in preview.steps if s.urn.endswith("::cloud-hosts-quota"))
    assert (quota.old.outputs["cores"], quota.new.outputs["cores"]) == (8, 6)
    assert next(s for s in preview.steps if s.urn.endswith("::lab-log-01")).new is None  # gone from the cloud


def test_the_expected_identity_comes_from_the_project_file() -> None:
    assert stack_identity(PROJECT_ROOT, "prod") == StackIdentity("prod", "govcloud", str(PROJECT_ROOT / "Pulumi.yaml"))
    with pytest.raises(InputError) as err:
        read_export(LAB_EXPORT, StackIdentity("lab", "othergov"))
    assert "deployment.resources[0].urn: expected a URN of stack 'lab' of project 'othergov'" in str(err.value)
    with pytest.raises(InputError) as err:
        read_preview(LAB_PREVIEW, StackIdentity("prod", "govcloud"))
    assert "steps[0].urn" in str(err.value) and "of stack 'lab' of project 'govcloud'" in str(err.value)


# ------------------------------------------------------------------ the commands
def check_report(*args: str) -> tuple[int, dict[str, Any], str]:
    out = govcloud("check", *args, "--format", "json")
    return out.returncode, json.loads(out.stdout) if out.stdout.strip() else {}, out.stderr


def test_check_finds_in_the_cli_export_what_it_finds_in_our_own(lab_written: Path) -> None:
    code, report, err = check_report("--stack", "lab", "--state", str(LAB_EXPORT))
    ours_code, ours, _ = check_report("--stack", "lab", "--state", str(lab_written))
    assert code == ours_code == 2, err  # the lab is under the contract by design (Pulumi.lab.yaml)
    # 19: every contract item the lab does not buy in full is under, including the six it declares
    # nothing for (bandwidth, remote access, SSL VPN, anti-DDoS, CDN, leased lines: nothing counts as zero)
    assert {f["kind"] for f in report["findings"]} == {"under"} and len(report["findings"]) == 19
    assert report["items"] == ours["items"] and report["findings"] == ours["findings"]
    assert report["coverage"] == {"managed": 30, "missing": 0, "unmanaged": 0, "changed": 0, "percent": 100.0}
    assert {h["presence"] for h in report["hosts"]} == {"present"} and len(report["hosts"]) == 4
    code, again, _ = check_report("--stack", "lab", "--state", str(LAB_EXPORT), "--declared", str(LAB_EXPORT))
    assert code == 2 and again["findings"] == report["findings"]


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown"])
def test_no_secret_of_the_cli_export_reaches_any_output(fmt: str) -> None:
    out = govcloud("check", "--stack", "lab", "--state", str(LAB_INTERRUPTED), "--format", fmt)
    assert out.returncode == 2, out.stderr
    texts = secret_texts(load(LAB_INTERRUPTED))
    assert len(texts) >= 10
    assert not any(t in out.stdout or t in out.stderr for t in texts)


def test_check_reports_what_an_interrupted_update_left() -> None:
    code, report, err = check_report("--stack", "lab", "--state", str(LAB_INTERRUPTED))
    assert code == 2, err
    odd = sorted((f["kind"], f["urn"].rsplit("::", 1)[1]) for f in report["findings"] if f["kind"] != "under")
    assert odd == [("missing", "sg-app-intra"), ("pending-operation", "lab-app-02"), ("unmanaged", "lab-external")]
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert (vcpu["deployed"], vcpu["allocated"]) == ("8", "8")  # the old copy of lab-app-01 is not counted again


def dressed(prod: dict[str, Any], lab: dict[str, Any]) -> dict[str, Any]:
    """The prod export in the CLI's shapes: the lab fixture's manifest and secrets provider, and on each
    prod resource the CLI's fields (and an instance's provider-only outputs) of a lab resource of its type."""
    doc = copy.deepcopy(prod)
    dep, lab_dep = doc["deployment"], lab["deployment"]
    for key in ("manifest", "secrets_providers", "metadata"):
        dep[key] = copy.deepcopy(lab_dep[key])
    like = {}
    for r in lab_dep["resources"]:
        like.setdefault(r["type"], r)
    lab_provider = next(r for r in lab_dep["resources"] if r["type"] == "pulumi:providers:openstack")
    provider = next(r for r in dep["resources"] if r["type"] == "pulumi:providers:openstack")
    old_ref, provider["id"] = f"{provider['urn']}::{provider['id']}", lab_provider["id"]
    provider["inputs"], provider["outputs"] = copy.deepcopy(lab_provider["inputs"]), copy.deepcopy(lab_provider["outputs"])
    carried = ("created", "modified", "sourcePosition", "protect", "retainOnDelete", "additionalSecretOutputs",
               "customTimeouts", "ignoreChanges", "replaceOnChanges")
    for r in dep["resources"]:
        if r.get("provider") == old_ref:
            r["provider"] = f"{provider['urn']}::{provider['id']}"
        model = like.get(r["type"], {})
        r.update({k: copy.deepcopy(model[k]) for k in carried if k in model})
        if "propertyDependencies" in model:
            r["propertyDependencies"] = {k: None for k in r.get("inputs", {})}
        if r["type"] == INSTANCE:
            extra = {k: v for k, v in model["outputs"].items() if k not in model["inputs"] and k != "id"}
            r["outputs"].update(copy.deepcopy(extra))
    return doc


def test_check_passes_on_the_prod_stack_in_the_cli_shapes(prod_written: Path, tmp_path: Path) -> None:
    state = tmp_path / "prod-cli.json"
    state.write_text(json.dumps(dressed(load(prod_written), load(LAB_EXPORT))), encoding="utf-8")
    code, report, err = check_report("--stack", "prod", "--state", str(state))
    assert code == 0, err
    assert report["compliant"] and report["findings"] == [] and len(report["hosts"]) == 200
    assert report["coverage"]["percent"] == 100.0


def test_an_export_of_another_stack_is_refused_by_check(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    out = govcloud("check", "--stack", "prod", "--state", str(LAB_EXPORT), "--format", "json", "--output", str(output))
    assert out.returncode == 1 and not output.exists() and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert (f"{LAB_EXPORT}: deployment.resources[0].urn: expected a URN of stack 'prod' of project 'govcloud'"
            in lines[0]) and "of stack 'lab' of project 'govcloud'" in lines[0]


def test_diff_prices_the_cli_preview() -> None:
    out = govcloud("diff", "--stack", "lab", "--preview", str(LAB_PREVIEW), "--format", "json")
    assert out.returncode == 2, out.stderr  # the lab stays under the contract
    report = json.loads(out.stdout)
    assert report["steps"] == {"same": 42, "update": 3, "replace": 2, "create": 1, "delete": 1, "read": 1,
                               "discard": 1, "import": 1}
    assert not report["needs_amendment"] and report["stack"] == "lab"
    changed = {i["id"]: (i["before"], i["after"], i["status_after"]) for i in report["items"] if i["changed"]}
    assert changed == {"vcpu": ("8", "12", "under"), "memory": ("16", "24", "under")}


def test_diff_refuses_a_preview_without_the_unchanged_resources() -> None:
    out = govcloud("diff", "--stack", "lab", "--preview", str(LAB_PREVIEW_DEFAULT))
    assert out.returncode == 1 and out.stdout == ""
    assert f"{LAB_PREVIEW_DEFAULT}: steps: expected a step for every resource" in out.stderr
    assert "--show-sames" in out.stderr and "46 unchanged resources" in out.stderr


def test_diff_refuses_a_preview_of_another_stack() -> None:
    out = govcloud("diff", "--stack", "prod", "--preview", str(LAB_PREVIEW))
    assert out.returncode == 1 and out.stdout == ""
    assert f"{LAB_PREVIEW}: steps[0].urn: expected a URN of stack 'prod' of project 'govcloud'" in out.stderr


def test_diff_reads_the_refresh_preview() -> None:
    out = govcloud("diff", "--stack", "lab", "--preview", str(LAB_REFRESH), "--format", "json")
    assert out.returncode in (0, 2), out.stderr
    assert json.loads(out.stdout)["steps"] == {"refresh": 47, "same": 1}


def test_diff_prices_the_drift_a_refresh_preview_finds() -> None:
    out = govcloud("diff", "--stack", "lab", "--preview", str(LAB_REFRESH), "--format", "json")
    report = json.loads(out.stdout)
    vcpu = next(i for i in report["items"] if i["id"] == "vcpu")
    assert out.returncode == 2 and (vcpu["before"], vcpu["after"]) == ("8", "6")
