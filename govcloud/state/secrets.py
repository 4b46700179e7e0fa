"""Pulumi property-value signatures (pulumi/pulumi ``sdk/go/common/apitype/property-values.json``).

A secret is an object whose signature key holds the secret signature, with ``ciphertext``
or ``plaintext``. govcloud never decrypts, logs or prints either: it becomes ``[secret]``.
"""

from __future__ import annotations

from typing import Any

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
INTEGER_SIG = "7eb310220ed6211bd6f147f2a75bfbb6"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

REDACTED = "[secret]"


class Secret:
    """A secret property value: holds nothing, prints as ``[secret]``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret)

    def __hash__(self) -> int:
        return hash(REDACTED)


SECRET = Secret()


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def redact(value: Any) -> Any:
    """``value`` with every secret replaced by ``SECRET`` and integer objects unwrapped."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET
        if sig == INTEGER_SIG:
            raw = value.get("value")
            return int(raw) if isinstance(raw, (str, int, float)) else raw
        return {k: redact(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) if isinstance(v, (dict, list)) else v for v in value]  # scalars: no call each
    return value


def json_safe(value: Any) -> Any:
    """For writing reports: secrets as the string ``[secret]``."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value
