"""Parsed input documents kept between runs, keyed by their bytes and by the parser's code.

Parsing the contract YAML with source lines and validating it costs about 0.3 s, a
large share of ``govcloud plan``; the parsed frozen model is the same every run until
the file or the code that parses it changes. The key is a SHA-256 over the document,
the parser's source files and the schemas, so an edit to either is a cache miss. A
cache that cannot be read or written is ignored. ``GOVCLOUD_NO_CACHE=1`` turns it off;
``GOVCLOUD_CACHE_DIR`` moves it (default ``$XDG_CACHE_HOME/govcloud`` or ``~/.cache/govcloud``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from govcloud.paths import PROJECT_ROOT

T = TypeVar("T")
PARSER_CODE: tuple[Path, ...] = (
    *sorted((PROJECT_ROOT / "govcloud" / "contract").glob("*.py")),
    *sorted((PROJECT_ROOT / "govcloud" / "tenancy").glob("*.py")),
    PROJECT_ROOT / "govcloud" / "yamldoc.py",
    PROJECT_ROOT / "govcloud" / "schemas.py",
    PROJECT_ROOT / "govcloud" / "errors.py",
    *sorted((PROJECT_ROOT / "schemas").glob("*.json")),
)


def cache_dir() -> Path:
    if os.environ.get("GOVCLOUD_CACHE_DIR"):
        return Path(os.environ["GOVCLOUD_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govcloud"


def _key(kind: str, source: Path, extra: str, code: Iterable[Path]) -> str:
    # the path is part of the key: parsed documents remember where they came from (error messages)
    h = hashlib.sha256(f"{kind}\0{source.resolve()}\0{extra}\0{sys.version}\0".encode())
    h.update(source.read_bytes())
    for path in code:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cached(kind: str, source: Path, build: Callable[[], T], extra: str = "",
           code: Iterable[Path] = PARSER_CODE) -> T:
    """``build()``'s result for ``source``, from the cache when neither it nor the parser changed."""
    if os.environ.get("GOVCLOUD_NO_CACHE"):
        return build()
    try:
        path = cache_dir() / f"{kind}-{_key(kind, source, extra, code)}.pickle"
    except OSError:
        return build()  # the loader reports a missing or unreadable source
    try:
        return pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - a missing, stale or corrupt entry is a miss
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, path)
    except OSError:
        pass
    return value
