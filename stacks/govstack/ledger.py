"""What the program declares, in the mapping's terms, for the ``declared`` stack output.

Components record the camelCase inputs of every resource the mapping counts (the same
values they pass to the resource); ``govcloud plan`` checks that this output agrees
with what the runtime registered, so the program cannot report one thing and declare
another.
"""

from __future__ import annotations

from typing import Any

from govcloud.ledger.counting import Resource, Tally, tally


class Ledger:
    def __init__(self) -> None:
        self.entries: list[Resource] = []

    def record(self, type_: str, name: str, inputs: dict[str, Any]) -> None:
        self.entries.append(Resource(type_, name, inputs))

    def tally(self) -> Tally:
        return tally(self.entries)
