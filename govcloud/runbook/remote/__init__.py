"""The remote layer: SSH endpoints from an Ansible inventory, rsync transfers with SHA-256
manifests, and PostgreSQL dump/restore over those endpoints."""
