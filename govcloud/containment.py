"""Paths named inside an input stay under their base folder, symlinks included.

A materials file's evidence, a runbook step's ``path``, a handover file list, an erase proof:
each names a file relative to a folder it must not leave (``../../etc/shadow``, an absolute path,
or a symlink inside the folder pointing out of it are refused the same way).
"""

from __future__ import annotations

import os
from pathlib import Path

from govcloud.errors import InputError

PATH_MAX, NAME_MAX = 4096, 255  # Linux's limits: a longer path cannot even be looked at (ENAMETOOLONG)


def too_long(text: str) -> bool:
    """Whether ``text`` is longer than any path the file system can look up."""
    raw = os.fsencode(text)
    return len(raw) >= PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/"))


def contained(base: str | Path, name: str | Path, *, file: str | Path, field: str) -> Path:
    """``base / name`` resolved (symlinks followed); an ``InputError`` naming ``file`` and ``field``
    when the result is not ``base`` itself or below it."""
    root = Path(base).resolve()
    text = os.fspath(name)
    if "\x00" in text:
        raise InputError.one(file, field, f"expected a path under {root}, got one with a NUL byte")
    if too_long(text):
        raise InputError.one(file, field, f"expected a path of at most {PATH_MAX} bytes, each name at most "
                                          f"{NAME_MAX}, got {len(text)} characters")
    target = (root / text).resolve()
    if target != root and root not in target.parents:
        how = "an absolute path" if Path(text).is_absolute() else "a path"
        raise InputError.one(file, field, f"expected a path under {root}, got {how} that leaves it: {text!r}"
                                          f" (resolves to {target})")
    return target


def is_contained(base: str | Path, name: str | Path) -> bool:
    """Whether ``base / name`` stays under ``base`` once resolved."""
    try:
        contained(base, name, file="-", field="-")
    except InputError:
        return False
    return True
