"""Step outputs in the run directory, each written whole or not at all, and on disk when written.

A run resumes after a kill (``--resume``) and trusts what it finds: a half-written JSON, or a file
renamed into place whose data never reached the disk before a power cut, would be read as the
record of a step that ran, or fail the resume. So every write here goes to a temp file in the
target's folder (``.NAME.PID.RANDOM.tmp``), is flushed and fsync'd, renamed onto the target
(``os.replace``: atomic within one file system) and the folder is fsync'd so the rename lasts. On
any error the temp file is removed and the old target is left as it was (an OutputError names the
target; only a failed sync of the folder, after the rename, leaves the new file, and says so).

The journal (journal.py, append-only) and the lock (lock.py) keep their own semantics.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .errors import OutputError

_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def json_text(doc: Any, *, indent: int = 2, default: Callable[[Any], Any] | None = None) -> str:
    """The one JSON format of step outputs: UTF-8 characters as they are, ``indent`` spaces, a final newline."""
    return json.dumps(doc, ensure_ascii=False, indent=indent, default=default) + "\n"


def write_json(path: Path, doc: Any, *, indent: int = 2, default: Callable[[Any], Any] | None = None) -> Path:
    """Write ``doc`` as ``json_text`` (serialised before the disk is touched); returns ``path``."""
    return write_bytes(path, json_text(doc, indent=indent, default=default).encode("utf-8"))


def write_json_once(path: Path, doc: Any) -> bool:
    """Write ``doc`` unless ``path`` exists; True if written now. The temp file is hard-linked to
    ``path`` (never replaced), so two attempts never both write and a record stays as first made."""
    path = Path(path)
    if path.exists():
        return False
    return _write(path, json_text(doc).encode("utf-8"), once=True)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 (newlines as given); returns ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data``; returns ``path``."""
    path = Path(path)
    _write(path, data)
    return path


def copy_file(src: Path, dst: Path) -> Path:
    """Copy ``src``'s bytes to ``dst`` (evidence kept in the run directory), streamed; returns ``dst``."""
    dst = Path(dst)
    with open(src, "rb") as fh:  # a missing or unreadable source fails here, before dst's folder is touched
        _write(dst, fh)
    return dst


def _write(path: Path, data: bytes | BinaryIO, *, once: bool = False) -> bool:
    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        _make_folders(folder)
        fd = os.open(tmp, _TMP_FLAGS, 0o666)
    except OSError as exc:
        raise _error(path, exc, placed=False) from exc
    placed = False
    try:
        with open(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                shutil.copyfileobj(data, fh, 1 << 20)
            fh.flush()
            os.fsync(fh.fileno())
        if once:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        placed = True
        _fsync_folder(folder)
        return True
    except OSError as exc:
        raise _error(path, exc, placed=placed) from exc
    finally:
        tmp.unlink(missing_ok=True)  # gone after os.replace; the second name after os.link; the leftover on error


def _make_folders(folder: Path) -> None:
    """``mkdir -p``, each new folder's entry fsync'd in its parent (a renamed file in a lost folder is lost)."""
    missing = []
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        _fsync_folder(d.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _error(path: Path, exc: OSError, *, placed: bool) -> OutputError:
    """One sentence naming the target (not the temp file) and the system's reason."""
    where = f" ({exc.filename})" if exc.filename and Path(exc.filename).parent != path.parent else ""
    if placed:
        return OutputError(f"{path}: written, but its folder could not be synced to disk: {exc.strerror or exc}")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}{where}; the file was left as it was")
