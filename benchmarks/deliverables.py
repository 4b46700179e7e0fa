"""Benchmark ``govcloud deliverables build`` (issue 16): the full acceptance package of the prod stack (200 hosts)
for one month, every input given.

Inputs: prod's export (``govcloud plan --stack prod --export-state``, given as both ``--state`` and ``--declared``:
the program's plan deployed as declared); harden evidence for every prod host (the
entry of lab-app-01 from the recorded real run in tests/runbook/data/harden-evidence.json, one per host name, as
benchmarks/check.py builds it); the recorded real SLA report of 2026-03 (tests/deliverables/data/); the SLA
tests' incident and change records (tests/sla/recordkit.py). Prints, per ``--repeat`` run of the command from
process start: wall and CPU seconds and peak memory; then, from one in-process build, each document's build time
and size. Target (issue 16): seconds, not minutes.

``--scans``: also the scan reports of the fleet (``--scans DIR``): 200 hosts x 4 scans, each host's folder the four
real scans of lab-app-01 (tests/deliverables/data/vuln-scan.tar.xz: lynis .dat/.log, two ~14 MiB ARFs a scan) hard
linked under the prod host names; prints the reader's time (every file read and digested, the TestResults parsed) and
one ``--only security-test`` build with them. Hard links share the page cache: a real fleet's files also cost disk.

``--pages DIR``: also a page of each document as a person sees it, ``DIR/<document>.png``: a PDF's second page (its
first after the cover), and a workbook's first page as LibreOffice prints its first sheet (``soffice --headless`` to
PDF: Debian package libreoffice-calc-nogui, deps/apt-docs.txt; the tests do not need it), each workbook's conversion
time printed.

    .venv/bin/python benchmarks/deliverables.py [--repeat 3] [--scans] [--pages docs/deliverables]
"""

from __future__ import annotations

import argparse
import json
import shutil
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
SOFFICE_PACKAGE = "libreoffice-calc-nogui"  # deps/apt-docs.txt
#: LibreOffice's PDF export of the first page only (a 150-page workbook converts in seconds, not a minute)
FIRST_PAGE = 'pdf:calc_pdf_Export:{"PageRange":{"type":"string","value":"1"}}'
PDF_DPI, WORKBOOK_DPI = 60, 130  # a workbook's page is fitted to its width: its text is smaller than a PDF's


def inputs(tmp: Path) -> dict[str, Path]:
    doc = prod_export(tmp)
    evidence = tmp / "evidence.json"
    evidence.write_text(json.dumps(evidence_for(doc)), encoding="utf-8")
    incidents, changes = tmp / "incidents.yaml", tmp / "changes.yaml"
    incidents.write_text(textwrap.dedent(CARRIER_INCIDENTS).lstrip(), encoding="utf-8")
    changes.write_text(textwrap.dedent(maint_changes()).lstrip(), encoding="utf-8")
    return {"--state": tmp / "prod-export.json", "--declared": tmp / "prod-export.json", "--evidence": evidence,
            "--sla-report": SLA_REPORT,
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
                    declared=files["--declared"], sla_report=files["--sla-report"], incidents=files["--incidents"],
                    changes=files["--changes"])
    out = []
    for entry in load_map(contract).entries:
        t0 = time.perf_counter()
        (b,) = build_all(load_map(contract), inp, only=[entry.id])
        if b.document is not None:
            out.append((entry.name_zh, time.perf_counter() - t0, len(b.document.data)))
    return out


def scan_fleet(tmp: Path) -> Path:
    """The --scans folder of the prod fleet: lab-app-01's four real scans under every prod host's name."""
    from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
    from tests.deliverables.scans import unpack

    sample = unpack(tmp / "sample") / "lab-app-01"
    fleet = tmp / "vuln-scan"
    for host in load_stack_hosts(stack_outputs_file("prod")):
        (fleet / host.name).mkdir(parents=True)
        for f in sample.iterdir():
            (fleet / host.name / f.name).hardlink_to(f)
    return fleet


def scans_benchmark(tmp: Path, files: dict[str, Path]) -> None:
    """The reader over 200 hosts x 4 scans, then the security report built with them through the CLI."""
    from govcloud.hosts.scan_reports import load_scan_reports

    fleet = scan_fleet(tmp)
    t0, c0 = time.perf_counter(), time.process_time()
    got = load_scan_reports(fleet)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    scans = sum(len(h.scans) for h in got.hosts.values())
    size = sum(p.stat().st_size for p in fleet.rglob("*") if p.is_file())
    print(f"scan reports: {len(got.hosts)} hosts, {scans} scans, {got.files:,} files, {size / 2**30:.1f} GiB: "
          f"read in {wall:.1f} s wall, {cpu:.1f} s CPU ({wall / max(scans, 1) * 1000:.0f} ms a scan)")
    cmd = [sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "prod", "--period", MONTH,
           "--out", str(tmp / "package-scans"), "--evidence", str(files["--evidence"]), "--scans", str(fleet),
           "--only", "security-test"]
    run = run_child(cmd)
    print(f"  deliverables build --only security-test --scans: wall {run[0]:.1f} s, CPU {run[1]:.1f} s, "
          f"peak {run[2]:.0f} MiB")


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def soffice() -> str:
    """LibreOffice's ``soffice``, or exit with one line naming the Debian package."""
    found = shutil.which("soffice")
    if found is None:
        raise SystemExit(f"benchmarks/deliverables.py --pages: soffice not found: install the Debian package "
                         f"{SOFFICE_PACKAGE} (deps/apt-docs.txt) to draw the workbooks' pages")
    return found


def _png(pdf: Path, page: int, dpi: int, stem: Path) -> None:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True, timeout=120)


def _trim(png: Path, margin: int = 16) -> None:
    """The page cut to what is printed on it (a short, wide sheet leaves most of a landscape page blank)."""
    from PIL import Image, ImageOps

    with Image.open(png) as im:
        box = ImageOps.invert(im.convert("L")).getbbox()
        if box is not None:
            left, top, right, bottom = box
            im.crop((max(0, left - margin), max(0, top - margin), min(im.width, right + margin),
                     min(im.height, bottom + margin))).save(png, optimize=True)


def pages(package: Path, out: Path, office: str) -> list[tuple[str, float]]:
    """Page 2 of every PDF of ``package`` and page 1 of every workbook (as LibreOffice prints its first sheet) as
    ``out/<document>.png``; each workbook's conversion seconds (``soffice`` start included)."""
    out.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(package.glob("*.pdf")):
        _png(pdf, 2, PDF_DPI, out / pdf.stem)
    took = []
    with tempfile.TemporaryDirectory(prefix="govcloud-pages-") as tmp_name:
        tmp = Path(tmp_name)
        profile = f"-env:UserInstallation={(tmp / 'profile').as_uri()}"  # its own profile: no ~/.config, no lock
        for xlsx in sorted(package.glob("*.xlsx")):
            t0 = time.monotonic()
            subprocess.run([office, profile, "--headless", "--convert-to", FIRST_PAGE, "--outdir", str(tmp),
                            str(xlsx)], check=True, capture_output=True, timeout=600)
            _png(tmp / f"{xlsx.stem}.pdf", 1, WORKBOOK_DPI, out / xlsx.stem)
            _trim(out / f"{xlsx.stem}.png")
            took.append((xlsx.stem, time.monotonic() - t0))
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scans", action="store_true", help="also the fleet's scan reports (200 hosts x 4 scans)")
    ap.add_argument("--pages", type=Path, metavar="DIR", help="also write each PDF's second page (its first after "
                    "the cover) and each workbook's first page (LibreOffice) as a PNG into DIR, for a person to see")
    args = ap.parse_args()
    office = soffice() if args.pages else ""  # before minutes of building, not after
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
        converted = pages(tmp / "package-0", args.pages, office) if args.pages else []
        if args.scans:
            scans_benchmark(tmp, files)
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
    if converted:
        print(f"  workbooks' first pages (soffice --headless to PDF, then pdftoppm) into {args.pages}:")
        for name, secs in converted:
            print(f"  {pad(name, 52)} {secs:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
