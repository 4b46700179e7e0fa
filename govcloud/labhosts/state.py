"""The persisted description of a lab (lab.json in its state dir) and the machine-wide registry.

A lab is recorded before any kernel object is created, so `cleanup` can always
find and remove what a crashed or killed process left behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import paths

STATE_FILE = "lab.json"


@dataclass
class HostRecord:
    """One host as recorded on disk."""

    name: str
    index: int
    address: str
    netns: str
    veth: str
    host_dir: str
    pid: int = 0
    volumes: list[dict] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return Path(self.host_dir) / "root"

    @property
    def console_log(self) -> Path:
        return Path(self.host_dir) / "console.log"


@dataclass
class LabRecord:
    """Everything needed to tear a lab down from another process."""

    id: str
    state_dir: str
    base_rootfs: str
    subnet: str
    bridge: str
    controller_address: str
    owner_pid: int
    persistent: bool = False
    owns_state_dir: bool = False
    groups: dict[str, list[str]] = field(default_factory=dict)
    hosts: list[HostRecord] = field(default_factory=list)
    host_vars: dict[str, dict] = field(default_factory=dict)

    def save(self) -> None:
        path = Path(self.state_dir) / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)
        register(self)

    @classmethod
    def load(cls, state_dir: Path) -> "LabRecord":
        data = json.loads((state_dir / STATE_FILE).read_text())
        data["hosts"] = [HostRecord(**h) for h in data.get("hosts", [])]
        return cls(**data)


def register(record: LabRecord) -> None:
    paths.REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    entry = paths.REGISTRY_DIR / f"{record.id}.json"
    entry.write_text(json.dumps({"id": record.id, "state_dir": record.state_dir,
                                 "owner_pid": record.owner_pid, "persistent": record.persistent,
                                 "subnet": record.subnet}) + "\n")


def unregister(lab_id: str) -> None:
    (paths.REGISTRY_DIR / f"{lab_id}.json").unlink(missing_ok=True)


def registered() -> list[dict]:
    """Registry entries of every lab on this machine (live or dead)."""
    if not paths.REGISTRY_DIR.exists():
        return []
    entries = []
    for f in sorted(paths.REGISTRY_DIR.glob("*.json")):
        try:
            entries.append(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
    return entries


def owner_alive(entry: dict) -> bool:
    try:
        os.kill(int(entry["owner_pid"]), 0)
    except (ProcessLookupError, KeyError, ValueError):
        return False
    except PermissionError:
        return True
    return True
