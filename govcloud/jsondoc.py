"""JSON input files read strictly: UTF-8, well-formed, numbers exact, errors that name the
file and the position (line, column, byte offset) or the JSON path.

Refused: duplicate keys (RFC 8259 leaves them undefined; Python keeps the last), NaN and Infinity
(not JSON), numbers beyond 1e±100, and anything over the limits of ``govcloud.limits``.
Accepted: a leading UTF-8 byte order mark (dropped), any valid JSON escapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from govcloud.errors import InputError, Issue
from govcloud.limits import Limits, json_limits
from govcloud.schemas import document_issues
from govcloud.textinput import read_text
from govcloud.yamldoc import PathKey, YamlDocument, format_path

_CONTAINERS = (dict, list)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only a file with one needs the walk below
_SURROGATE = re.compile("[\ud800-\udfff]")  # what json leaves of an escape with no partner
_SIZE = "expected a number between 1e-100 and 1e100 in size, got "


class _Refused(ValueError):
    """Raised from inside the decoder's hooks; carries what was expected."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused(_duplicate(pairs))
    return out


def _duplicate(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return f"expected each key once in an object, got {key!r} twice"
        seen.add(key)
    return "expected each key once in an object"


def _constant(name: str) -> Any:
    raise _Refused(f"expected a number, got {name} (not JSON)")


def _float(text: str) -> Decimal:
    value = Decimal(text)
    if value and not -100 <= value.adjusted() <= 100:
        raise _Refused(_SIZE + text[:40])
    return value


def _int(text: str) -> int:
    """(Locating parse only: the first parse leaves integers to Python, which refuses > 4,300 digits.)"""
    if len(text) > 101:
        raise _Refused(_SIZE + text[:40] + "…")
    return int(text)


@dataclass(frozen=True)
class _Mark:
    """What the second, locating parse leaves where the first one refused a value."""

    why: str


def _marking(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def mark(arg: Any) -> Any:
        try:
            return hook(arg)
        except _Refused as exc:
            return _Mark(str(exc))
    return mark


def _locate(text: str) -> tuple[str, str]:
    """The JSON path and reason of the first refused value: a second parse that marks instead of
    raising (only ever run on a file that is being refused)."""
    data = json.loads(text, parse_float=_marking(_float), parse_int=_marking(_int),
                      parse_constant=_marking(_constant), object_pairs_hook=_marking(_pairs))
    stack: list[tuple[PathKey, Any]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Mark):
            return format_path(path), node.why
        items = node.items() if type(node) is dict else enumerate(node) if type(node) is list else ()
        stack += reversed([(path + (k,), v) for k, v in items])
    return "", "a value the reader refuses"  # pragma: no cover - the first parse refused one


def _shape_issue(data: Any, limits: Limits) -> str | None:
    """Depth or node count over ``limits``, level by level (no recursion: the data may be deep)."""
    level, depth, nodes = [data], 0, 1
    while level:
        depth += 1
        if depth > limits.max_depth:
            return limits.too_deep(depth)
        below: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            nodes += len(values)
            below += [v for v in values if type(v) in _CONTAINERS]
        if nodes > limits.max_nodes:
            return limits.too_many()
        level = below
    return None


def load_json(file: str | Path, *, max_bytes: int | None = None) -> Any:
    """Parse ``file`` under ``json_limits(max_bytes)``: truncated or malformed JSON, non-UTF-8 bytes,
    duplicate keys, NaN/Infinity, a number beyond 1e±100, a file too large, too deep or with too many
    values are ``InputError``s naming the file and the position or JSON path."""
    path = Path(file)
    limits = json_limits(max_bytes)
    return parse_json(read_text(path, limits), path, limits)


def parse_json(text: str, path: Path, limits: Limits | None = None) -> Any:
    """JSON ``text`` (read from ``path``, or a value inside it) parsed as ``load_json`` parses a file."""
    limits = limits or json_limits()
    try:
        data = json.loads(text, parse_float=_float, parse_constant=_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise InputError.one(path, "", "expected a JSON document, found an empty file") from None
        tail = text[exc.pos:].rstrip()
        ends_early = exc.pos >= len(text.rstrip()) or (exc.msg.startswith("Unterminated string")
                                                        and '"' not in tail[1:])
        what = "truncated JSON (the file ends early)" if ends_early else "malformed JSON"
        raise InputError.one(path, "", f"{what} at line {exc.lineno} column {exc.colno} "
                                       f"(char {exc.pos}): {exc.msg}", exc.lineno) from None
    except ValueError:  # refused by a hook, or an integer of more digits than Python converts
        raise InputError.one(path, *_locate(text)) from None
    except RecursionError:
        raise InputError.one(path, "", limits.too_deep(limits.max_depth + 1)) from None
    if type(data) in _CONTAINERS and (why := _shape_issue(data, limits)) is not None:
        raise InputError.one(path, "", why)
    if _SURROGATE_ESCAPE.search(text) and (where := _lone_surrogate(data)) is not None:
        raise InputError.one(path, where, "expected text of Unicode characters, got an unpaired surrogate "
                                          "escape such as \\ud800")
    return data


def _lone_surrogate(data: Any) -> str | None:
    """The JSON path of the first string (or key) holding an unpaired surrogate, else None."""
    stack: list[tuple[PathKey, Any]] = [((), data)]
    while stack:
        at, node = stack.pop()
        if type(node) is str:
            if _SURROGATE.search(node):
                return format_path(at)
        elif type(node) in _CONTAINERS:
            items = node.items() if type(node) is dict else enumerate(node)
            for k, v in items:
                if type(k) is str and _SURROGATE.search(k):
                    return format_path(at)
                stack.append((at + (k,), v))
    return None


def json_issues(file: str | Path, data: Any, schema_name: str) -> list[Issue]:
    """Schema violations of already-parsed JSON data, each naming the JSON path.

    A compiled validator answers first (large state files); only a failing document
    goes through the full validator that names every problem.
    """
    return document_issues(YamlDocument(Path(file), data, {}), schema_name)
