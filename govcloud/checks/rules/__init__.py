"""The registered checks, one small function each (``govcloud.checks.registry.check``); every module
here registers its checks on import."""
