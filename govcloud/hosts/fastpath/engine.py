"""A check-mode run of the playbooks against one probe answer per host, as ansible-runner events.

Two passes over the same tasks Ansible would run for the host (plays.py):
  1. ``request``: what every task could read on the host (files, units, packages, read-only commands,
     accounts), templated with the host's variables: the probe's request (probe.py).
  2. ``evaluate``: the tasks in order with check-mode semantics — conditions, loops, registered
     results, changed_when/failed_when, notified handlers, a failed host stopping — each module
     answered by its emulator (modules.py) from the probe's answer.
The events have ansible-runner's shape, so the builder that turns a real run into evidence
(builder.py) judges these too: one judgement, one evidence format.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..builder import TASK_RE
from .memo import ArgsMemo
from .plays import Plays, Step, shared

FACT_EVENT = "Gathering Facts"
UNSUPPORTED_TASK = "the fast path could not evaluate this task"


@dataclass
class HostRun:
    """The synthesized events of one host and its tally (playbook_on_stats)."""

    host: str
    events: list[dict[str, Any]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    failed: bool = False
    #: control id -> what its tasks asked of the host, as rendered for it (modules.desired)
    manifest: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def short(action: str) -> str:
    return action.rsplit(".", 1)[-1] if action.startswith(("ansible.builtin.", "ansible.legacy.", "govcloud.hosts.")) \
        else action


class Engine:
    """The loaded playbooks, ready to compile a request and to evaluate answers, host by host."""

    def __init__(self, plays: Plays, evidence_units: list[str]) -> None:
        self.plays = plays
        self.evidence_units = evidence_units
        self._local: dict[str, dict[str, Any]] = {}
        self.memo = ArgsMemo(plays.loader)

    # ---------------------------------------------------------------- pass 1: the request
    def request(self, host_name: str) -> dict[str, Any]:
        from . import modules as m

        req = m.Request(service_names=list(self.evidence_units))
        host = self.plays.inventory.get_host(host_name)
        for play in self.plays.plays:
            hosts_all = self.plays.play_hosts(play)
            if host_name not in hosts_all:
                continue
            for step in [*self._expanded(play), *self.plays.handlers(play)]:
                self._observe(step, host, hosts_all, req)
        return req.as_json()

    def _expanded(self, play: Any) -> list[Step]:
        """The play's tasks with each include_role's tasks in its place (as the strategy expands them)."""
        out = []
        for step in self.plays.steps(play):
            if step.task.action in ("ansible.builtin.include_role", "include_role"):
                out += self._included_role(step, play)
            else:
                out.append(step)
        return out

    def _included_role(self, step: Step, play: Any) -> list[Step]:
        from .plays import _walk

        blocks, _handlers = step.task.get_block_list(play=play, variable_manager=self.plays.variables,
                                                      loader=self.plays.loader)
        return [s for b in blocks for s in _walk(b, play)]

    def _observe(self, step: Step, host: Any, hosts_all: list[str], req: Any) -> None:
        from . import modules as m

        task, action = step.task, short(step.task.action)
        if task.delegate_to:
            return
        variables = self.plays.vars_for(step.play, host, task, hosts_all)
        templar = self.plays.templar(variables)

        def tmpl(value: Any) -> Any:
            try:
                return self.memo.render(task, value, variables, templar.template)
            except Exception:  # noqa: BLE001 - depends on a result or fact not known before the probe
                return None

        if action in ("files", "units"):
            key, field_ = (action, "path") if action == "files" else (action, "name")
            for entry in _entries(task.args.get(key), tmpl):
                value = tmpl(entry.get(field_)) if isinstance(entry, dict) else None
                if isinstance(value, str):
                    (req.stat.add if action == "files" else req.units.add)(value)
        elif action == "systemd_service":
            name = tmpl(task.args.get("name"))
            if isinstance(name, str):
                req.units.add(name)
        elif action in ("command", "shell") and task.check_mode is False:
            args = tmpl(task.args)
            argv = m.command_argv(args, action == "shell") if isinstance(args, dict) else None
            if argv:
                (req.shell if action == "shell" else req.commands)[m.cmd_key(argv)] = argv
        elif action in ("command", "shell"):
            creates = tmpl(task.args.get("creates"))
            if isinstance(creates, str):
                req.stat.add(creates)
        elif action == "getent":
            req.getent.add(str(tmpl(task.args.get("database"))))
        elif action == "user":
            req.getent.update({"passwd", "shadow"})
        elif action == "group":
            req.getent.add("group")
        elif action in ("lineinfile", "replace"):
            path = tmpl(task.args.get("path") or task.args.get("dest"))
            if isinstance(path, str):
                req.read.add(path)
        elif action == "stat":
            path = tmpl(task.args.get("path"))
            if isinstance(path, str):
                req.stat.add(path)
        elif action == "find":
            args = tmpl(task.args)
            if isinstance(args, dict):
                req.find[m.find_key(args)] = {"paths": m._names(args.get("paths")),
                                              "patterns": m._names(args.get("patterns"))}
        elif action == "copy":
            dest = tmpl(task.args.get("dest"))
            if isinstance(dest, str):
                req.stat.add(dest)

    # ---------------------------------------------------------------- pass 2: evaluate
    def evaluate(self, host_name: str, request: dict[str, Any], answer: dict[str, Any] | None,
                 unreachable: str = "") -> HostRun:
        """The events of a check-mode run of this host, judged from the probe's ``answer`` to ``request``."""
        from . import modules as m

        run = HostRun(host_name)
        host = self.plays.inventory.get_host(host_name)
        if answer is None:
            run.events.append(_event("runner_on_unreachable", host_name, FACT_EVENT,
                                     {"unreachable": True, "msg": unreachable or "no answer"}))
            run.stats["dark"] += 1
            run.failed = True
            return run
        ans = m.Answer(answer, list(request.get("unit_names") or []))
        facts = {f"ansible_{k}": v for k, v in (answer.get("facts") or {}).items()}  # as setup returns them
        self.plays.set_facts(host_name, facts)
        for play in self.plays.plays:
            hosts_all = self.plays.play_hosts(play)
            if host_name not in hosts_all or run.failed:
                continue
            if play.gather_facts:
                run.events.append(_event("runner_on_ok", host_name, FACT_EVENT, {"changed": False,
                                                                                 "ansible_facts": facts}))
                run.stats["ok"] += 1
            notified: list[str] = []
            for step in self._expanded(play):
                if run.failed:
                    break
                if short(step.task.action) == "meta":
                    if step.task.args.get("_raw_params") == "flush_handlers":
                        self._handlers(play, host, hosts_all, notified, ans, run)
                    continue
                notified += self._task(step, host, hosts_all, ans, run)
            if not run.failed:
                self._handlers(play, host, hosts_all, notified, ans, run)
        return run

    def _handlers(self, play: Any, host: Any, hosts_all: list[str], notified: list[str], ans: Any,
                  run: HostRun) -> None:
        if not notified:
            return
        wanted = set(notified)
        notified.clear()
        for step in self.plays.handlers(play):
            names = {step.task.get_name(), step.task.name, *(step.task.listen or [])}
            if names & wanted and not run.failed:
                self._task(step, host, hosts_all, ans, run)

    def _task(self, step: Step, host: Any, hosts_all: list[str], ans: Any, run: HostRun) -> list[str]:
        """Run one task (each loop item) and record its event; the handlers it notifies."""
        from ansible.errors import AnsibleError

        task = step.task
        name = _task_name(task)
        variables = self.plays.vars_for(step.play, host, task, hosts_all)
        templar = self.plays.templar(variables)
        try:
            if task.loop is not None or task.loop_with:  # `when` is asked per item
                res = self._loop(step, variables, templar, ans, run)
            elif not self._holds(task.when, variables):
                res = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
            else:
                res = self._module(step, variables, templar, ans, run)
        except AnsibleError as exc:  # a template or condition that fails fails the task, as in a real run
            res = {"failed": True, "changed": False, "msg": " ".join(str(exc.message).split())[:500]}
        except Exception as exc:  # noqa: BLE001 - an argument shape no emulator expects: the task fails, visibly
            res = {"failed": True, "changed": False,
                   "msg": f"{UNSUPPORTED_TASK}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}
        if task.register:
            self.plays.variables.set_nonpersistent_facts(host.name, shared({task.register: res}))
        if res.get("ansible_facts"):
            self.plays.set_facts(host.name, res["ansible_facts"])
        kind = "runner_on_failed" if res.get("failed") else "runner_on_skipped" if res.get("skipped") \
            else "runner_on_ok"
        ev = _event(kind, host.name, name, res)
        ev["event_data"]["ignore_errors"] = bool(task.ignore_errors)
        run.events.append(ev)
        run.stats[{"runner_on_failed": "failures" if not task.ignore_errors else "ignored",
                   "runner_on_skipped": "skipped"}.get(kind, "changed" if res.get("changed") else "ok")] += 1
        if kind == "runner_on_ok" and res.get("changed"):
            run.stats["ok"] += 1
        if res.get("failed") and not task.ignore_errors:
            run.failed = True
        return list(task.notify or []) if res.get("changed") and not res.get("failed") else []

    def _holds(self, conditions: list[Any], variables: dict[str, Any]) -> bool:
        """Every condition true (Task._resolve_conditional's rule), with the run's one Templar."""
        templar = self.plays.templar(variables)
        return all(templar.evaluate_conditional(c) for c in conditions)

    def _loop(self, step: Step, variables: dict[str, Any], templar: Any, ans: Any,
              run: HostRun | None = None) -> dict[str, Any]:
        task = step.task
        if task.loop_with:
            from ansible.errors import AnsibleError

            raise AnsibleError(f"with_{task.loop_with} loops are not read by the fast path")
        items = templar.template(task.loop)
        loop_var = (task.loop_control.loop_var if task.loop_control else None) or "item"
        results = []
        for item in items or []:
            v = {**variables, loop_var: item}
            t = self.plays.templar(v)
            if not self._holds(task.when, v):
                results.append({"changed": False, "skipped": True, loop_var: item})
                continue
            r = self._module(step, v, t, ans, run)
            r[loop_var] = item
            results.append(r)
        if not results:
            return {"changed": False, "skipped": True, "skipped_reason": "No items in the list", "results": []}
        res: dict[str, Any] = {"changed": any(r.get("changed") for r in results), "results": results,
                               "msg": "All items completed"}
        if any(r.get("failed") for r in results):
            res.update(failed=True, msg="One or more items failed")
        elif all(r.get("skipped") for r in results):
            res.update(skipped=True)
        return res

    def _module(self, step: Step, variables: dict[str, Any], templar: Any, ans: Any,
                run: HostRun | None = None) -> dict[str, Any]:
        """One module call in check mode, then changed_when/failed_when as the TaskExecutor applies them."""
        from . import modules as m

        task, action = step.task, short(step.task.action)
        if action == "assert":
            res = m.assert_run(task.args, lambda c: bool(templar.evaluate_conditional(c)),
                               lambda v: templar.template(v))
            return res
        args = self.memo.render(task, task.args, variables, templar.template)
        want = m.desired(action, args) if isinstance(args, dict) else None
        if want is not None and run is not None:
            cid = TASK_RE.match(str(task.name or ""))
            run.manifest.setdefault(cid.group("id") if cid else "(unmapped)", []).append(
                {"task": str(task.name), "module": action, **want})
        res = self._call(step, action, args, variables, ans)
        if task.changed_when is not None and task.changed_when != [] and not res.get("failed_unsupported"):
            v = {**variables, **({task.register: res} if task.register else {})}
            res["changed"] = self._holds(task.changed_when, v)
        if task.failed_when is not None and task.failed_when != []:
            v = {**variables, **({task.register: res} if task.register else {})}
            res["failed"] = res["failed_when_result"] = self._holds(task.failed_when, v)
        return res

    def _call(self, step: Step, action: str, args: dict[str, Any], variables: dict[str, Any],
              ans: Any) -> dict[str, Any]:
        from . import modules as m

        task = step.task
        simple = {"files": m.files_run, "units": m.units_run, "systemd_service": m.systemd_run, "apt": m.apt_run,
                  "getent": m.getent_run, "user": m.user_run, "group": m.group_run,
                  "lineinfile": m.lineinfile_run, "replace": m.replace_run, "stat": m.stat_run,
                  "find": m.find_run}
        if task.delegate_to and action not in ("command", "shell", "debug", "assert"):
            return m._fail(f"{m.UNSUPPORTED}: {task.action} delegated to {task.delegate_to}")
        if action in simple:
            return simple[action](args, ans)
        if action == "debug":
            if "var" in args:
                return {"changed": False, args["var"]: variables.get(args["var"])}
            return {"changed": False, "msg": args.get("msg", "Hello world!")}
        if action in ("command", "shell"):
            argv = m.command_argv(args, action == "shell")
            if task.delegate_to:
                if str(task.delegate_to) not in ("localhost", "127.0.0.1"):
                    return m._fail(f"{m.UNSUPPORTED}: a command delegated to {task.delegate_to}")
                return self._local_command(argv, action == "shell")
            if task.check_mode is False:
                if task.environment or (task.become_user or "root") != "root":
                    return m._fail(f"{m.UNSUPPORTED}: a command with its own environment or become_user")
                return m.command_result(ans.command(m.cmd_key(argv)), argv)
            creates = args.get("creates")
            if isinstance(creates, str) and (ans.stat(creates) or {}).get("exists"):
                return {"changed": False, "rc": 0, "msg": f"Did not run command since '{creates}' exists"}
            return {"changed": False, "skipped": True, "msg": "Command would have run if not in check mode"}
        if action == "dpkg_facts":
            return {"changed": False, "ansible_facts": {"packages": ans.packages}} if ans.packages is not None \
                else m._unobserved("the dpkg database")
        if action == "systemd_facts":
            services = ans.services(list(args.get("names") or []))
            return {"changed": False, "ansible_facts": {"services": services}} if services is not None \
                else m._unobserved("the evidence units")
        if action == "setup":
            return {"changed": False, "ansible_facts": {f"ansible_{k}": v
                                                        for k, v in (ans.raw.get("facts") or {}).items()}}
        if action == "validate_argument_spec":
            return _validate_spec(args, variables, self.plays.templar(variables))
        if action == "copy":
            return self._copy(task, args, variables, ans)
        if action == "fetch":
            return {"changed": False, "msg": "reports are fetched by a harden run, not by the fast path"}
        if action == "include_tasks":
            return m._fail(f"{m.UNSUPPORTED}: a dynamic include_tasks ({args.get('file') or args})")
        return m._fail(f"{m.UNSUPPORTED}: the module {task.action}")

    def _copy(self, task: Any, args: dict[str, Any], variables: dict[str, Any], ans: Any) -> dict[str, Any]:
        """ansible.builtin.copy of a controller file (src): the destination's digest, mode and owner."""
        from . import modules as m

        src, dest = args.get("src"), args.get("dest")
        if not isinstance(src, str) or not isinstance(dest, str) or args.get("content") is not None \
                or src.endswith("/") or args.get("remote_src"):
            return m._fail(f"{m.UNSUPPORTED}: copy arguments {sorted(k for k, v in args.items() if v is not None)}")
        try:
            path = self.plays.loader.path_dwim_relative_stack(list(variables.get("ansible_search_path") or []),
                                                              "files", src)
            with open(path, "rb") as fh:
                data = fh.read()
        except Exception as exc:  # noqa: BLE001 - AnsibleFileNotFound or OSError: the module fails the same way
            return m._fail(f"Could not find or access '{src}' on the Ansible Controller: {exc}")
        entry = {"path": dest, "mode": args.get("mode"), "owner": args.get("owner"), "group": args.get("group")}
        return m.copy_run(entry, hashlib.sha256(data).hexdigest(), ans)

    def _local_command(self, argv: Any, shell: bool) -> dict[str, Any]:
        """A task delegated to the controller runs there, as in a check-mode run (once per run)."""
        from . import modules as m

        key = m.cmd_key(argv)
        if key not in self._local:
            try:
                p = subprocess.run(argv, shell=shell, capture_output=True, text=True, timeout=120, check=False)
                self._local[key] = {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}
            except (OSError, subprocess.SubprocessError) as exc:
                self._local[key] = {"rc": None, "error": str(exc)}
        return m.command_result(self._local[key], argv)


def _entries(value: Any, tmpl: Any) -> list[Any]:
    """A list argument's entries, each to be templated on its own (a file's content is not needed to
    know its path); a list that is itself one template, templated whole."""
    if isinstance(value, list):
        return value
    whole = tmpl(value)
    return whole if isinstance(whole, list) else []


def _validate_spec(args: dict[str, Any], variables: dict[str, Any], templar: Any) -> dict[str, Any]:
    """ansible.builtin.validate_argument_spec as a role's meta/argument_specs.yml runs it: the role's
    variables checked against the spec (the action plugin's own rules, ArgumentSpecValidator)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = args.get("argument_spec") or {}
    provided = args.get("provided_arguments") or {k: templar.template(variables[k]) for k in spec if k in variables}
    result = ArgumentSpecValidator(spec).validate(provided)
    if result.error_messages:
        return {"failed": True, "changed": False, "msg": "Validation of arguments failed:\n"
                + "\n".join(result.error_messages), "argument_errors": result.error_messages}
    return {"changed": False, "msg": "The arg spec validation passed"}


def _task_name(task: Any) -> str:
    """The task name as ansible-runner reports it (event_data.task): without the role prefix."""
    return str(task.name or task.action)


def _event(kind: str, host: str, task: str, res: dict[str, Any]) -> dict[str, Any]:
    return {"event": kind, "event_data": {"host": host, "task": task, "res": res}}
