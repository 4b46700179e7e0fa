"""Component resources of the govcloud Pulumi program, one per contract service class (article 2)."""
