"""Hostile state files: refused with the file, the JSON path or position, and what was expected;
secrets never appear in any output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checks.conftest import ROOT, check_json, find, govcloud, resources


def test_truncated_json_names_file_and_position(prod_export: Path, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.json"
    text = prod_export.read_text(encoding="utf-8")
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    code, _r, err = check_json(bad, prod_export)
    assert code == 1
    assert str(bad) in err and "truncated JSON (the file ends early) at line" in err and "column" in err


def test_other_deployment_versions_are_refused(prod_doc: dict, tmp_path: Path, prod_export: Path) -> None:
    doc = dict(prod_doc, version=4)
    bad = tmp_path / "v4.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, _r, err = check_json(bad, prod_export)
    assert code == 1 and f"{bad}: version: expected deployment version 3" in err and "got 4" in err


def test_duplicate_urns_are_refused(edited, prod_export: Path) -> None:
    def dup(doc: dict) -> None:
        resources(doc).append(json.loads(json.dumps(find(doc, "::hearing-web-03"))))

    state = edited(dup)
    code, _r, err = check_json(state, prod_export)
    assert code == 1 and "expected unique URNs" in err and "deployment.resources[262].urn" in err


def test_unknown_resource_field_is_refused(edited, prod_export: Path) -> None:
    def odd(doc: dict) -> None:
        find(doc, "::hearing-web-03")["flavour"] = "gc.c4m8"

    code, _r, err = check_json(edited(odd), prod_export)
    assert code == 1 and "unknown field 'flavour'" in err


def test_non_utf8_bytes_are_refused(prod_export: Path, tmp_path: Path) -> None:
    raw = prod_export.read_bytes()
    at = raw.index(b"hearing-web-04")
    bad = tmp_path / "latin1.json"
    bad.write_bytes(raw[:at] + b"\xff" + raw[at + 1:])
    code, _r, err = check_json(bad, prod_export)
    assert code == 1 and "expected UTF-8 text; invalid byte 0xff at byte offset" in err and str(bad) in err


def test_a_100_mb_export_is_read(edited, prod_export: Path) -> None:
    def bloat(doc: dict) -> None:
        # console output the provider echoed: a realistic way for a state to grow large
        find(doc, "::hearing-web-05")["outputs"]["consoleLog"] = "boot ok\n" * (13 * 1024 * 1024)

    state = edited(bloat)
    assert state.stat().st_size > 100 * 1024 * 1024
    code, report, err = check_json(state, prod_export)
    assert code == 0, err
    assert report["compliant"]


SECRET_CIPHER = "v1:AAAATOPSECRETCIPHERTEXTxyz=="
SECRET_PLAIN = "P@ssw0rd-plaintext-9731"


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown"])
def test_secrets_never_appear_in_any_output(edited, prod_export: Path, fmt: str, tmp_path: Path) -> None:
    sig = "4dabf18193072939515e22adb298388d"

    def secrets(doc: dict) -> None:
        find(doc, "::hearing-web-06")["outputs"]["adminPass"] = {sig: "1b47061264138c4ac30d75fd1eb44270",
                                                                  "ciphertext": SECRET_CIPHER}
        r = find(doc, "::hearing-web-07")
        r["outputs"]["adminPass"] = {sig: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(SECRET_PLAIN)}
        r["outputs"]["flavorName"] = "gc.c8m16"  # a finding, so the writers print subjects and values

    state = edited(secrets)
    out = govcloud("check", "--stack", "prod", "--state", str(state), "--declared", str(prod_export), "--format", fmt)
    assert out.returncode == 2, out.stderr
    for text in (out.stdout, out.stderr):
        assert SECRET_CIPHER not in text and SECRET_PLAIN not in text
    assert "hearing-web-07" in out.stdout


# ------------------------------------------------------------------ whose state: another stack or project
def test_the_lab_export_given_for_prod_is_refused(prod_export: Path, tmp_path: Path) -> None:
    lab = tmp_path / "lab-export.json"
    assert govcloud("plan", "--stack", "lab", "--export-state", str(lab), "--format", "json").returncode == 2
    report = tmp_path / "check.json"
    out = govcloud("check", "--stack", "prod", "--state", str(lab), "--declared", str(lab), "--format", "json",
                   "--output", str(report))
    assert out.returncode == 1 and not report.exists() and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert (f"{lab}: deployment.resources[0].urn: expected a URN of stack 'prod' of project 'govcloud' "
            f"({ROOT / 'Pulumi.yaml'} and --stack), got urn:pulumi:lab::govcloud::") in out.stderr
    assert "of stack 'lab' of project 'govcloud'" in out.stderr


def test_one_urn_of_another_project_is_refused(edited, prod_export: Path) -> None:
    def foreign(doc: dict) -> None:
        r = find(doc, "::hearing-web-03")
        r["urn"] = r["urn"].replace("::govcloud::", "::othergov::", 1)

    state = edited(foreign)
    index = next(i for i, r in enumerate(resources(json.loads(state.read_text()))) if "othergov" in r["urn"])
    code, report, err = check_json(state, prod_export)
    assert code == 1 and report == {}
    assert f"{state}: deployment.resources[{index}].urn: expected a URN of stack 'prod' of project 'govcloud'" in err
    assert "of stack 'prod' of project 'othergov'" in err and "more URNs" not in err


def test_a_parent_in_another_stack_is_refused(edited, prod_export: Path) -> None:
    def reparent(doc: dict) -> None:
        r = find(doc, "::hearing-web-04")
        r["parent"] = r["parent"].replace("urn:pulumi:prod::", "urn:pulumi:staging::", 1)

    state = edited(reparent)
    code, _report, err = check_json(state, prod_export)
    assert code == 1 and ".parent: expected a URN of stack 'prod'" in err and "of stack 'staging'" in err


def test_a_declared_export_of_another_stack_is_refused(prod_export: Path, tmp_path: Path) -> None:
    lab = tmp_path / "lab-declared.json"
    assert govcloud("plan", "--stack", "lab", "--export-state", str(lab), "--format", "json").returncode == 2
    code, _report, err = check_json(prod_export, lab)
    assert code == 1 and f"{lab}: deployment.resources[0].urn: expected a URN of stack 'prod'" in err


def test_plan_against_an_export_of_another_stack_is_refused(prod_export: Path) -> None:
    out = govcloud("plan", "--stack", "lab", "--against", str(prod_export), "--format", "json")
    assert out.returncode == 1 and out.stdout == "" and "Traceback" not in out.stderr
    assert f"{prod_export}: deployment.resources[0].urn: expected a URN of stack 'lab' of project 'govcloud'" in out.stderr
