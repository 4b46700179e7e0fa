"""The step-output writer (govcloud.runbook.engine.output): the format, whole-or-nothing writes,
fsync of file and folder, and a guard that every step output in the runbook package goes through it
(a run resumes after a kill and trusts what it finds in the run directory)."""

from __future__ import annotations

import ast
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from govcloud.runbook.engine import output
from govcloud.runbook.engine.errors import OutputError

RUNBOOK_PKG = Path(output.__file__).resolve().parents[1]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ content and format
def test_json_format_is_the_one_outputs_always_had(tmp_path):
    doc = {"court": "北京市第一中级人民法院", "n": [1, 2], "empty": {}}
    path = output.write_json(tmp_path / "new" / "deep" / "out.json", doc)
    assert path == tmp_path / "new" / "deep" / "out.json"
    assert path.read_bytes() == (
        '{\n  "court": "北京市第一中级人民法院",\n  "n": [\n    1,\n    2\n  ],\n  "empty": {}\n}\n').encode("utf-8")
    assert path.read_bytes() == (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    assert _names(path.parent) == ["out.json"]
    # a transfer manifest keeps its indent of 1; a caller's default serialises its own types
    output.write_json(tmp_path / "m.json", {"a": [1]}, indent=1)
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == '{\n "a": [\n  1\n ]\n}\n'
    output.write_json(tmp_path / "d.json", {"x": Decimal("1.5")}, default=float)
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8")) == {"x": 1.5}


def test_text_bytes_and_copy(tmp_path):
    assert output.write_text(tmp_path / "a.txt", "中文\r\nno newline").read_bytes() == "中文\r\nno newline".encode()
    assert output.write_bytes(tmp_path / "b.ics", b"\x00\xffBEGIN").read_bytes() == b"\x00\xffBEGIN"
    big = os.urandom(3 << 20)  # more than one chunk of the streamed copy
    (tmp_path / "src.bin").write_bytes(big)
    dst = output.copy_file(tmp_path / "src.bin", tmp_path / "evidence" / "copy.bin")
    assert dst.read_bytes() == big
    output.write_text(tmp_path / "a.txt", "replaced")
    assert (tmp_path / "a.txt").read_text() == "replaced"
    with pytest.raises(FileNotFoundError):
        output.copy_file(tmp_path / "missing", tmp_path / "never" / "x")
    assert not (tmp_path / "never").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_write_json_once_keeps_the_first_record(tmp_path):
    p = tmp_path / "proof" / "before.json"
    assert output.write_json_once(p, {"first": True})
    assert not output.write_json_once(p, {"first": False})
    assert json.loads(p.read_text()) == {"first": True}
    assert _names(p.parent) == ["before.json"]


# ------------------------------------------------------------------ failures leave the old file
def test_serialisation_error_leaves_the_old_file_and_no_temp(tmp_path):
    target = output.write_json(tmp_path / "out.json", {"old": 1})
    before = target.read_bytes()
    with pytest.raises(TypeError, match="not JSON serializable"):
        output.write_json(target, {"new": object()})
    assert target.read_bytes() == before
    assert _names(tmp_path) == ["out.json"]


@pytest.mark.parametrize("exc, raised", [(OSError(errno.EIO, "Input/output error"), OutputError),
                                         (KeyboardInterrupt(), KeyboardInterrupt)])
def test_failure_after_the_temp_file_exists_removes_it(tmp_path, monkeypatch, exc, raised):
    """os.fsync is monkeypatched to fail: the temp file is written by then, the rename not done."""
    target = output.write_text(tmp_path / "out.html", "old")

    def fail(fd: int) -> None:
        raise exc

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(raised) as info:
        output.write_text(target, "new")
    if raised is OutputError:
        assert str(info.value) == f"cannot write {target}: Input/output error; the file was left as it was"
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["out.html"]


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """A folder no one but root may write to, holding ``old.json``, under a parent every user may
    enter (pytest's own temp folders are root's alone when the tests run as root)."""
    base = Path(tempfile.mkdtemp(prefix="govcloud-output-test-"))
    try:
        base.chmod(0o755)
        ro = base / "ro"
        ro.mkdir()
        (ro / "old.json").write_text("{}\n")
        ro.chmod(0o555)
        yield ro
    finally:
        (base / "ro").chmod(0o755)
        shutil.rmtree(base)


def _attempt(write: Callable[[], object]) -> str:
    """``write`` as an ordinary user would run it; its error as ``Type: message``. Root writes into any
    folder, so when the tests run as root ``write`` runs in a child process that became ``nobody``."""

    def outcome() -> str:
        try:
            write()
        except Exception as exc:  # noqa: BLE001 — reported to the parent as text
            return f"{type(exc).__name__}: {exc}"
        return "no error"

    if os.geteuid() != 0:
        return outcome()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(w, outcome().encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        said = fh.read().decode()
    os.waitpid(pid, 0)
    return said


def test_read_only_folder_fails_clearly_and_leaves_nothing(read_only_folder):
    ro = read_only_folder
    said = _attempt(lambda: output.write_json(ro / "old.json", {"new": 1}))
    assert said == f"OutputError: cannot write {ro / 'old.json'}: Permission denied; the file was left as it was"
    said = _attempt(lambda: output.write_json(ro / "sub" / "new.json", {"new": 1}))
    assert said == (f"OutputError: cannot write {ro / 'sub' / 'new.json'}: Permission denied ({ro / 'sub'}); "
                    "the file was left as it was")
    assert _names(ro) == ["old.json"] and (ro / "old.json").read_text() == "{}\n"


# ------------------------------------------------------------------ on disk when written
WRITERS: dict[str, Callable[[Path, Path], object]] = {
    "write_json": lambda p, _: output.write_json(p, {"a": 1}),
    "write_json_once": lambda p, _: output.write_json_once(p, {"a": 1}),
    "write_text": lambda p, _: output.write_text(p, "a"),
    "write_bytes": lambda p, _: output.write_bytes(p, b"a"),
    "copy_file": lambda p, src: output.copy_file(src, p),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_file_then_folder_are_fsynced(tmp_path, monkeypatch, writer):
    """os.fsync is monkeypatched to record what each call syncs (a folder or a file, and its inode)
    and then to sync it for real. Each new folder is synced in its parent, then the file's data,
    then the folder holding its new name."""
    src = tmp_path / "src.txt"
    src.write_text("a")
    real_fsync = os.fsync
    synced: list[tuple[str, int]] = []

    def record(fd: int) -> None:
        st = os.fstat(fd)
        synced.append(("folder" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    target = tmp_path / "new" / "deep" / "out"
    WRITERS[writer](target, src)
    assert synced == [("folder", tmp_path.stat().st_ino), ("folder", (tmp_path / "new").stat().st_ino),
                      ("file", target.stat().st_ino), ("folder", target.parent.stat().st_ino)]


# ------------------------------------------------------------------ the guard
#: calls that write a file, as the guard names them
WRITE_METHODS = {"write_text", "write_bytes"}
REWRITERS = {("os", "replace"), ("os", "rename"), ("os", "link"), ("shutil", "copy"), ("shutil", "copy2"),
             ("shutil", "copyfile"), ("shutil", "copyfileobj"), ("shutil", "move"), ("json", "dump")}
WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}

#: (module under govcloud/runbook, call) → why it may write without engine/output.py; "*" is the module
ALLOWED: dict[tuple[str, str], str] = {
    # the writer itself
    ("engine/output.py", "*"): "the one writer of step outputs",
    # the journal appends one fsync'd line per record to an open file: a rename per record would lose
    # its append-only history, and a torn last line is what read_journal already tolerates
    ("engine/journal.py", "*"): "append-only journal with its own fsync per record",
    # the lock file is opened O_RDWR|O_CREAT and flock'd: its identity (the inode) is the lock, so it
    # must never be replaced by a rename
    ("engine/lock.py", "*"): "the run lock: an flock'd file, never replaced",
    # runs on the remote host (``python3 -c`` through SSH) and prints the manifest to its stdout; the
    # controller writes it to the run directory with Manifest.write (engine/output.py)
    ("remote/remote_manifest.py", "json.dump"): "stdout of a script run on a remote host, not a file",
}


def _output_names(tree: ast.Module) -> set[str]:
    """The names a module binds to engine/output.py: ``from govcloud.runbook.engine import output``,
    or ``from . import output`` inside the engine."""
    return {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[-1] in ("engine", "") for a in node.names if a.name == "output"}


def _open_mode(call: ast.Call) -> str | None:
    """The mode of ``open(path, mode)``, ``io.open(path, mode)`` or ``path.open(mode)``; None for another call."""
    fn = call.func
    method = isinstance(fn, ast.Attribute) and fn.attr == "open"
    owner = fn.value.id if method and isinstance(fn.value, ast.Name) else None
    if isinstance(fn, ast.Name) and fn.id == "open" or method and owner == "io":
        at = 1
    elif method and owner != "os":
        at = 0
    else:
        return None
    arg = call.args[at] if len(call.args) > at else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return str(arg.value) if isinstance(arg, ast.Constant) else "r"


def writes(source: str) -> list[tuple[int, str]]:
    """(line, call) for each call in ``source`` that writes a file other than through engine/output.py."""
    tree = ast.parse(source)
    via_output = _output_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "json" and any(a.name == "dump" for a in node.names):
            found.append((node.lineno, "json.dump"))
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else ""
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        mode = _open_mode(node)
        if name in WRITE_METHODS and isinstance(fn, ast.Attribute) and owner not in via_output:
            found.append((node.lineno, f".{name}"))
        elif (owner, name) in REWRITERS:
            found.append((node.lineno, f"{owner}.{name}"))
        elif mode is not None and set(mode) & set("wax+"):
            found.append((node.lineno, f'open(..., "{mode}")'))
        elif (owner, name) == ("os", "open") and len(node.args) > 1 and (
                {n.attr for n in ast.walk(node.args[1]) if isinstance(n, ast.Attribute)} & WRITE_FLAGS):
            found.append((node.lineno, "os.open(write flags)"))
    return sorted(found)


def test_the_guard_finds_each_kind_of_write():
    bad = '''
from json import dump
p.write_text("x"); p.write_bytes(b"x"); json.dump({}, fh); open(p, "w"); open(p, mode="ab"); p.open("w")
os.open(p, os.O_WRONLY | os.O_CREAT); os.replace(a, b); shutil.copyfile(a, b); io.open(p, "x")
'''
    assert sorted(c for _, c in writes(bad)) == sorted([
        "json.dump", ".write_text", ".write_bytes", "json.dump", 'open(..., "w")', 'open(..., "ab")',
        'open(..., "w")', 'open(..., "x")', "os.open(write flags)", "os.replace", "shutil.copyfile"])
    fine = '''
from govcloud.runbook.engine import output
output.write_text(p, "x"); open(p); open(p, "rb"); p.open(); os.open(p, os.O_RDONLY); json.dumps({})
'''
    assert writes(fine) == []


def test_every_step_output_goes_through_the_writer():
    """Every module of steps/, remote/ and engine/ writes files only through engine/output.py, but
    for the allowances above, each with its reason."""
    found, used = [], set()
    for f in sorted(RUNBOOK_PKG.rglob("*.py")):
        rel = f.relative_to(RUNBOOK_PKG).as_posix()
        if (rel, "*") in ALLOWED:
            used.add((rel, "*"))
            continue
        for line, call in writes(f.read_text(encoding="utf-8")):
            if (rel, call) in ALLOWED:
                used.add((rel, call))
            else:
                found.append(f"govcloud/runbook/{rel}:{line}: {call}")
    assert not found, ("write step outputs with govcloud.runbook.engine.output (atomic, fsync'd), or allow the "
                       "call in ALLOWED with its reason:\n" + "\n".join(found))
    assert used == set(ALLOWED), f"allowances no longer needed: {sorted(set(ALLOWED) - used)}"
    assert {p.name for p in RUNBOOK_PKG.iterdir() if p.is_dir() and p.name != "__pycache__"} >= {
        "steps", "remote", "engine"}
