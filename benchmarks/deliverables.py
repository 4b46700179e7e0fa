"""Benchmark ``govcloud deliverables build`` (issue 16): the full acceptance package of the prod stack (200 hosts)
for one month, every input given.

Inputs: prod's export (``govcloud plan --stack prod --export-state``); harden evidence for every prod host (the
entry of lab-app-01 from the recorded real run in tests/runbook/data/harden-evidence.json, one per host name, as
benchmarks/check.py builds it); the recorded real SLA report of 2026-03 (tests/deliverables/data/); the SLA
tests' incident and change records (tests/sla/recordkit.py). Prints, per ``--repeat`` run of the command from
process start: wall and CPU seconds and peak memory; then, from one in-process build, each document's build time
and size. Target (issue 16): seconds, not minutes.

    .venv/bin/python benchmarks/deliverables.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.check import evidence_for, prod_export  # noqa: E402
from benchmarks.childproc import run_child  # noqa: E402
from tests.sla.recordkit import CARRIER_INCIDENTS, maint_changes  # noqa: E402

SLA_REPORT = ROOT / "tests" / "deliverables" / "data" / "sla-report-2026-03.json"
MONTH = "2026-03"


def inputs(tmp: Path) -> dict[str, Path]:
    doc = prod_export(tmp)
    evidence = tmp / "evidence.json"
    evidence.write_text(json.dumps(evidence_for(doc)), encoding="utf-8")
    incidents, changes = tmp / "incidents.yaml", tmp / "changes.yaml"
    incidents.write_text(textwrap.dedent(CARRIER_INCIDENTS).lstrip(), encoding="utf-8")
    changes.write_text(textwrap.dedent(maint_changes()).lstrip(), encoding="utf-8")
    return {"--state": tmp / "prod-export.json", "--evidence": evidence, "--sla-report": SLA_REPORT,
            "--incidents": incidents, "--changes": changes}


def per_document(files: dict[str, Path]) -> list[tuple[str, float, int]]:
    """(document, seconds, bytes) of one in-process build of every document."""
    from govcloud.deliverables.catalog import load_map
    from govcloud.deliverables.inputs import gather
    from govcloud.deliverables.package import build_all
    from govcloud.ledger import contracted
    from govcloud.tenancy.config import load_stack_settings

    contract = contracted(load_stack_settings("prod")).contract
    inp, _ = gather(contract, "prod", MONTH, evidence=files["--evidence"], state=files["--state"],
                    sla_report=files["--sla-report"], incidents=files["--incidents"], changes=files["--changes"])
    out = []
    for entry in load_map(contract).entries:
        t0 = time.perf_counter()
        (b,) = build_all(load_map(contract), inp, only=[entry.id])
        if b.document is not None:
            out.append((entry.name_zh, time.perf_counter() - t0, len(b.document.data)))
    return out


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def pages(package: Path, out: Path) -> None:
    """Page 2 of every PDF of ``package`` as ``out/<document>.png`` (``pdftoppm``, 60 dpi)."""
    out.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(package.glob("*.pdf")):
        stem = out / pdf.stem
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", "-singlefile", str(pdf), str(stem)],
                       check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pages", type=Path, metavar="DIR", help="also write each PDF's second page (its first after "
                    "the cover) as a PNG into DIR, for a person to look at")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="govcloud-bench-deliverables-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.monotonic()
        files = inputs(tmp)
        print(f"inputs (prod export, evidence of 200 hosts): {time.monotonic() - t0:.1f} s", file=sys.stderr)
        runs = []
        for i in range(args.repeat):
            out = tmp / f"package-{i}"
            cmd = [sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "prod", "--period", MONTH,
                   "--out", str(out)] + [str(x) for kv in files.items() for x in kv]
            runs.append(run_child(cmd))
            print(f"  run {i + 1}/{args.repeat}: {runs[-1][0]:.2f} s", file=sys.stderr)
        manifest = json.loads((tmp / "package-0" / "manifest.json").read_text(encoding="utf-8"))
        same = all((tmp / f"package-{i}" / "manifest.json").read_bytes()
                   == (tmp / "package-0" / "manifest.json").read_bytes() for i in range(args.repeat))
        rows = per_document(files)
        if args.pages:
            pages(tmp / "package-0", args.pages)
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    peak = max(r[2] for r in runs)
    print(f"govcloud deliverables build --stack prod --period {MONTH} (200 hosts, every input): "
          f"{len(manifest['documents'])} documents, {len(manifest['not_generated'])} not generated")
    print(f"  wall {wall:.2f} s, CPU {cpu:.2f} s, peak {peak:.0f} MiB (median of {args.repeat}; "
          f"manifests byte-identical across runs: {same})")
    print(f"  {pad('document', 40)} {'seconds':>8} {'bytes':>10}")
    for name, secs, size in rows:
        print(f"  {pad(name, 40)} {secs:8.2f} {size:10,}")
    print(f"  {pad('in process, all documents', 40)} {sum(r[1] for r in rows):8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
