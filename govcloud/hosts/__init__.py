"""Host hardening runs and their evidence: `govcloud harden` and `govcloud verify-hosts`.

Data flows one way: control map (playbooks/controls.yml) + inventory → ansible-runner
run (events) → evidence (schemas/harden-evidence.schema.json), read here as data (facts, control results,
add-on states). The judging of it is the registered host checks' (govcloud.checks.rules.hosts), which
`govcloud check --evidence` and `govcloud verify-hosts` (govcloud.checks.hostreport) both run: this
package never imports govcloud.checks.
"""
