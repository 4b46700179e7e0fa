"""Rendered arguments are reused across hosts only when every variable they read is the same.

The memo (govcloud/hosts/fastpath/memo.py) keys a rendering by the values of the names Jinja's parser
finds in the arguments, in the variables' own templates and in template files looked up by a literal
name. These cases render with ansible-core's Templar and the role's real template search path, and
check that a difference in any name read — directly, through another variable, or inside a template
file — gives another key, and a difference in a name not read does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.hosts.fastpath.plays import _ansible_context
from govcloud.hosts.runner import PLAYBOOKS_DIR

_ansible_context([str(PLAYBOOKS_DIR / "collections")], [str(PLAYBOOKS_DIR / "roles")])

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from govcloud.hosts.fastpath.memo import ArgsMemo


class _Task:
    _uuid = "task-1"


@pytest.fixture
def role(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "sshd.j2").write_text("Port {{ ssh_port }}\nBanner {{ banner_file }}\n")
    return tmp_path


def _vars(role: Path, **over: object) -> dict:
    base = {"ssh_port": 22, "banner_file": trust_as_template("{{ etc }}/issue.net"), "etc": "/etc",
            "unrelated": "x", "inventory_hostname": "h1", "ansible_search_path": [str(role)]}
    return {**base, **over}


def test_a_name_read_directly_through_a_variable_or_in_a_template_file_changes_the_key(role: Path) -> None:
    memo = ArgsMemo(DataLoader())
    args = {"content": trust_as_template("{{ lookup('ansible.builtin.template', 'sshd.j2') }}"),
            "path": trust_as_template("/etc/ssh/{{ inventory_hostname }}.conf")}
    k = memo.key(args, _vars(role))
    assert k is not None
    assert memo.key(args, _vars(role, unrelated="y")) == k
    assert memo.key(args, _vars(role, inventory_hostname="h2")) != k  # in the arguments
    assert memo.key(args, _vars(role, ssh_port=2222)) != k  # in the template file
    assert memo.key(args, _vars(role, etc="/srv/etc")) != k  # through banner_file's own template


def test_rendering_is_reused_only_for_the_same_key(role: Path) -> None:
    memo = ArgsMemo(DataLoader())
    args = {"content": trust_as_template("{{ lookup('ansible.builtin.template', 'sshd.j2') }}")}
    out = []
    for v in (_vars(role), _vars(role, unrelated="y"), _vars(role, ssh_port=2222)):
        templar = Templar(loader=DataLoader(), variables=v)
        out.append(memo.render(_Task(), args, v, templar.template)["content"])
    assert out[0] == out[1] and "Port 22\n" in out[0]
    assert "Port 2222\n" in out[2]
    assert (memo.hits, memo.misses) == (1, 2)


@pytest.mark.parametrize("expr", [
    "{{ hostvars['h2']['ansible_host'] }}",  # another host's variables
    "{{ vars['ssh_' ~ 'port'] }}",  # a name built at run time
    "{{ lookup('ansible.builtin.pipe', 'date') }}",  # a lookup that is not a template or a file
    "{{ lookup('ansible.builtin.template', name_of_file) }}",  # a template named by a variable
    "{{ now() }}",
])
def test_what_the_parser_cannot_follow_is_never_reused(role: Path, expr: str) -> None:
    memo = ArgsMemo(DataLoader())
    assert memo.key({"x": trust_as_template(expr)}, _vars(role)) is None
