"""Host hardening runs and their evidence: `govcloud harden` and `govcloud verify-hosts`.

Data flows one way: control map (playbooks/controls.yml) + inventory → ansible-runner
run (events) → evidence (schemas/harden-evidence.schema.json) → verify-hosts report.
"""
