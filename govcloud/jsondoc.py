"""JSON input files read strictly: UTF-8, well-formed, numbers exact, errors that name the
file and the position (line, column, byte offset)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from govcloud.errors import InputError, Issue
from govcloud.schemas import document_issues
from govcloud.yamldoc import YamlDocument

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def load_json(file: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse ``file``; truncated or malformed JSON and non-UTF-8 bytes are ``InputError``s with a position."""
    path = Path(file)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError.one(path, "", f"expected at most {max_bytes // (1024 * 1024)} MiB, the file has "
                                           f"{size / (1024 * 1024):.1f} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError.one(path, "", "file not found") from None
    except IsADirectoryError:
        raise InputError.one(path, "", "expected a file, got a directory") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError.one(path, "", f"expected UTF-8 text; invalid byte 0x{raw[exc.start]:02x} at byte "
                                       f"offset {exc.start}", line) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        tail = text[exc.pos:].rstrip()
        ends_early = exc.pos >= len(text.rstrip()) or (exc.msg.startswith("Unterminated string")
                                                        and '"' not in tail[1:])
        what = "truncated JSON (the file ends early)" if ends_early else "malformed JSON"
        raise InputError.one(path, "", f"{what} at line {exc.lineno} column {exc.colno} "
                                       f"(char {exc.pos}): {exc.msg}", exc.lineno) from None


def json_issues(file: str | Path, data: Any, schema_name: str) -> list[Issue]:
    """Schema violations of already-parsed JSON data, each naming the JSON path.

    A compiled validator answers first (large state files); only a failing document
    goes through the full validator that names every problem.
    """
    return document_issues(YamlDocument(Path(file), data, {}), schema_name)
