"""JSON Schema (2020-12) validation for input documents and machine outputs.

Input errors are turned into ``Issue``s that name the file, the field path, the
source line and what was expected; output errors are bugs and raise.

Two validators per schema: a compiled one (fastjsonschema) that only answers valid or
not, used first on every document, and the full one (jsonschema) that explains each
problem, imported and built only when the compiled one says no. The schemas keep to
keywords both understand (tests/checks/test_schemas.py holds them to it), so the two
agree; where they ever disagree the full validator has the last word.
"""

from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import json
import marshal
import os
import re
from datetime import date
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from govcloud.errors import InputError, Issue
from govcloud.paths import SCHEMAS_DIR
from govcloud.yamldoc import PathKey, YamlDocument, format_path, load_yaml

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "nothing (null)",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``schemas/<name>`` (checked against the meta-schema when the full validator is built,
    and for every schema by the tests)."""
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> "Draft202012Validator":
    from jsonschema import Draft202012Validator, FormatChecker

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _type_word(t: Any) -> str:
    if isinstance(t, list):
        return " or ".join(_TYPE_WORDS.get(x, x) for x in t)
    return _TYPE_WORDS.get(t, str(t))


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


def _expected(err: "ValidationError") -> tuple[PathKey, str]:
    """Field path and a sentence saying what was expected."""
    path: PathKey = tuple(err.absolute_path)
    v, val, inst = err.validator, err.validator_value, err.instance
    desc = err.schema.get("description") if isinstance(err.schema, dict) else None
    if v == "required":
        missing = [k for k in val if isinstance(inst, dict) and k not in inst]
        name = missing[0] if missing else "?"
        sub = err.schema.get("properties", {}).get(name, {})
        hint = f" ({sub['description']})" if isinstance(sub, dict) and sub.get("description") else ""
        return path + (name,), f"missing required field '{name}'{hint}"
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in allowed) if isinstance(inst, dict) else []
        key = extra[0] if extra else "?"
        return path + (key,), f"unknown field '{key}' (expected one of: {', '.join(allowed)})"
    if v == "type":
        return path, f"expected {_type_word(val)}, got {_show(inst)}"
    if v == "enum":
        return path, f"expected one of {', '.join(map(str, val))}; got {_show(inst)}"
    if v == "const":
        return path, f"expected {_show(val)}, got {_show(inst)}"
    if v == "minimum":
        return path, f"expected a number >= {val}, got {_show(inst)}"
    if v == "exclusiveMinimum":
        return path, f"expected a number > {val}, got {_show(inst)}"
    if v == "maximum":
        return path, f"expected a number <= {val}, got {_show(inst)}"
    if v == "pattern":
        what = desc or f"a value matching {val}"
        return path, f"expected {what}, got {_show(inst)}"
    if v == "format":
        return path, f"expected a valid {val} (e.g. 2025-06-01 for a date), got {_show(inst)}"
    if v in ("minItems", "maxItems"):
        return path, f"expected {'at least' if v == 'minItems' else 'at most'} {val} items, got {len(inst)}"
    if v == "minLength":
        if val > 1:
            return path, f"expected at least {val} characters, got {_show(inst)}"
        return path, "expected a non-empty string"
    if v == "uniqueItems":
        return path, "expected unique items"
    if v in ("oneOf", "anyOf"):
        best = None
        for sub in err.context or []:
            if best is None or len(sub.absolute_path) > len(best.absolute_path):
                best = sub
        if best is not None:
            return _expected(best)
    return path, desc or err.message


_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value: Any) -> bool:
    """The ``date`` format as jsonschema's FormatChecker reads it: YYYY-MM-DD and a real day."""
    if not isinstance(value, str):
        return True
    try:
        return bool(_RE_DATE.fullmatch(value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _is_ipv4(value: Any) -> bool:
    """The ``ipv4`` format as jsonschema's FormatChecker reads it (Python's ipaddress)."""
    if not isinstance(value, str):
        return True
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


_FORMATS = {"date": _is_date, "ipv4": _is_ipv4}
_FAST_OPTIONS = "draft-07; formats: date, ipv4 as jsonschema; no defaults"


def validator_cache_dir() -> Path:
    """Where generated validators are kept: $GOVCLOUD_CACHE_DIR/validators, else ~/.cache/govcloud/validators."""
    base = os.environ.get("GOVCLOUD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "govcloud")
    return Path(base) / "validators"


@cache
def _fast(name: str) -> Callable[[Any], Any] | None:
    """A compiled validator (fastjsonschema) for every document: it only says valid or not.

    The schemas use nothing beyond draft-07 keywords, so they compile as draft-07, with the formats
    they use (``date``, ``ipv4``) checked as the full validator checks them. Defaults are never
    filled in (the document is not changed); on failure the full validator explains. None where a schema
    does not compile (fastjsonschema 2.22 rewrites ``$`` inside a character class): the full
    validator then does all the work.

    Generating the code and compiling it to bytecode costs tens of milliseconds per schema, on every
    run; so the bytecode is kept in ``validator_cache_dir()`` under a digest of the schema text, the
    fastjsonschema version, the options and the Python bytecode version (as Python keeps .pyc files),
    and the validator runs from memory when the cache cannot be written.
    """
    import fastjsonschema

    text = (SCHEMAS_DIR / name).read_text(encoding="utf-8")
    key = f"{fastjsonschema.VERSION}\n{_FAST_OPTIONS}\n{importlib.util.MAGIC_NUMBER.hex()}\n{text}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = validator_cache_dir() / (re.sub(r"\W", "_", name.removesuffix(".schema.json")) + f"-{digest}.bytecode")
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        code = None  # not cached yet, or a damaged entry: generated again
    if not isinstance(code, CodeType):
        schema = dict(json.loads(text), **{"$schema": "http://json-schema.org/draft-07/schema#"})
        try:
            source = fastjsonschema.compile_to_code(schema, formats=_FORMATS, use_default=False)
        except (fastjsonschema.JsonSchemaDefinitionException, re.error):
            return None
        root = re.search(r"^def (validate\w*)\(", source, re.M)
        if root is None:
            return None
        code = compile(f"{source}\n\nvalidate = {root.group(1)}\n", f"<validator for schemas/{name}>", "exec")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(code))
            tmp.replace(path)
        except OSError:
            pass  # no cache: compiled again next run
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - code generated from our own schema
    return partial(namespace["validate"], custom_formats=_FORMATS)


def is_valid_fast(data: Any, schema_name: str) -> bool:
    """True if ``data`` is valid; False if it is not, or if only the full validator can tell."""
    import fastjsonschema

    validate = _fast(schema_name)
    if validate is None:
        return False
    try:
        validate(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def document_issues(doc: YamlDocument, schema_name: str) -> list[Issue]:
    """Every schema violation of ``doc``, in source order (none, at once, when the compiled validator passes it)."""
    if is_valid_fast(doc.data, schema_name):
        return []
    issues = []
    for err in _validator(schema_name).iter_errors(doc.data):
        path, expected = _expected(err)
        issues.append(Issue(str(doc.file), format_path(path), expected, doc.line_of(path)))
    issues.sort(key=lambda i: (i.line or 0, i.path))
    # one issue per field: the first is the most specific
    seen: set[str] = set()
    unique = []
    for issue in issues:
        if issue.path not in seen:
            seen.add(issue.path)
            unique.append(issue)
    return unique


def load_checked(file: Any, schema_name: str, *, semantic: Callable[[YamlDocument], list[Issue]] | None = None,
                 error: type[InputError] = InputError) -> YamlDocument:
    """A YAML input document parsed, required to be a mapping, validated against ``schemas/<schema_name>``
    and then by ``semantic``; ``error`` lists every problem of the first stage that fails."""
    try:
        doc = load_yaml(file)
    except InputError as exc:
        raise error(exc.issues) from None
    if not isinstance(doc.data, dict):
        raise error([Issue(str(doc.file), "", f"expected a mapping at the top, got {type(doc.data).__name__}", 1)])
    issues = document_issues(doc, schema_name)
    if not issues and semantic is not None:
        issues = semantic(doc)
    if issues:
        raise error(issues)
    return doc


def check_output(obj: Any, schema_name: str) -> None:
    """Validate a JSON report before it is written; a failure is a bug in govcloud."""
    if is_valid_fast(obj, schema_name):
        return
    errors = sorted(_validator(schema_name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise AssertionError(
            f"report does not match schemas/{schema_name} at {format_path(tuple(first.absolute_path))}: {first.message}"
        )
