"""Limits on every input file govcloud reads: size, nesting depth and node count.

The defaults are far above any real file (the seed contract is 17 KiB, 12 levels deep; a prod stack
export 6 MB, 8 levels) and far below what hurts a 2-core runner. Where a user could need more — a
stack export of a very large tenancy — an environment variable raises the limit, and every error
that a limit causes names the variable:

| variable | default | what |
| --- | --- | --- |
| ``GOVCLOUD_MAX_YAML_MB`` | 8 | size of a YAML input (contract, amendment, stack config, host plan, runbook …) |
| ``GOVCLOUD_MAX_JSON_MB`` | 512 | size of a JSON input (stack export, preview, harden evidence …) |
| ``GOVCLOUD_MAX_DEPTH`` | 64 YAML, 128 JSON | nesting depth of mappings and lists |
| ``GOVCLOUD_MAX_NODES`` | 1,000,000 YAML, 50,000,000 JSON | mappings, lists and scalars in one document |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one reader accepts; ``size_variable`` is the environment variable that raises ``max_bytes``."""

    max_bytes: int
    max_depth: int
    max_nodes: int
    size_variable: str

    def too_large(self, size: int) -> str | None:
        """The error text when a file of ``size`` bytes is over the limit, else None."""
        if size <= self.max_bytes:
            return None
        return (f"expected at most {_mib(self.max_bytes)} MiB, the file has {_mib(size)} MiB "
                f"(set {self.size_variable} to raise the limit)")

    def too_deep(self, depth: int) -> str:
        return (f"expected at most {self.max_depth} levels of nesting, found more "
                "(set GOVCLOUD_MAX_DEPTH to raise the limit)")

    def too_many(self) -> str:
        return (f"expected at most {self.max_nodes:,} values in one document, found more "
                "(set GOVCLOUD_MAX_NODES to raise the limit)")


def _mib(n: int) -> str:
    return f"{n / MIB:.1f}".rstrip("0").rstrip(".") if n % MIB else str(n // MIB)


def _env_int(name: str, default: int) -> int:
    """A positive whole number from the environment; anything else falls back to ``default``."""
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def yaml_limits() -> Limits:
    """The YAML reader's limits (environment read at each call: a test or a user may set it)."""
    return Limits(_env_int("GOVCLOUD_MAX_YAML_MB", 8) * MIB, _env_int("GOVCLOUD_MAX_DEPTH", 64),
                  _env_int("GOVCLOUD_MAX_NODES", 1_000_000), "GOVCLOUD_MAX_YAML_MB")


def json_limits(max_bytes: int | None = None) -> Limits:
    """The JSON reader's limits; ``max_bytes`` is a caller's tighter size (an acceptance file: 1 MiB)."""
    size = _env_int("GOVCLOUD_MAX_JSON_MB", 512) * MIB
    return Limits(min(size, max_bytes) if max_bytes else size, _env_int("GOVCLOUD_MAX_DEPTH", 128),
                  _env_int("GOVCLOUD_MAX_NODES", 50_000_000), "GOVCLOUD_MAX_JSON_MB")
