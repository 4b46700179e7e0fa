"""argparse types shared by the sub-commands: dates and the files a command writes."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def parse_date(text: str) -> date:
    """argparse type for YYYY-MM-DD dates."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def output_file(text: str) -> Path:
    """argparse type for a file a command writes (``--output``, ``--export-state`` …): not a directory,
    so the error comes before any work, not as a traceback after it (missing folders are made)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a file to write, got the directory {text}")
    if any(p.exists() and not p.is_dir() for p in path.parents):
        raise argparse.ArgumentTypeError(f"expected a file to write under a folder, got {text}: "
                                         f"{next(p for p in path.parents if p.exists() and not p.is_dir())} is a file")
    return path


#: every output format a command may offer, declared once with what it is for
FORMATS: dict[str, str] = {
    "table": "a table for a terminal",
    "text": "plain text",
    "json": "JSON for machines (its schema is under schemas/)",
    "junit": "JUnit XML for a CI system's test report",
    "markdown": "Markdown for a merge request's comment",
    "ics": "iCalendar for a calendar",
}


def add_format(parser: argparse.ArgumentParser, *choices: str, default: str | None = None) -> None:
    """``--format`` with ``choices`` (the first is the default unless ``default``), each one of FORMATS."""
    unknown = [c for c in choices if c not in FORMATS]
    if unknown or not choices:
        raise ValueError(f"--format choices must be among {', '.join(FORMATS)}; got {', '.join(unknown) or 'none'}")
    default = default or choices[0]
    parser.add_argument("--format", choices=choices, default=default,
                        help="; ".join(f"{c}: {FORMATS[c]}" for c in choices) + f" (default {default})")
