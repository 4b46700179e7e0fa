"""Readers of deployed state in its real formats: `pulumi stack export` (deployment v3) and
`pulumi preview --json` / `pulumi refresh --preview-only --json` digests."""
