"""Which module registers which ``govcloud`` sub-command, as names only.

The CLI (``govcloud.cli``) imports a module from here to build its parser; the runbook engine reads
the names to check a step's ``govcloud:`` call without importing the CLI layer above it.
tests/checks/test_cli.py holds this table to the parser.
"""

from __future__ import annotations

#: module -> the sub-commands its ``register(subparsers)`` adds; a run of one command imports only
#: its module, so `govcloud check` does not pay for Ansible's or Pulumi's import time
COMMANDS: dict[str, tuple[str, ...]] = {
    "govcloud.commands.contract": ("contract",),
    "govcloud.commands.deadline": ("deadline",),
    "govcloud.commands.plan": ("plan",),
    "govcloud.commands.pulumi": ("preview", "up", "refresh"),
    "govcloud.commands.check": ("check",),
    "govcloud.commands.diff": ("diff",),
    "govcloud.commands.hosts": ("harden", "verify-hosts"),
    "govcloud.commands.runbook": ("runbook",),
    "govcloud.commands.sla": ("sla",),
    "govcloud.commands.deliverables": ("deliverables",),
}
#: the entry point that runs any of them (``python -m``)
ENTRY_MODULE = "govcloud.cli"


def command_names() -> frozenset[str]:
    """Every sub-command of ``govcloud``."""
    return frozenset(n for names in COMMANDS.values() for n in names)
