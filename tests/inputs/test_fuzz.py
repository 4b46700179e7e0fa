"""Fuzzing every reader: random bytes, random YAML/JSON structures, truncations and mutations of
the real files. Each read ends in a value or a ``GovcloudError`` (the CLI's exit 1) — never another
exception, a hang or a file written — and a sample of the cases runs through the real CLI as a
subprocess: exit 0, 1 or 2, no traceback, bounded time and memory, nothing written."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud.errors import GovcloudError

from .samples import BY_NAME, GOVCLOUD, KINDS, ROOT, Kind, lab_export_bytes

# derandomized: CI runs the same examples every time, and a failure found once is found again
FUZZ = settings(max_examples=60, deadline=timedelta(seconds=10), database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# values a YAML or JSON document can hold, nested: the shapes a careless tool or person writes
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                     st.text(max_size=20), st.sampled_from(["2025-06-01", "1,800", "-30", "vcpu", "../../etc/x"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=30)


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """The real file, changed the way a crash, an editor or an attacker changes one."""
    n = len(sample)
    i = draw(st.integers(0, n))
    j = draw(st.integers(i, min(n, i + 400)))
    how = draw(st.sampled_from(["truncate", "delete", "insert", "duplicate", "flip", "nest", "replace"]))
    if how == "truncate":
        return sample[:i]
    if how == "delete":
        return sample[:i] + sample[j:]
    if how == "insert":
        return sample[:i] + draw(st.binary(min_size=1, max_size=40)) + sample[i:]
    if how == "duplicate":  # repeated lines: duplicate keys, repeated items
        return sample[:j] + sample[i:j] + sample[j:]
    if how == "flip":
        k = min(i, n - 1)
        return sample[:k] + bytes([sample[k] ^ (1 << draw(st.integers(0, 7)))]) + sample[k + 1:] if n else sample
    if how == "nest":  # a deep structure dropped into the document
        depth = draw(st.integers(50, 3000))
        return sample[:i] + b"[" * depth + b"]" * depth + sample[i:]
    token = draw(st.sampled_from([b"&a [*a]", b"*x", b"<<: {}", b"!!python/object:os.system", b"NaN", b"1e999",
                                  b"\xef\xbb\xbf", b"\x00", b'"\\u0000"', b"9" * 5000, b"{", b"}", b"- ", b"\t"]))
    return sample[:i] + token + sample[j:]


DEEP = "[" * 5000 + "]" * 5000
HOSTILE = {
    "yaml": ["&a [*a]", "&a {b: *a}", "*nowhere", DEEP, "!!python/object/apply:os.system ['true']", "!vault |",
             "{<<: {a: 1}}", ".nan", "-.inf", "1e999", "0x" + "f" * 5000, "9" * 5000, '"\\ud800"', "1:30:00",
             "[a, a, a]", "{a: 1, a: 2}", "'" + "x" * 5000 + "'", "../../../../etc/shadow", "~", "''"],
    "json": ["NaN", "-Infinity", DEEP, '"\\ud83d"', '{"a": 1, "a": 2}', "1e999", "9" * 5000, '"\\ud800"', '"\\u0000"',
             "null", "[]", "{}", '"../../../../etc/shadow"', "-0", "1E-400", '"' + "x" * 5000 + '"'],
}
_YAML_VALUE = re.compile(rb"^(\s*(?:- )?[\w\"'.:-]+\"?:[ ]+)(\S.*)$")
_SENTINEL = "\u0000govcloud-fuzz\u0000"


@st.composite
def hostile_value(draw: st.DrawFn, sample: bytes, fmt: str) -> bytes:
    """One value of the real file replaced by a hostile one, the rest intact: the reader meets it where
    a real document keeps its data (an alias bomb as a line item, NaN as a quota, a deep list as outputs)."""
    token = draw(st.sampled_from(HOSTILE[fmt]))
    if fmt == "yaml":
        lines = sample.split(b"\n")
        spots = [i for i, line in enumerate(lines) if _YAML_VALUE.match(line)]
        i = draw(st.sampled_from(spots))
        lines[i] = _YAML_VALUE.sub(lambda m: m.group(1) + token.encode("utf-8"), lines[i])
        return b"\n".join(lines)
    doc = json.loads(sample)
    paths: list[tuple[Any, Any]] = []
    stack: list[Any] = [doc]
    while stack and len(paths) < 5000:
        node = stack.pop()
        for key in (node.keys() if isinstance(node, dict) else range(len(node))):
            paths.append((node, key))
            if isinstance(node[key], (dict, list)):
                stack.append(node[key])
    node, key = draw(st.sampled_from(paths))
    node[key] = _SENTINEL
    return json.dumps(doc, ensure_ascii=False).replace(json.dumps(_SENTINEL), token).encode("utf-8")


def _documents(kind: Kind) -> st.SearchStrategy[bytes]:
    sample = kind.sample(Path(tempfile.mkdtemp(prefix="govcloud-fuzz-sample-")))
    structures = _values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8"))
    return st.one_of(st.binary(max_size=300), structures, mutated(sample), hostile_value(sample, kind.fmt),
                     hostile_value(sample, kind.fmt))


def _read_once(kind: Kind, data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="govcloud-fuzz-"))
    try:
        kind.sample(folder)  # files that sit beside the input (an erase volumes file's vault key)
        path = kind.write(folder, data)
        before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        try:
            kind.read(path)
        except GovcloudError:
            pass
        after = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        assert after == before, f"{kind.name}: the reader wrote {set(after) - set(before)}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_reader_takes_any_bytes_without_crashing(kind: Kind) -> None:
    """Property: whatever the bytes, the reader returns or raises a GovcloudError."""
    @FUZZ
    @given(data=_documents(kind))
    def run(data: bytes) -> None:
        _read_once(kind, data)

    run()


def _substituted(sample: bytes, fmt: str, token: str, spot: int) -> bytes:
    """``sample`` with the value at the ``spot``-th place (of every place a value is written) set to ``token``."""
    if fmt == "yaml":
        lines = sample.split(b"\n")
        spots = [i for i, line in enumerate(lines) if _YAML_VALUE.match(line)]
        i = spots[spot % len(spots)]
        lines[i] = _YAML_VALUE.sub(lambda m: m.group(1) + token.encode("utf-8"), lines[i])
        return b"\n".join(lines)
    doc = json.loads(sample)
    places: list[tuple[Any, Any]] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop(0)
        for key in (node.keys() if isinstance(node, dict) else range(len(node))):
            places.append((node, key))
            if isinstance(node[key], (dict, list)):
                stack.append(node[key])
    node, key = places[spot % len(places)]
    node[key] = _SENTINEL
    return json.dumps(doc, ensure_ascii=False).replace(json.dumps(_SENTINEL), token).encode("utf-8")


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_hostile_value_in_every_kind(kind: Kind) -> None:
    """Deterministic matrix: each hostile value at four places of the real file, spread over it and
    shifted from one value to the next, each read ending in a value or a GovcloudError."""
    sample = kind.sample(Path(tempfile.mkdtemp(prefix="govcloud-fuzz-sample-")))
    places = _count_places(sample, kind.fmt)
    for t, token in enumerate(HOSTILE[kind.fmt]):
        for spot in sorted({(k * places // 4 + 3 * t) % places for k in range(4)}):  # other places per token
            _read_once(kind, _substituted(sample, kind.fmt, token, spot))


def _count_places(sample: bytes, fmt: str) -> int:
    if fmt == "yaml":
        return sum(1 for line in sample.split(b"\n") if _YAML_VALUE.match(line))
    count, stack = 0, [json.loads(sample)]
    while stack:
        node = stack.pop()
        values = list(node.values()) if isinstance(node, dict) else node
        count += len(values)
        stack += [v for v in values if isinstance(v, (dict, list))]
    return count


# ------------------------------------------------------------------ a sample through the real CLI
def _commands(folder: Path, file: Path) -> dict[str, list[str]]:
    lab = folder / "lab-export.json"
    out = folder / "out" / "report.json"
    return {
        "contract": ["contract", "validate", str(file)],
        "amendment": ["contract", "cost", "--amendment", str(file)],
        "ignore file": ["check", "--stack", "lab", "--state", str(lab), "--declared", str(lab), "--ignore", str(file),
                        "--format", "json", "--output", str(out)],
        "stack export": ["check", "--stack", "lab", "--state", str(file), "--declared", str(lab), "--format", "json",
                         "--output", str(out)],
        "harden evidence": ["verify-hosts", str(file), "--format", "json"],
        "control map": ["verify-hosts", str(ROOT / "tests/runbook/data/harden-evidence.json"), "--control-map",
                        str(file)],
        "runbook": ["runbook", "run", str(file), "--dry-run"],
        "preview": ["diff", "--stack", "lab", "--preview", str(file), "--format", "json"],
    }


#: runs its arguments and writes their peak RSS (KiB, wait4) to the file named first. A process carries its
#: parent's memory high-water mark through fork and exec, so a CLI forked straight from this test session would
#: report the session's own size (600 MiB and more late in a full run); forked from this small runner, it reports
#: its own.
PEAK_RUNNER = ("import os, subprocess, sys\n"
               "p = subprocess.Popen(sys.argv[2:])\n"
               "_pid, status, usage = os.wait4(p.pid, 0)\n"
               "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
               "sys.exit(os.waitstatus_to_exitcode(status))\n")


def _run_cli(args: list[str], cwd: Path) -> tuple[int, str, float, int]:
    """Exit code, output, wall seconds and peak memory (MiB) of one CLI run in its own process (``PEAK_RUNNER``)."""
    env = {**os.environ, "GOVCLOUD_NO_CACHE": "1"}
    peak_file = cwd / ".peak"
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", PEAK_RUNNER, str(peak_file), *GOVCLOUD, *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"govcloud {' '.join(args)} did not end within 60 s")
    wall = time.monotonic() - t0
    peak = int(peak_file.read_text()) // 1024
    peak_file.unlink()
    return proc.returncode, out.decode("utf-8", "replace"), wall, peak


CLI_KINDS = ("contract", "amendment", "ignore file", "stack export", "harden evidence", "control map", "runbook",
             "preview")


@pytest.mark.slow
@pytest.mark.parametrize("name", CLI_KINDS)
def test_cli_on_damaged_inputs(name: str, tmp_path: Path) -> None:
    kind = BY_NAME[name]
    rng = random.Random(f"govcloud-{name}")  # the same cases on every run
    sample = kind.sample(tmp_path)
    (tmp_path / "lab-export.json").write_bytes(lab_export_bytes())
    (tmp_path / "out").mkdir()
    cases = [sample[: rng.randrange(len(sample))],                               # truncated
             sample[: len(sample) // 2] + b"\x00\xff" + sample[len(sample) // 2:],  # binary inside
             b"[" * 100_000 + b"]" * 100_000,                                       # deep
             (b"a: &a [" + b"*a," * 9 + b"]\n") if kind.fmt == "yaml" else b'{"a": 1, "a": 2}',
             bytes(rng.getrandbits(8) for _ in range(500))]
    for n, data in enumerate(cases):
        file = kind.write(tmp_path, data)
        code, out, wall, peak = _run_cli(_commands(tmp_path, file)[name], tmp_path)
        assert code in (0, 1, 2), f"case {n}: exit {code}: {out[-500:]}"
        assert "Traceback" not in out, f"case {n}: {out[-2000:]}"
        assert code != 0 or n == 0, f"case {n}: a damaged {name} was accepted: {out[-500:]}"
        assert list((tmp_path / "out").iterdir()) == [] or code != 1, f"case {n}: wrote {list((tmp_path / 'out').iterdir())}"
        assert peak < 600, f"case {n}: {peak} MiB"
        assert wall < 30, f"case {n}: {wall:.1f} s"
