"""Where the lab keeps its cache, its per-lab state and its registry of live labs."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (the package is installed editable from it).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Debian packages the roles install, pre-downloaded into the base (owned by the roles engineer).
DEFAULT_PACKAGES_FILE = REPO_ROOT / "playbooks" / "lab-packages.txt"

#: Registry of labs on this machine: one JSON file per lab, pointing at its state dir.
REGISTRY_DIR = Path(os.environ.get("GOVCLOUD_LAB_REGISTRY", "/run/govcloud-labs"))

#: Name prefix of every kernel object (bridge, veth, netns) a lab creates.
PREFIX = "gv"


def cache_dir() -> Path:
    """The base-image cache: `$GOVCLOUD_LAB_CACHE`, default /var/cache/govcloud/labhosts."""
    return Path(os.environ.get("GOVCLOUD_LAB_CACHE", "/var/cache/govcloud/labhosts"))


def packages_file() -> Path:
    """The lab package list: `$GOVCLOUD_LAB_PACKAGES`, default playbooks/lab-packages.txt."""
    return Path(os.environ.get("GOVCLOUD_LAB_PACKAGES", str(DEFAULT_PACKAGES_FILE)))


def read_package_list(path: Path) -> list[str]:
    """Package names from `path`: one per line, `#` starts a comment, blank lines ignored."""
    if not path.exists():
        return []
    names: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.extend(line.split())
    return names


def state_root() -> Path:
    """Where labs started without `state_dir` live: `$GOVCLOUD_LAB_STATE_ROOT`, default /var/tmp/govcloud-labs."""
    return Path(os.environ.get("GOVCLOUD_LAB_STATE_ROOT", "/var/tmp/govcloud-labs"))
