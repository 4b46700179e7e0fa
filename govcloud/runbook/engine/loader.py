"""Load a runbook file: schema (schemas/runbook.schema.json), then the rules a schema cannot say.

Refused before anything runs, each error naming file, field path and line: unknown step or
action types, a missing precondition, duplicate step ids, ``after`` naming an unknown step
or forming a cycle, an unregistered built-in, a ``${name}`` that is not a declared parameter.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from govcloud.errors import Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.schemas import load_checked
from govcloud.yamldoc import PathKey, YamlDocument, format_path

from . import registry
from .model import VAR_RE, Call, Runbook, Step

RUNBOOKS_DIR = PROJECT_ROOT / "playbooks" / "runbooks"
SCHEMA = "runbook.schema.json"
#: parameters every run has without declaring them
IMPLICIT_PARAMS = ("run_dir",)


def runbook_path(name: str) -> Path:
    """``playbooks/runbooks/<name>.yaml``."""
    return RUNBOOKS_DIR / f"{name}.yaml"


def load_runbook(file: str | Path) -> Runbook:
    return _build(load_checked(file, SCHEMA, semantic=semantic_issues))


def _issue(doc: YamlDocument, path: PathKey, expected: str) -> Issue:
    return Issue(str(doc.file), format_path(path), expected, doc.line_of(path))


def _call(spec: dict[str, Any]) -> Call:
    (kind, body), = spec.items()
    if kind == "none":
        return Call("none", MappingProxyType({"reason": body}))
    return Call(kind, MappingProxyType(dict(body)))


def _strings(value: Any, path: PathKey):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))


def semantic_issues(doc: YamlDocument) -> list[Issue]:
    registry.load_builtins()
    data = doc.data
    steps: list[dict[str, Any]] = data["steps"]
    params = set(data["params"]) | set(IMPLICIT_PARAMS)
    issues: list[Issue] = []
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        sid = step["id"]
        if sid in index:
            issues.append(_issue(doc, ("steps", i, "id"), f"duplicate step id '{sid}' (first at steps[{index[sid]}])"))
        else:
            index[sid] = i
        for field_, table, what in (("action", registry.ACTIONS, "action"),
                                    ("precondition", registry.CHECKS, "check"),
                                    ("verification", registry.CHECKS, "check")):
            b = step[field_].get("builtin")
            if b is not None and b["name"] not in table:
                issues.append(_issue(doc, ("steps", i, field_, "builtin", "name"),
                                     f"unknown built-in {what} '{b['name']}' (registered: {', '.join(sorted(table))})"))
        for field_ in ("action", "precondition", "verification"):
            g = step[field_].get("govcloud")
            if g is not None:
                from .calls import cli_commands, entry_module

                if entry_module(g["args"][0]) is None:
                    issues.append(_issue(doc, ("steps", i, field_, "govcloud", "args", 0),
                                         f"unknown govcloud sub-command '{g['args'][0]}' "
                                         f"(known: {', '.join(sorted(cli_commands()))})"))
        for path, text in _strings(step, ("steps", i)):
            for m in VAR_RE.finditer(text):
                if m.group(1) not in params:
                    issues.append(_issue(doc, path, f"unknown parameter ${{{m.group(1)}}} "
                                                    f"(declared params: {', '.join(sorted(params)) or 'none'})"))
    for i, step in enumerate(steps):
        for j, dep in enumerate(step.get("after", [])):
            if dep not in index:
                issues.append(_issue(doc, ("steps", i, "after", j), f"unknown step '{dep}' (steps: {', '.join(index)})"))
            elif dep == step["id"]:
                issues.append(_issue(doc, ("steps", i, "after", j), "a step cannot come after itself"))
    if not issues:
        cycle = _find_cycle(steps)
        if cycle:
            first = index[cycle[0]]
            issues.append(_issue(doc, ("steps", first, "after"),
                                 "dependency cycle: " + " -> ".join(cycle + [cycle[0]])))
    return issues


def _find_cycle(steps: list[dict[str, Any]]) -> list[str]:
    """One cycle of ``after`` edges (step -> the steps it comes after), or []."""
    edges = {s["id"]: list(s.get("after", [])) for s in steps}
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(n: str) -> list[str]:
        state[n] = 1
        stack.append(n)
        for m in edges.get(n, []):
            if state.get(m) == 1:
                return stack[stack.index(m):]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return []

    for s in steps:
        if s["id"] not in state:
            found = visit(s["id"])
            if found:
                return found
    return []


def _order(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File order, moved only where ``after`` demands (a stable topological sort)."""
    done: set[str] = set()
    out: list[dict[str, Any]] = []
    pending = list(steps)
    while pending:
        for s in pending:
            if all(d in done for d in s.get("after", [])):
                out.append(s)
                done.add(s["id"])
                pending.remove(s)
                break
    return out


def _build(doc: YamlDocument) -> Runbook:
    data = doc.data
    steps = []
    positions = {s["id"]: i for i, s in enumerate(data["steps"])}
    for s in _order(data["steps"]):
        steps.append(Step(
            id=s["id"], title=s["title"], clause=s["clause"],
            precondition=_call(s["precondition"]), action=_call(s["action"]), verification=_call(s["verification"]),
            evidence=tuple(s["evidence"]), touches=tuple(s.get("touches", [])), after=tuple(s.get("after", [])),
            line=doc.line_of(("steps", positions[s["id"]])),
        ))
    return Runbook(Path(doc.file), data["name"], data["title"], data.get("clause", ""), tuple(data["params"]),
                   tuple(steps))
