"""The steps of the runbooks (migration in, exit, erase, handover, materials, timeline): built-in
actions and checks registered by name for the runbook files to call."""
