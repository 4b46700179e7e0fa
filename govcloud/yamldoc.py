"""YAML documents as JSON-compatible data plus a map from field path to source line.

Floats become ``Decimal`` from their source text (so ``307.2`` stays exact) and
timestamps stay ISO strings; the typed model parses them. Duplicate keys are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govcloud.errors import InputError

PathKey = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"


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


def _scalar(node: ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == _TAG + "int":
        return int(text.replace("_", ""), 0) if text.lower().startswith(("0x", "0o")) else int(text.replace("_", ""))
    if tag == _TAG + "float":
        try:
            return Decimal(text.replace("_", ""))
        except InvalidOperation:
            return text  # .inf / .nan: left as text, the schema rejects them
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
                key = str(key_node.value)
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
        return _scalar(node)


def load_yaml(file: str | Path) -> YamlDocument:
    """Parse one YAML document; malformed YAML is an ``InputError`` naming line and column."""
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.one(path, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError.one(path, "", f"expected UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError.one(path, "", f"cannot read: {exc.strerror}") from None
    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = f", column {mark.column + 1}" if mark else ""
        raise InputError.one(path, "", f"malformed YAML{col}: {exc.problem or exc.context}", line) from None
    except YAMLError as exc:
        raise InputError.one(path, "", f"malformed YAML: {exc}") from None
    if node is None:
        raise InputError.one(path, "", "expected a YAML document, found an empty file")
    builder = _Builder(path)
    data = builder.build(node, ())
    return YamlDocument(path, data, builder.lines)
