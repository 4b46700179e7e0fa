"""Each class of hostile or careless input from issue 13, through the real readers and the real CLI:
it ends in a clear one-line error (exit 1) naming the file and what was expected, fast, with no
traceback and nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rich.console import Console

from govcloud.cli import main
from govcloud.errors import InputError
from govcloud.jsondoc import load_json
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.engine.run import execute
from govcloud.runbook.engine.status import run_status
from govcloud.yamldoc import load_yaml

from .samples import AMENDMENT, IGNORE, MATERIALS, ROOT, acceptance_text, lab_export_bytes

CONTRACT = ROOT / "contracts" / "2025095.yaml"


def govcloud(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
             timeout: float = 60) -> tuple[int, str, float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "govcloud.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    return proc.returncode, out, time.monotonic() - t0


def billion_laughs(top: str) -> str:
    """Nine levels of nine aliases each: 387 million strings if a reader expands them."""
    lines = [f'{top}: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ YAML: aliases, depth, size, tags
@pytest.mark.parametrize(("command", "base"), [
    (["contract", "validate"], "schema_version: 1\n"),
    (["contract", "cost", "--amendment"], AMENDMENT),
    (["check", "--stack", "lab", "--ignore"], IGNORE),
])
def test_alias_bomb_is_refused_at_once(tmp_path: Path, command: list[str], base: str) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(base + billion_laughs("lol_bomb"), encoding="utf-8")
    extra = []
    if command[0] == "check":
        (tmp_path / "lab.json").write_bytes(lab_export_bytes())
        extra = ["--state", str(tmp_path / "lab.json"), "--declared", str(tmp_path / "lab.json")]
    code, out, seconds = govcloud(*command, str(f), *extra, timeout=30)
    assert code == 1, out
    assert "bomb.yaml:" in out and "anchor on a plain value only, got &a on a mapping or list" in out
    assert seconds < 15


def test_self_referencing_alias_is_an_error_not_a_recursion(tmp_path: Path) -> None:
    f = tmp_path / "self-alias.yaml"
    f.write_text("schema_version: 1\nline_items: &l [*l]\n")
    code, out, _ = govcloud("contract", "validate", str(f))
    assert code == 1 and "self-alias.yaml:2" in out and "&l" in out


def test_scalar_aliases_stay_accepted() -> None:
    """The project's scan waivers share one reason among several rules with a scalar anchor."""
    doc = load_yaml(ROOT / "playbooks" / "scan-waivers.yml")
    reasons = [w["reason"] for w in doc.data["waivers"]]
    assert len(reasons) > len(set(reasons))  # some reasons are the same sentence, through an alias


@pytest.mark.parametrize("text", ["<<: {a: 1}\nb: 2\n", "a: !!python/object:os.system {}\n", "a: !custom 1\n"])
def test_merge_keys_and_tags_are_refused(tmp_path: Path, text: str) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        load_yaml(f)
    assert str(f) in str(exc.value) and ("merge keys" in str(exc.value) or "tag" in str(exc.value))


def test_contract_nested_100000_deep(tmp_path: Path) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("schema_version: 1\nline_items: " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, out, seconds = govcloud("contract", "validate", str(f))
    assert code == 1 and "deep.yaml:2" in out and "at most 64 levels of nesting" in out
    assert "GOVCLOUD_MAX_DEPTH" in out and seconds < 15


def test_a_50_mb_contract_is_refused_before_it_is_read(tmp_path: Path) -> None:
    f = tmp_path / "huge.yaml"
    with f.open("w") as fh:
        fh.write("schema_version: 1\nnotes:\n")
        line = "  - " + "x" * 1019 + "\n"
        for _ in range(50 * 1024):
            fh.write(line)
    code, out, seconds = govcloud("contract", "validate", str(f))
    assert code == 1 and "expected at most 8 MiB, the file has 50 MiB" in out and "GOVCLOUD_MAX_YAML_MB" in out
    assert seconds < 10


def test_the_yaml_size_limit_is_the_users_to_raise(tmp_path: Path) -> None:
    f = tmp_path / "long.yaml"
    f.write_text("schema_version: 1\nnotes: " + "x" * (1024 * 1024 + 512 * 1024) + "\n")
    code, out, _ = govcloud("contract", "validate", str(f), env={"GOVCLOUD_MAX_YAML_MB": "1"})
    assert code == 1 and "expected at most 1 MiB, the file has 1.5 MiB" in out
    code, out, _ = govcloud("contract", "validate", str(f), env={"GOVCLOUD_MAX_YAML_MB": "2"})
    assert code == 1 and "MiB" not in out and "long.yaml" in out  # read, and refused for what it says


@pytest.mark.parametrize("name", ["fifo", "directory", "device"])
def test_not_a_regular_file(tmp_path: Path, name: str) -> None:
    path = {"fifo": tmp_path / "pipe.yaml", "directory": tmp_path, "device": Path("/dev/zero")}[name]
    if name == "fifo":
        os.mkfifo(path)  # a reader that opened it would wait for a writer forever
    code, out, seconds = govcloud("contract", "validate", str(path), timeout=30)
    assert code == 1 and str(path) in out
    assert ("directory" in out) if name == "directory" else ("regular file" in out)


def test_bom_accepted_control_characters_and_bad_bytes_refused(tmp_path: Path) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    f = tmp_path / "c.yaml"
    f.write_text("\ufeff" + text, encoding="utf-8")
    assert govcloud("contract", "validate", str(f))[0] == 0  # documented: a BOM is dropped
    f.write_text(text.replace("name_zh", "name\x07zh", 1), encoding="utf-8")
    code, out, _ = govcloud("contract", "validate", str(f))
    assert code == 1 and "#x0007" in out
    f.write_bytes(text.encode("utf-8").replace("人民法院".encode(), b"\xff\xfe", 1))
    code, out, _ = govcloud("contract", "validate", str(f))
    assert code == 1 and "expected UTF-8 text; invalid byte 0xff" in out


# ------------------------------------------------------------------ JSON: depth, duplicates, numbers
def test_stack_export_and_evidence_nested_100000_deep(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    export = tmp_path / "export.json"
    export.write_text('{"version": 3, "deployment": ' + deep + "}")
    (tmp_path / "lab.json").write_bytes(lab_export_bytes())
    code, out, _ = govcloud("check", "--stack", "lab", "--state", str(export), "--declared", str(tmp_path / "lab.json"))
    assert code == 1 and "export.json" in out and "levels of nesting" in out
    evidence = tmp_path / "evidence.json"
    evidence.write_text('{"kind": "govcloud/harden-evidence", "hosts": ' + deep + "}")
    code, out, _ = govcloud("verify-hosts", str(evidence))
    assert code == 1 and "evidence.json" in out and "levels of nesting" in out


def test_duplicate_keys_in_an_acceptance_are_refused(tmp_path: Path) -> None:
    """The acceptance decides whether volumes get erased: the last of two keys must not win."""
    good = acceptance_text()
    f = tmp_path / "acceptance.json"
    f.write_text(good.replace('"system": "court-case",', '"system": "court-case",\n  "system": "other-system",'))
    with pytest.raises(InputError) as exc:
        load_json(f)
    assert str(exc.value) == f"{f}: (document): expected each key once in an object, got 'system' twice"
    nested = json.loads(good)
    text = json.dumps(nested).replace('"name": "\\u5f20\\u4e09"', '"name": "a", "name": "b"')
    f.write_text(text)
    with pytest.raises(InputError, match=r"accepted_by: expected each key once in an object, got 'name' twice"):
        load_json(f)


@pytest.mark.parametrize(("value", "words"), [
    ("NaN", "got NaN (not JSON)"), ("-Infinity", "got -Infinity (not JSON)"),
    ("1e999", "between 1e-100 and 1e100 in size, got 1e999"), ("9" * 5000, "between 1e-100 and 1e100"),
])
def test_json_numbers_that_are_not_numbers(tmp_path: Path, value: str, words: str) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"hosts": {"a": [1, ' + value + "]}}")
    with pytest.raises(InputError) as exc:
        load_json(f)
    assert f"{f}: hosts.a[1]: " in str(exc.value) and words in str(exc.value)


def test_json_size_limit_is_settable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "export.json"
    f.write_bytes(b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    monkeypatch.setenv("GOVCLOUD_MAX_JSON_MB", "1")
    with pytest.raises(InputError, match="expected at most 1 MiB, the file has 2 MiB .set GOVCLOUD_MAX_JSON_MB"):
        load_json(f)
    monkeypatch.setenv("GOVCLOUD_MAX_JSON_MB", "3")
    assert len(load_json(f)["a"]) == 2 * 1024 * 1024


# ------------------------------------------------------------------ containment
def _materials(tmp_path: Path, evidence: str) -> Path:
    f = tmp_path / "exit" / "materials.yaml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(MATERIALS.replace("{file: receipts/paper.pdf}", evidence), encoding="utf-8")
    return f


@pytest.mark.parametrize("evidence", ["{file: ../../../../etc/shadow}", "{file: /etc/passwd}",
                                      "{file: receipts/link.pdf}"])
def test_materials_evidence_outside_its_folder_is_refused(tmp_path: Path, evidence: str) -> None:
    from govcloud.contract.loader import load_contract
    from govcloud.runbook.steps.materials import checklist

    f = _materials(tmp_path, evidence)
    (f.parent / "receipts").mkdir()
    (f.parent / "receipts" / "link.pdf").symlink_to("/etc/passwd")  # inside by name, outside in fact
    from datetime import date

    with pytest.raises(InputError) as exc:
        checklist(f, contract=load_contract(CONTRACT), as_of=date(2025, 10, 20))
    assert str(exc.value).startswith(f"{f}: items[0].evidence.file: expected a path under {f.parent.resolve()}")


def test_materials_evidence_inside_its_folder_is_done(tmp_path: Path) -> None:
    from datetime import date

    from govcloud.contract.loader import load_contract
    from govcloud.runbook.steps.materials import checklist

    f = _materials(tmp_path, "{file: receipts/paper.pdf}")
    (f.parent / "receipts").mkdir()
    (f.parent / "receipts" / "paper.pdf").write_bytes(b"%PDF-1.4 receipt")
    cl = checklist(f, contract=load_contract(CONTRACT), as_of=date(2025, 10, 20))
    assert cl.items[0].status == "done" and cl.items[0].evidence.sha256 is not None


RUNBOOK = """\
kind: govcloud/runbook
version: 1
name: leaky
title: a runbook whose steps misbehave
params: [system]
steps:
  - id: first
    title: write the order
    clause: article-23
    precondition: {none: first step}
    action: {builtin: {name: file.write, with: {path: order.json, json: {system: "${system}"}}}}
    verification: {builtin: {name: file.exists, with: {path: order.json}}}
    evidence: [order.json]
  - id: second
    title: the step under test
    clause: article-23
    after: [first]
    precondition: {none: after first}
    action: {builtin: {name: file.write, with: WITH}}
    verification: {builtin: {name: file.exists, with: {path: second.json}}}
    evidence: []
"""


@pytest.mark.parametrize(("args", "words"), [
    ("{path: ../../outside.json, text: x}", "expected a path under"),
    ("{text: no path given}", "missing 'path'"),
])
def test_a_misbehaving_step_fails_is_journaled_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           args: str, words: str) -> None:
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))
    rb = tmp_path / "leaky.yaml"
    rb.write_text(RUNBOOK.replace("WITH", args))
    run_dir = tmp_path / "run"
    console = Console(file=open(os.devnull, "w"), width=200)
    outcome = execute(load_runbook(rb), {"system": "s1"}, run_dir, console=console)
    assert (outcome.exit_code, outcome.stopped_at, outcome.result) == (1, "second", "failed")
    end = [r for r in read_journal(run_dir).records if r["event"] == "step-end" and r["step"] == "second"][-1]
    error = end["detail"]["error"]
    assert words in error
    if "../" in args:
        assert error.startswith(f"{rb}: steps[second]: path: expected a path under {run_dir.resolve()}")
        assert not (tmp_path / "outside.json").exists()
    else:
        assert "with:" in error
    assert run_status(run_dir)["state"] != "interrupted"
    # fixed, the same run resumes at the failed step and completes
    rb.write_text(RUNBOOK.replace("WITH", "{path: second.json, text: fixed}"))
    outcome = execute(load_runbook(rb), {"system": "s1"}, run_dir, resume=True, console=console)
    assert outcome.result == "completed"
    assert step_states(read_journal(run_dir).records)["second"]["state"] == "verified"


# ------------------------------------------------------------------ output paths; no traceback
@pytest.mark.parametrize("command", [
    ["plan", "--stack", "lab", "--outputs", "DIR"],
    ["plan", "--stack", "lab", "--export-state", "DIR"],
    ["check", "--stack", "lab", "--state", "LAB", "--declared", "LAB", "--output", "DIR"],
    ["runbook", "timeline", "--trigger", "expiry", "--on", "2025-09-26", "--out", "DIR"],
])
def test_a_directory_as_output_path(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "lab.json").write_bytes(lab_export_bytes())
    args = [str(tmp_path) if a == "DIR" else str(tmp_path / "lab.json") if a == "LAB" else a for a in command]
    before = sorted(tmp_path.iterdir())
    code, out, _ = govcloud(*args)
    assert code == 1 and f"expected a file to write, got the directory {tmp_path}" in out
    assert sorted(tmp_path.iterdir()) == before


def test_usage_errors_exit_1_not_2() -> None:
    code, out, _ = govcloud("contract", "validate", "--no-such-option")
    assert code == 1 and "unrecognized arguments: --no-such-option" in out


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """No real input is known to raise past the readers any more, so a command is made to raise (a stand-in
    for a bug): what the user sees is what this test holds."""
    import govcloud.commands.deadline as deadline

    def bug(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(deadline, "run", bug)
    monkeypatch.delenv("GOVCLOUD_DEBUG", raising=False)
    assert main(["deadline", "--from", "2025-06-03", "--days", "3"]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "govcloud: error: deadline: unexpected ZeroDivisionError: division by zero; govcloud --debug" in err
    assert main(["--debug", "deadline", "--from", "2025-06-03", "--days", "3"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    monkeypatch.setenv("GOVCLOUD_DEBUG", "1")
    assert main(["deadline", "--from", "2025-06-03", "--days", "3"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_surrogate_escapes(tmp_path: Path) -> None:
    """An unpaired surrogate is no character: printed or written as UTF-8 it would fail later, far from
    the file. A pair in JSON is a character (json.dumps writes emoji that way) and stays accepted."""
    f = tmp_path / "x.json"
    f.write_text('{"hosts": {"a\\ud800": 1}}')
    with pytest.raises(InputError, match=r"x.json: hosts: expected text of Unicode characters, got an unpaired"):
        load_json(f)
    f.write_text(json.dumps({"name": "张三 😀"}))  # ASCII-escaped, the emoji as a surrogate pair
    assert load_json(f) == {"name": "张三 😀"}
    y = tmp_path / "x.yaml"
    y.write_text('a:\n  b: "x\\ud800"\n')
    with pytest.raises(InputError, match=r"x.yaml:2: a.b: expected text of Unicode characters, got a surrogate"):
        load_yaml(y)
