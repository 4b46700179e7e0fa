"""The govcloud.hosts modules' documentation parses (ansible-doc) and names exactly the options each
module's argument_spec accepts, including suboptions (a doc that drifts from the code misleads the
engineer reading `ansible-doc`)."""

from __future__ import annotations

import ast
import json
import os
import subprocess

import pytest

from .conftest import PLAYBOOKS, VENV_BIN

MODULES_DIR = PLAYBOOKS / "collections" / "ansible_collections" / "govcloud" / "hosts" / "plugins" / "modules"
MODULES = sorted(p.stem for p in MODULES_DIR.glob("*.py"))


def _spec_of(node: ast.AST) -> dict:
    """{option: suboptions} from an `argument_spec=dict(...)` / `{}` literal in the module's source."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
        out = {}
        for kw in node.keywords:
            sub = next((k.value for k in kw.value.keywords if k.arg == "options"), None) \
                if isinstance(kw.value, ast.Call) else None
            out[kw.arg] = _spec_of(sub) if sub is not None else {}
        return out
    if isinstance(node, ast.Dict) and not node.keys:
        return {}
    raise AssertionError(f"argument_spec is not a literal dict(...): {ast.dump(node)[:200]}")


def _argument_spec(module: str) -> dict:
    tree = ast.parse((MODULES_DIR / f"{module}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "AnsibleModule":
            spec = next(k.value for k in node.keywords if k.arg == "argument_spec")
            return _spec_of(spec)
    raise AssertionError(f"{module}: no AnsibleModule(argument_spec=...) call")


def _doc_options(options: dict | None) -> dict:
    return {name: _doc_options(o.get("suboptions")) for name, o in (options or {}).items()}


def test_the_collection_has_its_modules():
    assert {"files", "units", "dpkg_facts", "systemd_facts"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_module_doc_parses_and_matches_its_argument_spec(module):
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(PLAYBOOKS / "collections"), "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "--json", f"govcloud.hosts.{module}"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "ERROR" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)[f"govcloud.hosts.{module}"]
    assert doc["doc"]["short_description"] and doc["examples"].strip(), module
    assert _doc_options(doc["doc"].get("options")) == _argument_spec(module), module
