"""Errors of the runbook engine; each is shown once by the CLI (exit 1)."""

from __future__ import annotations

from govcloud.errors import GovcloudError


class RunbookError(GovcloudError):
    """A run cannot start or continue (bad run directory, resume mismatch, ...)."""


class RunLocked(RunbookError):
    """Another process holds the lock of this runbook and system."""


class StepFailed(GovcloudError):
    """An action could not do its work; the message names the host and what failed."""


class OutputError(GovcloudError):
    """A run-directory output could not be written; the file it was to replace is left as it was."""
