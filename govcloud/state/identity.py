"""Whose state is this? A stack export or preview must be of the stack and project a command was given.

Every resource URN is ``urn:pulumi:STACK::PROJECT::TYPE::NAME``: a file whose URNs name another
stack (the lab's export given to ``check --stack prod``) or another project is refused, naming the
file, the first foreign field and what was expected. The project is ``name`` in ``Pulumi.yaml``;
the stack is the one the command was given (its ``Pulumi.<stack>.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from govcloud.errors import InputError

PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class StackIdentity:
    """The stack and project a file must belong to, and where the project name came from."""

    stack: str
    project: str
    project_source: str = PROJECT_FILE

    @property
    def prefix(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::"

    def describe(self) -> str:
        return f"stack '{self.stack}' of project '{self.project}' ({self.project_source} and --stack)"


def stack_identity(project_dir: Path, stack: str) -> StackIdentity:
    """The expected identity for ``stack``: the project name from ``project_dir/Pulumi.yaml``."""
    from govcloud.yamldoc import load_yaml

    path = Path(project_dir) / PROJECT_FILE
    if not path.exists():
        raise InputError.one(path, "", "file not found (the Pulumi project file names the project)")
    doc = load_yaml(path)
    name = doc.data.get("name") if isinstance(doc.data, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError.one(path, "name", "expected the project name (a non-empty string)", doc.line_of(("name",)))
    return StackIdentity(stack, name, str(path))


def _owner(urn: str) -> str:
    """``stack 'lab' of project 'govcloud'`` for a URN, or what it is when it is not one."""
    parts = urn[len("urn:pulumi:"):].split("::") if urn.startswith("urn:pulumi:") else []
    if len(parts) < 4:
        return "no stack (not a Pulumi URN)"
    return f"stack '{parts[0]}' of project '{parts[1]}'"


def require_identity(file: str | Path, fields: Iterable[tuple[str, str]], expected: StackIdentity) -> None:
    """Refuse ``file`` when any ``(field path, URN)`` names another stack or project: one line naming
    the first such field, how many there are, and what was expected."""
    prefix = expected.prefix
    first: tuple[str, str] | None = None
    count = 0
    for where, urn in fields:
        if not urn.startswith(prefix):
            count += 1
            if first is None:
                first = (where, urn)
    if first is None:
        return
    where, urn = first
    more = f"; {count - 1} more URNs in the file are not this stack's" if count > 1 else ""
    raise InputError.one(file, where, f"expected a URN of {expected.describe()}, got {urn} "
                                      f"of {_owner(urn)}{more}")
