"""JSON Schema (2020-12) validation for input documents and machine outputs.

Input errors are turned into ``Issue``s that name the file, the field path, the
source line and what was expected; output errors are bugs and raise.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any, Callable

from jsonschema import Draft202012Validator, FormatChecker
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
    """The schema ``schemas/<name>``, checked against its own meta-schema."""
    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), format_checker=FormatChecker())


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


def _expected(err: ValidationError) -> tuple[PathKey, str]:
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


@cache
def _fast(name: str) -> Any:
    """A compiled validator (fastjsonschema) for large inputs: it only says valid or not.

    The schemas use nothing beyond draft-07 keywords, so they compile as draft-07; on failure
    the full validator above explains every error.
    """
    import fastjsonschema

    schema = dict(load_schema(name), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(schema, use_formats=False)


def is_valid_fast(data: Any, schema_name: str) -> bool:
    import fastjsonschema

    try:
        _fast(schema_name)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def document_issues(doc: YamlDocument, schema_name: str) -> list[Issue]:
    """Every schema violation of ``doc``, in source order."""
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
    errors = sorted(_validator(schema_name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise AssertionError(
            f"report does not match schemas/{schema_name} at {format_path(tuple(first.absolute_path))}: {first.message}"
        )
