"""Errors raised by the lab: one type, carrying what failed and what was expected."""

from __future__ import annotations


class LabError(RuntimeError):
    """A test-host lab operation failed (build, boot, network, teardown)."""
