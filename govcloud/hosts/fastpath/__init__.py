"""Host evidence in one round trip: the playbooks evaluated against one read-only probe per host (issue 17)."""
