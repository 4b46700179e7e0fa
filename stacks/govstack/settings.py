"""Stack configuration read once at program start and validated (schemas/stack-config.schema.json)."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from govcloud.tenancy.config import settings_from_config, validate_runtime_config
from govcloud.tenancy.model import Tenancy, build_tenancy

PROJECT_DIR_ENV = "GOVCLOUD_PROJECT_DIR"


def project_dir() -> Path:
    """Where relative paths in stack config resolve: the directory holding Pulumi.yaml."""
    env = os.environ.get(PROJECT_DIR_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2]


def load_tenancy() -> Tenancy:
    stack = pulumi.get_stack()
    config = dict(runtime_config.CONFIG.get())
    secret = {k for k in config if runtime_config.is_config_secret(k)}
    values = validate_runtime_config(config, secret, stack)
    settings = settings_from_config(values, stack, f"Pulumi.{stack}.yaml", project_dir())
    return build_tenancy(settings)
