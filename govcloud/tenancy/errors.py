"""Errors in stack configuration, host plans and network plans."""

from __future__ import annotations

from govcloud.errors import InputError


class StackError(InputError):
    """A stack config file, host plan or network plan is invalid (file, key, what was expected)."""
