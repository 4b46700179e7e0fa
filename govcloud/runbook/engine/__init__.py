"""The runbook engine: the model and loader of runbook files, the registry of built-in calls, the
journal, the lock, the run loop and the status read back from a journal. Knows no step."""
