"""Helpers shared by the plan and stack tests: temporary stacks and subprocess runs.

The SDK's mock runtime (``pulumi.runtime.set_mocks``) is Pulumi's documented unit-test
path; its state is global to a process, so every program run here is its own
subprocess — the same way `govcloud plan` runs it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
PROD_HOSTPLAN = ROOT / "stacks" / "hostplans" / "prod.yaml"
PROD_CONFIG: dict[str, Any] = {
    "govcloud:contract": str(ROOT / "contracts" / "2025095.yaml"),
    "govcloud:projectName": "bjgy-zwy-test",
    "govcloud:externalNetwork": "public-internet",
    "govcloud:supernet": "10.95.0.0/16",
    "govcloud:reserved": ["10.95.0.0/24", "10.95.255.0/24"],
    "govcloud:provision": "contract",
}


def govcloud(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "govcloud.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)


def dump(stack: str, project_dir: Path, secrets: dict[str, str] | None = None) -> dict[str, Any]:
    """Resources and outputs the program registers under the mock runtime (one subprocess)."""
    cmd = [sys.executable, "-m", "govcloud.plan.dump", "--stack", stack, "--project-dir", str(project_dir)]
    for k, v in (secrets or {}).items():
        cmd += ["--secret", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def load_hostplan(path: Path = PROD_HOSTPLAN) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> Path:
    buf = StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, buf)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def make_stack(directory: Path, stack: str = "test", hostplan: dict[str, Any] | None = None,
               raw_hostplan: str | None = None, **config: Any) -> Path:
    """Write Pulumi.<stack>.yaml (and its host plan) into ``directory``; returns the directory.

    ``config`` keys use ``__`` for ``:`` (``govcloud__supernet=...``); ``None`` removes a key.
    """
    directory.mkdir(parents=True, exist_ok=True)
    hp = directory / f"hostplan-{stack}.yaml"
    if raw_hostplan is not None:
        hp.write_text(raw_hostplan, encoding="utf-8")
    else:
        write_yaml(hp, hostplan if hostplan is not None else load_hostplan())
    cfg = copy.deepcopy(PROD_CONFIG)
    cfg["govcloud:hostPlan"] = str(hp)
    for key, value in config.items():
        key = key.replace("__", ":")
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    write_yaml(directory / f"Pulumi.{stack}.yaml", {"config": cfg})
    return directory


def plan_json(project_dir: Path, stack: str = "test") -> tuple[int, dict[str, Any] | None, str]:
    proc = govcloud("plan", "--stack", stack, "--project-dir", str(project_dir), "--format", "json")
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, doc, proc.stderr


def items(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in doc["items"]}


def env_without_pulumi() -> dict[str, str]:
    """The environment with PATH reduced to the venv's bin (no pulumi CLI there)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent)
    return env
