"""Rendered task arguments reused across hosts whose variables give the same result.

Rendering a task's arguments (its templates, and the template files it looks up) is most of the cost
of evaluating a host. Across a fleet most hosts render the same content: what differs is a handful of
inventory variables. The key of a rendering is therefore the arguments themselves plus the value of
every variable they read — found by Jinja's parser in the arguments, in the template files they look
up by a literal name, and, transitively, in the values of those variables. Anything the parser cannot
follow (hostvars, vars[...], a lookup other than a literal template or file, now(), include/import
inside a template) makes the arguments uncacheable: they are rendered for every host, as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: names whose value cannot be keyed by the parser: read dynamically or different on each call
OPAQUE = frozenset({"hostvars", "vars", "now", "lookup_vars", "q", "query"})
LOOKUPS_FOLLOWED = {"template": "templates", "ansible.builtin.template": "templates",
                    "file": "files", "ansible.builtin.file": "files"}
_MISSING = "<undefined>"


class _AnyName(dict):  # type: ignore[type-arg]
    def __contains__(self, name: object) -> bool:
        return True

    def get(self, name: Any, default: Any = None) -> Any:
        return _no_call


def _no_call(*_args: Any, **_kwargs: Any) -> None:
    raise AssertionError("parsed only")


class ArgsMemo:
    """Per run: rendered arguments by (task, key of the variables they read)."""

    def __init__(self, loader: Any) -> None:
        import jinja2

        self._env = jinja2.Environment()
        # only parsed, never rendered: any filter or test name is accepted (Ansible's are many)
        self._env.filters, self._env.tests = _AnyName(), _AnyName()
        self._loader = loader
        self._refs_of: dict[str, frozenset[str] | None] = {}
        self._rendered: dict[tuple[str, str], Any] = {}
        self.hits = self.misses = self.opaque = 0

    def render(self, task: Any, value: Any, variables: dict[str, Any], render: Any) -> Any:
        """``render(value)``, or the result of an earlier host whose variables read the same."""
        key = self.key(value, variables)
        if key is None:
            self.opaque += 1
            return render(value)
        slot = (task._uuid, key)
        if slot in self._rendered:
            self.hits += 1
            return self._rendered[slot]
        self.misses += 1
        out = self._rendered[slot] = render(value)
        return out

    def key(self, value: Any, variables: dict[str, Any]) -> str | None:
        search = tuple(variables.get("ansible_search_path") or ())
        todo = self._refs(value, search)
        if todo is None:
            return None
        seen: dict[str, str] = {}
        stack = sorted(todo)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            if name in OPAQUE:
                return None
            v = variables.get(name, _MISSING)
            refs = self._refs(v, search)
            if refs is None:
                return None
            seen[name] = repr(v)
            stack.extend(refs - seen.keys())
        digest = hashlib.sha256(repr((value, search, sorted(seen.items()))).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _refs(self, value: Any, search: tuple[str, ...]) -> frozenset[str] | None:
        """The variable names ``value`` reads (None: not followable)."""
        names: set[str] = set()
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                if "{{" in v or "{%" in v:
                    refs = self._template_refs(v, search)
                    if refs is None:
                        return None
                    names |= refs
            elif isinstance(v, dict):
                stack.extend(v.keys())
                stack.extend(v.values())
            elif isinstance(v, (list, tuple)):
                stack.extend(v)
        return frozenset(names)

    def _template_refs(self, text: str, search: tuple[str, ...]) -> frozenset[str] | None:
        cache_key = f"{search}\0{text}"
        if cache_key in self._refs_of:
            return self._refs_of[cache_key]
        out = self._parse(text, search)
        self._refs_of[cache_key] = out
        return out

    def _parse(self, text: str, search: tuple[str, ...]) -> frozenset[str] | None:
        import jinja2
        from jinja2 import meta, nodes

        try:
            ast = self._env.parse(str(text))
            names = set(meta.find_undeclared_variables(ast))
        except jinja2.TemplateError:
            return None
        if any(True for _ in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))):
            return None
        for call in ast.find_all(nodes.Call):
            if not isinstance(call.node, nodes.Name) or call.node.name not in ("lookup", "query", "q"):
                continue
            args = call.args
            if len(args) != 2 or not all(isinstance(a, nodes.Const) for a in args) or call.kwargs or call.dyn_args:
                return None
            subdir = LOOKUPS_FOLLOWED.get(str(args[0].value))
            if subdir is None:
                return None
            if subdir == "templates":
                inner = self._file_refs(str(args[1].value), search)
                if inner is None:
                    return None
                names |= inner
        names.discard("lookup")
        return frozenset(names)

    def _file_refs(self, name: str, search: tuple[str, ...]) -> frozenset[str] | None:
        try:
            path = self._loader.path_dwim_relative_stack(list(search), "templates", name)
            text = self._loader.get_text_file_contents(path)
        except Exception:  # noqa: BLE001 - not found here: let the real rendering say so, uncached
            return None
        return self._parse(text, search)
