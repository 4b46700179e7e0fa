"""``python -m govcloud.plan.dump``: what the program registers under the mock runtime, as JSON.

For tests and for the later ``check`` work: every resource's type, name, custom flag
and camelCase inputs, plus the stack outputs. Secret values given on the command line
are masked wherever they appear (``[secret]``): a dump never shows a secret.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from govcloud.paths import PROJECT_ROOT
from govcloud.plan.runner import SECRET_MARK, run_program


def mask(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return SECRET_MARK if value in secrets else value
    if isinstance(value, dict):
        return {k: mask(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v, secrets) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m govcloud.plan.dump")
    p.add_argument("--stack", default="prod")
    p.add_argument("--project-dir", type=Path, default=PROJECT_ROOT)
    p.add_argument("--secret", action="append", default=[], metavar="KEY=VALUE",
                   help="a secret config value, e.g. govcloud:adminPassword=...")
    args = p.parse_args(argv)
    secrets = dict(s.split("=", 1) for s in args.secret)
    run = run_program(args.stack, args.project_dir.resolve(), secrets)
    hidden = set(secrets.values())
    doc = {
        "stack": run.stack,
        "resources": [{"type": r.type, "name": r.name, "custom": (r.type, r.name) in run.custom,
                       "inputs": mask(dict(r.inputs), hidden)} for r in run.resources],
        "outputs": mask(run.outputs_document(), hidden),
        "secret_outputs": sorted(run.secret_outputs),
    }
    json.dump(doc, sys.stdout, ensure_ascii=False, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
