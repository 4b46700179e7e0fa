"""The real scan reports of ``data/vuln-scan.tar.xz`` (data/README.md says how they were made), unpacked for a test."""

from __future__ import annotations

import tarfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "data" / "vuln-scan.tar.xz"
#: what the sample holds: per host the days of its scans (the schedule's planned days; lab-db-01 missed 2025-12-15)
SCANNED = {"lab-app-01": ("2025-06-15", "2025-09-15", "2025-12-15", "2026-03-15"),
           "lab-db-01": ("2025-06-15", "2025-09-15", "2026-03-15")}
PROFILES = ("anssi_bp28_minimal", "standard")


def unpack(folder: Path) -> Path:
    """``folder/vuln-scan``: one folder per host, as the vuln_scan role fetched them."""
    with tarfile.open(SAMPLE, "r:xz") as tar:
        tar.extractall(folder, filter="data")
    return folder / "vuln-scan"
