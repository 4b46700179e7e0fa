"""YAML documents as JSON-compatible data plus a map from field path to source line.

Floats become ``Decimal`` from their source text (so ``307.2`` stays exact) and
timestamps stay ISO strings; the typed model parses them. Duplicate keys are errors.

No document govcloud defines needs more of YAML than plain values: an anchor may name a scalar
(one sentence shared by several entries, as the scan waivers do) and an alias repeat it, but an
anchor on a mapping or list, a merge key or a tag beyond the core schema is refused where it is
written. So an alias bomb or a self-referencing alias costs one line of error, not minutes and
gigabytes: a scalar alias adds one value, never a structure. Size, depth and node count have limits
(``govcloud.limits``), checked while the document is composed, before anything is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govcloud.errors import InputError
from govcloud.limits import Limits, yaml_limits
from govcloud.textinput import read_text

PathKey = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CORE_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp"))


def format_path(path: PathKey) -> str:
    """``("line_items", 3, "unit_price")`` → ``line_items[3].unit_price``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class YamlDocument:
    """A parsed YAML file: its data and where each field was written."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]

    def error(self, path: PathKey, expected: str) -> InputError:
        return InputError.one(self.file, format_path(path), expected, self.line_of(path))


class _LimitedComposer(Composer):
    """ruamel's composer that refuses anchors and aliases and counts depth and nodes as it goes."""

    file: Path
    limits: Limits
    tags: frozenset[str] = frozenset()  # local tags kept as text, e.g. Ansible's !vault in an inventory
    nodes: int = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            if not isinstance(self.anchors.get(event.anchor), ScalarNode):
                raise InputError.one(self.file, "", f"expected an alias to a plain value, got *{event.anchor} "
                                                    "(anchors on mappings and lists are not supported)", line)
        elif event.anchor is not None and not isinstance(event, ScalarEvent):
            raise InputError.one(self.file, "", f"expected an anchor on a plain value only, got &{event.anchor} "
                                                "on a mapping or list: write the value out", line)
        tag = str(event.ctag) if getattr(event, "ctag", None) is not None else None
        if tag not in (None, "!") and tag not in _CORE_TAGS and tag not in self.tags:
            raise InputError.one(self.file, "", f"expected plain YAML values, got the tag {tag!r}", line)
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise InputError.one(self.file, "", self.limits.too_many(), line)
        if self.depth >= self.limits.max_depth:
            raise InputError.one(self.file, "", self.limits.too_deep(self.depth + 1), line)
        return super().compose_node(parent, index)


def _scalar(node: ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == _TAG + "int":
        digits = text.replace("_", "")
        if len(digits) > 100:  # no real figure is this long; Python's int repr fails past 4,300 digits
            return text  # left as text: the schema names the field and expects a number
        try:
            return int(digits, 0) if digits.lower().lstrip("+-").startswith(("0x", "0o", "0b")) else int(digits)
        except ValueError:  # a YAML 1.1 sexagesimal 1:30, or more digits than Python converts
            return text  # left as text: the schema names the field and expects a number
    if tag == _TAG + "float":
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            return text  # .inf / .nan / 1:30.5: left as text, the schema rejects them
        return value if value.is_finite() and (value == 0 or -100 <= value.adjusted() <= 100) else text
    if tag == _TAG + "bool":
        return text.lower() in ("true", "yes", "on")
    if tag == _TAG + "null":
        return None
    return text  # str and timestamp: kept as written


class _Builder:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.lines: dict[PathKey, int] = {}

    def build(self, node: Node, path: PathKey) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise InputError.one(self.file, format_path(path), "mapping keys must be plain scalars",
                                         key_node.start_mark.line + 1)
                key = self._text(key_node, path)
                if key == "<<":
                    raise InputError.one(self.file, format_path(path), "YAML merge keys are not supported",
                                         key_node.start_mark.line + 1)
                if key in out:
                    raise InputError.one(self.file, format_path(path + (key,)),
                                         f"duplicate key '{key}'", key_node.start_mark.line + 1)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        self._text(node, path)
        return _scalar(node)

    def _text(self, node: ScalarNode, path: PathKey) -> str:
        """A scalar's text; a surrogate (``"\\ud800"``: not a character, and unprintable) is an error."""
        text = str(node.value)
        if _SURROGATE.search(text):
            raise InputError.one(self.file, format_path(path), "expected text of Unicode characters, got a "
                                 "surrogate escape such as \\ud800 (write \\U0001F600 for characters "
                                 "beyond U+FFFF)", node.start_mark.line + 1)
        return text


def load_yaml(file: str | Path, *, tags: frozenset[str] = frozenset()) -> YamlDocument:
    """Parse one YAML document under ``yaml_limits()``; malformed YAML, an alias, a tag (other than the
    local ``tags`` given, whose values stay text), a file too large or too deep is an ``InputError``
    naming the file, the line and column."""
    path = Path(file)
    limits = yaml_limits()
    text = read_text(path, limits)
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = type("Composer", (_LimitedComposer,), {"file": path, "limits": limits, "tags": tags})
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = f", column {mark.column + 1}" if mark else ""
        raise InputError.one(path, "", f"malformed YAML{col}: {exc.problem or exc.context}", line) from None
    except YAMLError as exc:
        raise InputError.one(path, "", f"malformed YAML: {exc}") from None
    except RecursionError:  # only where GOVCLOUD_MAX_DEPTH was raised past what Python's stack holds
        raise InputError.one(path, "", limits.too_deep(limits.max_depth + 1)) from None
    if node is None:
        raise InputError.one(path, "", "expected a YAML document, found an empty file")
    builder = _Builder(path)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError.one(path, "", limits.too_deep(limits.max_depth + 1)) from None
    return YamlDocument(path, data, builder.lines)
