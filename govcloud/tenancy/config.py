"""Stack configuration: the ``config:`` mapping of ``Pulumi.<stack>.yaml`` as typed settings.

Validated against ``schemas/stack-config.schema.json`` (2020-12); every error names the
file and the key (``govcloud:supernet``). Secrets (``govcloud:adminPassword``,
``openstack:password``) must be Pulumi secrets, never plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.schemas import document_issues
from govcloud.tenancy.errors import StackError
from govcloud.yamldoc import YamlDocument, load_yaml

NAMESPACE = "govcloud"
SECRET_KEYS: tuple[str, ...] = ("govcloud:adminPassword", "openstack:password", "openstack:token",
                                "openstack:applicationCredentialSecret")
DEFAULT_CONTRACT = "contracts/2025095.yaml"


@dataclass(frozen=True)
class StackSettings:
    """Typed stack settings; paths are resolved against the project directory."""

    stack: str
    file: str
    project_dir: Path
    contract_path: Path
    host_plan_path: Path
    supernet: str
    reserved: tuple[str, ...]
    project_name: str
    project_description: str
    domain: str
    external_network: str
    provision: str
    quota_overrides: dict[str, Decimal] = field(default_factory=dict)
    amendments: tuple[Path, ...] = ()
    on: date | None = None
    dns_nameservers: tuple[str, ...] = ()

    def where(self, key: str) -> tuple[str, str]:
        return self.file, f"{NAMESPACE}:{key}"


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def _config_document(doc: YamlDocument) -> YamlDocument:
    """The ``config:`` mapping of a stack file, keeping source lines."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("config"), dict):
        raise StackError([Issue(str(doc.file), "config", "expected a 'config:' mapping of stack settings", 1)])
    lines = {k[1:]: v for k, v in doc.lines.items() if k[:1] == ("config",)}
    return YamlDocument(doc.file, doc.data["config"], lines)


def read_stack_config(project_dir: Path, stack: str) -> YamlDocument:
    """The ``config:`` mapping of ``Pulumi.<stack>.yaml``, validated (keys named in errors)."""
    path = stack_file(project_dir, stack)
    if not path.exists():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackError([Issue(str(path), "", f"no such stack file (stacks: {', '.join(known) or 'none'})")])
    config = _config_document(load_yaml(path))
    issues = _plaintext_secrets(config)
    issues += document_issues(_without(config, {i.path for i in issues}), "stack-config.schema.json")
    if issues:
        raise StackError(issues)
    return config


def _plaintext_secrets(config: YamlDocument) -> list[Issue]:
    """A secret key holding anything but ``{secure: ...}``; the value itself is never shown."""
    return [
        Issue(str(config.file), key, f"must be a secret: set it with `pulumi config set --secret {key}`, "
                                     "never as plain text", config.line_of((key,)))
        for key in SECRET_KEYS
        if key in config.data and not (isinstance(config.data[key], dict) and set(config.data[key]) == {"secure"})
    ]


def _without(config: YamlDocument, keys: set[str]) -> YamlDocument:
    return YamlDocument(config.file, {k: v for k, v in config.data.items() if k not in keys}, config.lines)


def _resolve(project_dir: Path, text: str) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else project_dir / p


def settings_from_config(
    config: dict[str, Any], stack: str, file: str, project_dir: Path = PROJECT_ROOT
) -> StackSettings:
    """Typed settings from an already validated config mapping (namespaced keys)."""
    def get(key: str, default: Any = None) -> Any:
        return config.get(f"{NAMESPACE}:{key}", default)

    on = get("on")
    return StackSettings(
        stack=stack,
        file=file,
        project_dir=project_dir,
        contract_path=_resolve(project_dir, get("contract", DEFAULT_CONTRACT)),
        host_plan_path=_resolve(project_dir, get("hostPlan")),
        supernet=get("supernet"),
        reserved=tuple(get("reserved", ())),
        project_name=get("projectName"),
        project_description=get("projectDescription", ""),
        domain=get("domain", "default"),
        external_network=get("externalNetwork"),
        provision=get("provision", "contract"),
        quota_overrides={k: Decimal(str(v)) for k, v in (get("quotaOverrides") or {}).items()},
        amendments=tuple(_resolve(project_dir, a) for a in get("amendments", ())),
        on=date.fromisoformat(on) if on else None,
        dns_nameservers=tuple(get("dnsNameservers", ())),
    )


def validate_runtime_config(config: dict[str, Any], secret_keys: set[str], stack: str) -> dict[str, Any]:
    """Validate config as the Pulumi runtime hands it over (strings; JSON for lists and maps).

    Secret values are replaced by ``{"secure": "[secret]"}`` before validation, so a
    plain-text password is an error naming its key.
    """
    from govcloud.jsondoc import parse_json

    values: dict[str, Any] = {}
    for key, raw in config.items():
        if not key.startswith((f"{NAMESPACE}:", "openstack:")):
            continue
        if key in secret_keys:
            values[key] = {"secure": "[secret]"}
            continue
        value: Any = raw
        if isinstance(raw, str) and raw[:1] in "[{":
            try:
                value = parse_json(raw, Path(f"Pulumi.{stack}.yaml"))
            except InputError:
                value = raw  # left as text: the schema names the key
        values[key] = value
    doc = YamlDocument(Path(f"Pulumi.{stack}.yaml"), values, {})
    issues = _plaintext_secrets(doc)
    issues += document_issues(_without(doc, {i.path for i in issues}), "stack-config.schema.json")
    if issues:
        raise StackError(issues)
    return values


def load_stack_settings(stack: str, project_dir: Path = PROJECT_ROOT) -> StackSettings:
    """The settings of stack ``stack`` read from ``Pulumi.<stack>.yaml`` (validated; keys named in errors)."""
    config = read_stack_config(project_dir, stack)
    return settings_from_config(config.data, stack, str(stack_file(project_dir, stack)), project_dir)
