"""The playbooks as Ansible itself loads them: plays, roles, tasks and every variable of a host.

The fast path reads the same roles, variables and templates `govcloud harden` applies, through
ansible-core's own loader (Playbook, InventoryManager, VariableManager, Templar): the roles stay
the one description of the desired state. Nothing here connects to a host.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import HardenError

#: facts kept beside the VariableManager (Plays.large), with every getent_<database>
LARGE_FACTS = ("packages", "services")
#: the variables a check-mode run has from its play context (PlayContext.update_vars) and the CLI
CHECK_MODE_VARS = {"ansible_check_mode": True, "ansible_diff_mode": False, "ansible_run_tags": ["all"],
                   "ansible_skip_tags": [], "ansible_verbosity": 0, "ansible_forks": 1}


_LOADER_PATHS: list[list[str]] = []  # the collection paths ansible's loader was given (once per process)


def _ansible_context(collections: list[str], roles: list[str]) -> None:
    """Set up ansible-core as `ansible-playbook --check` would: CLI options, collection and role paths."""
    os.environ["ANSIBLE_ROLES_PATH"] = os.pathsep.join(roles)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(collections)
    from ansible import constants, context
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.plugins.loader import init_plugin_loader

    context.CLIARGS = ImmutableDict(check=True, diff=False, tags=["all"], skip_tags=[], syntax=False,
                                    start_at_task=None, extra_vars=[], forks=1, verbosity=0, vault_ids=[],
                                    vault_password_files=[], ask_vault_pass=False)
    constants.DEFAULT_ROLES_PATH = list(roles)  # when ansible was imported before the environment was set
    if _LOADER_PATHS and _LOADER_PATHS[0] == collections:
        return
    if _LOADER_PATHS:
        raise HardenError(f"ansible's collection loader is set up for {_LOADER_PATHS[0]} in this process, "
                          f"not {collections}")
    init_plugin_loader(collections)
    _LOADER_PATHS.append(list(collections))


@dataclass
class Step:
    """One task of a play, as loaded (its arguments not yet templated)."""

    task: Any  # ansible.playbook.task.Task
    play: Any  # ansible.playbook.play.Play
    handler: bool = False


@dataclass
class Plays:
    """Loaded playbooks and inventory: what each host would run, with what variables."""

    loader: Any
    inventory: Any
    variables: Any
    plays: list[Any] = field(default_factory=list)
    extravars: dict[str, Any] = field(default_factory=dict)
    #: per host, the large facts (packages, services, accounts) kept out of the VariableManager, which
    #: deep-copies a host's facts on every get_vars; laid over the variables instead (vars_for)
    large: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: get_vars per (play, host, the task's block, facts generation): tasks of one block share everything
    #: but their own `vars:` and what earlier tasks registered, which is laid over on each call
    _base: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    _facts_gen: dict[str, int] = field(default_factory=dict)
    _templar: Any = None

    @classmethod
    def load(cls, playbooks: list[Path], sources: list[str], *, collections: list[str], roles: list[str],
             extravars: dict[str, Any] | None = None) -> Plays:
        _ansible_context(collections, roles)
        from ansible.errors import AnsibleError
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.playbook import Playbook
        from ansible.vars.manager import VariableManager

        loader = DataLoader()
        _vault_secrets(loader)
        try:
            inventory = InventoryManager(loader=loader, sources=sources)
            variables = VariableManager(loader=loader, inventory=inventory)
            variables._extra_vars = {**variables._extra_vars, **(extravars or {})}
            from ansible.vars.hostvars import HostVars

            variables._hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
            plays = [p for pb in playbooks
                     for p in Playbook.load(str(pb), variable_manager=variables, loader=loader).get_plays()]
        except AnsibleError as exc:
            raise HardenError(f"the playbooks did not load: {' '.join(str(exc).split())[:400]}") from None
        return cls(loader, inventory, variables, plays, dict(extravars or {}))

    def hosts(self, pattern: str = "all") -> list[Any]:
        return list(self.inventory.get_hosts(pattern))

    def play_hosts(self, play: Any) -> list[str]:
        return [h.name for h in self.inventory.get_hosts(play.hosts)]

    def steps(self, play: Any) -> Iterator[Step]:
        """The play's tasks in order (pre_tasks, roles, tasks, post_tasks; imports expanded)."""
        for block in play.compile():
            yield from _walk(block, play)

    def handlers(self, play: Any) -> list[Step]:
        return [s for block in play.compile_roles_handlers() + play.handlers for s in _walk(block, play, True)]

    def set_facts(self, host: str, facts: dict[str, Any]) -> None:
        """Store facts a task returned, as the strategy does (setup's carry the ansible_ prefix)."""
        large = {k: v for k, v in facts.items() if k in LARGE_FACTS or k.startswith("getent_")}
        if large:
            self.large.setdefault(host, {}).update(shared(large))
        small = {k: v for k, v in facts.items() if k not in large}
        if small:
            self.variables.set_host_facts(host, shared(small))
            self._facts_gen[host] = self._facts_gen.get(host, 0) + 1

    def vars_for(self, play: Any, host: Any, task: Any | None, hosts_all: list[str]) -> dict[str, Any]:
        """Every variable the task sees on the host, as the TaskExecutor builds them (check mode)."""
        key = (id(play), host.name, id(task._parent) if task is not None else None,
               id(task) if task is not None and task.vars else None, self._facts_gen.get(host.name, 0))
        base = self._base.get(key)
        if base is None:
            base = self.variables.get_vars(play=play, host=host, task=task, include_hostvars=True,
                                           _hosts=hosts_all, _hosts_all=hosts_all)
            for k, value in base.items():  # read-only here; the template lookup deep-copies every variable per call
                if type(value) is dict:
                    base[k] = Shared(value)
            self._base[key] = base
        v = dict(base)
        v.update(shared(self.variables._nonpersistent_fact_cache.get(host.name) or {}))  # registered, highest
        large = self.large.get(host.name)
        if large:  # as get_vars exposes facts: under ansible_facts and, injected, by their own names
            v.update(large)
            v["ansible_facts"] = Shared({**(v.get("ansible_facts") or {}), **large})
        v.update(CHECK_MODE_VARS)
        v["ansible_play_hosts_all"] = hosts_all
        v["ansible_play_hosts"] = hosts_all
        if task is not None:
            v["ansible_search_path"] = task.get_search_path()
        return v

    def templar(self, variables: dict[str, Any]) -> Any:
        """The one Templar of the run, now with ``variables`` (the previous task's are replaced).

        One Templar keeps one Jinja environment, whose compiled templates and expressions are kept by
        their source: a fleet evaluates the same conditions and arguments for every host, and compiling
        them again was a third of an evaluation's time."""
        if self._templar is None:
            from ansible.template import Templar

            self._templar = Templar(loader=self.loader, variables=variables)
            _keep_compiled(self._templar._engine.environment)
        self._templar.available_variables = variables
        return self._templar


class Shared(dict):  # type: ignore[type-arg]
    """A variable no task changes while it is evaluated (facts read from the probe, registered results,
    the `vars` mirror): the template lookup deep-copies every variable per call, and copying these was
    most of an evaluation's time; they are shared instead."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Shared:
        return self


def shared(values: dict[str, Any]) -> dict[str, Any]:
    return {k: Shared(v) if isinstance(v, dict) else v for k, v in values.items()}


def _keep_compiled(env: Any) -> None:
    """Memoize ``env``'s compilation of template and expression sources (this environment only)."""
    compiled: dict[tuple[Any, ...], Any] = {}
    from_string, compile_expression = env.from_string, env.compile_expression

    def cached(kind: str, compile_: Any) -> Any:
        def run(source: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs or not isinstance(source, str) or not all(isinstance(a, (bool, str, type(None))) for a in args):
                return compile_(source, *args, **kwargs)
            key = (kind, str(source), *args)
            if key not in compiled:
                compiled[key] = compile_(source, *args)
            return compiled[key]
        return run

    env.from_string = cached("template", from_string)
    env.compile_expression = cached("expression", compile_expression)


def _walk(block: Any, play: Any, handler: bool = False) -> Iterator[Step]:
    for item in [*block.block, *block.always]:
        if hasattr(item, "block"):  # a nested block (import_tasks, role)
            yield from _walk(item, play, handler)
        else:
            yield Step(item, play, handler)


def _vault_secrets(loader: Any) -> None:
    """Vault-encrypted variables decrypt as in a harden run: ANSIBLE_VAULT_PASSWORD_FILE, if set."""
    path = os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    if not path:
        return
    from ansible.cli import CLI

    loader.set_vault_secrets(CLI.setup_vault_secrets(loader, vault_ids=[], vault_password_files=[path]))
