"""Errors of the hosts package, in the project's error hierarchy (CLI exit 1)."""

from __future__ import annotations

from govcloud.errors import GovcloudError, InputError

__all__ = ["GovcloudError", "HardenError", "InputError"]


class HardenError(GovcloudError):
    """A harden run could not be started or produced no usable events."""
