"""govcloud: contract 2025095 as code: model, stacks, hardening, checks, runbooks."""

__version__ = "0.1.0"
