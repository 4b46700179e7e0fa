"""The harden evidence document: validate, write, load, and answer the host checks' questions.

`Evidence` implements the `HostEvidence` protocol of govcloud.checks.hosts (has_host, addon_state,
failed_controls, measured_controls, mapped_controls): it answers what the evidence says, and the
registered host checks judge it, for `govcloud check --evidence` and `govcloud verify-hosts` alike.

Before a runbook relies on evidence (the article-24 gate of migrate-in, the exit's handover package)
it asks two questions, here and nowhere else: is it about the hosts of this run
(`Evidence.require_hosts`) and is it recent enough (`Evidence.require_fresh`, the age of
``run.finished``; limit `evidence_max_age`: ``--evidence-max-age HOURS``, else
``$GOVCLOUD_EVIDENCE_MAX_AGE``, else 24 h). Each refusal is one `InputError` line naming the file,
the field and what was expected.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from govcloud.errors import InputError, Issue
from govcloud.jsondoc import json_issues, load_json
from govcloud.schemas import check_output
from govcloud.yamldoc import format_path

from .addons import AddonState

SCHEMA = "harden-evidence.schema.json"
VERSION = 2
#: how old harden evidence may be when a runbook relies on it, unless told otherwise
DEFAULT_MAX_AGE_HOURS = 24.0
MAX_AGE_ENV = "GOVCLOUD_EVIDENCE_MAX_AGE"
#: a run that finished this far "in the future" is a clock problem, not evidence
CLOCK_SKEW = timedelta(minutes=5)


def evidence_max_age(hours: float | str | None = None) -> timedelta:
    """The age limit: ``hours`` (the CLI's ``--evidence-max-age``) if given, else the environment
    variable GOVCLOUD_EVIDENCE_MAX_AGE, else 24 h. A value that is not a number of hours > 0 is an
    InputError naming where it came from."""
    where, name = "command line", "--evidence-max-age"
    if hours is None or hours == "":
        hours, where, name = os.environ.get(MAX_AGE_ENV, ""), "environment", MAX_AGE_ENV
        if hours == "":
            return timedelta(hours=DEFAULT_MAX_AGE_HOURS)
    try:
        value = float(hours)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 24 * 366):
        raise InputError.one(where, name, f"expected a number of hours > 0 (at most a year), got {hours!r}")
    return timedelta(hours=value)


def parse_max_age(text: str) -> float:
    """argparse ``type=`` for --evidence-max-age: hours > 0 (the error names the option)."""
    import argparse

    try:
        return evidence_max_age(text).total_seconds() / 3600
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.issues[0].expected) from None


def _hours(d: timedelta) -> str:
    h = d.total_seconds() / 3600
    return f"{h:.0f} h" if abs(h - round(h)) < 0.05 else f"{h:.1f} h"


def write_evidence(doc: dict, path: Path) -> Path:
    """Validate against schemas/harden-evidence.schema.json, then write (atomically)."""
    check_output(doc, SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class Evidence:
    """A loaded, schema-valid evidence document."""

    path: Path
    doc: dict

    @classmethod
    def load(cls, path: Path) -> "Evidence":
        """Read and schema-check an evidence file; errors name the file and the JSON path or position.

        Every host's controls must be controls of the file's own ``control_map.controls``, which says
        what each one is (line item, clause)."""
        doc = load_json(path)
        if isinstance(doc, dict) and doc.get("kind") == "govcloud/harden-evidence" and doc.get("version") != VERSION:
            raise InputError.one(path, "version", f"expected evidence version {VERSION}, got {doc.get('version')!r}: "
                                                  "re-run `govcloud harden` (add --check to change nothing) to write it")
        issues = json_issues(path, doc, SCHEMA)
        if not issues:
            issues = _unknown_controls(path, doc)
        if issues:
            raise InputError(issues[:20])
        return cls(path, doc)

    @property
    def hosts(self) -> dict[str, dict]:
        return self.doc["hosts"]

    @property
    def mode(self) -> str:
        return self.doc["run"]["mode"]

    @property
    def controls(self) -> dict[str, dict]:
        """What each control is (line item, clause, title, status, kernel-bound), as the run's control map said."""
        return self.doc["control_map"]["controls"]

    # --- identity and age: may a runbook rely on this evidence?
    @property
    def finished(self) -> datetime:
        """When the harden run ended (``run.finished``): the evidence play is its last play, so this
        is when the hosts were last looked at."""
        raw = self.doc["run"]["finished"]
        try:
            t = datetime.fromisoformat(raw)
        except ValueError:
            t = None
        if t is None or t.tzinfo is None:
            raise InputError.one(self.path, "run.finished", f"expected a date and time with its UTC offset "
                                                            f"(e.g. 2026-12-04T09:30:00+0800), got {raw!r}")
        return t

    def require_fresh(self, max_age: timedelta, now: datetime | None = None) -> None:
        """Refuse evidence whose run finished more than ``max_age`` before ``now`` (or in the future)."""
        now = now or datetime.now(timezone.utc)
        finished = self.finished
        age = now - finished
        if age > max_age:
            raise InputError.one(self.path, "run.finished", (
                f"expected a harden run that finished at most {_hours(max_age)} ago (after "
                f"{(now - max_age).astimezone(finished.tzinfo).isoformat(timespec='seconds')}), got "
                f"{self.doc['run']['finished']}, {_hours(age)} ago: run `govcloud harden` again, or set the "
                f"limit with --evidence-max-age HOURS / ${MAX_AGE_ENV}"))
        if age < -CLOCK_SKEW:
            raise InputError.one(self.path, "run.finished", (
                f"expected a harden run that finished before now ({now.isoformat(timespec='seconds')}), got "
                f"{self.doc['run']['finished']}, {_hours(-age)} in the future: check the clocks"))

    def require_hosts(self, required: Iterable[str], *, known: Collection[str] | None = None,
                      known_from: str = "the inventory", why: str = "") -> None:
        """Refuse evidence that lacks a host of ``required`` (the hosts the run relies on; ``why`` says
        what they are) or names a host outside ``known`` (the hosts of the inventory the run uses:
        evidence of another tenancy or lab). Missing hosts are reported first."""
        names = sorted(self.hosts)
        missing = sorted(set(required) - set(names))
        if missing:
            raise InputError.one(self.path, format_path(("hosts", missing[0])), (
                f"expected harden evidence of {', '.join(missing)}{f' ({why})' if why else ''}, got hosts "
                f"{', '.join(names) or 'none'}: run `govcloud harden` on {'them' if len(missing) > 1 else 'it'}"))
        if known is not None:
            foreign = [n for n in names if n not in known]
            if foreign:
                raise InputError.one(self.path, format_path(("hosts", foreign[0])), (
                    f"expected only hosts of {known_from} ({', '.join(sorted(known)) or 'none'}), got "
                    f"{', '.join(foreign)} too: evidence of other hosts is not this run's; narrow a wider run "
                    f"with `govcloud harden --limit`"))

    # --- govcloud.checks.hosts.HostEvidence
    def has_host(self, name: str) -> bool:
        return name in self.hosts

    def addon_state(self, host: str, addon: str) -> AddonState:
        h = self.hosts.get(host)
        if h is None:
            return AddonState(None, None, "host not in the evidence")
        st = h["addon_state"].get(addon)
        if st is None:
            return AddonState(None, None, f"{addon} not measured: the host's add-ons were {h['addons']}")
        return AddonState(st["installed"], st["active"], st["detail"])

    def failed_controls(self, host: str) -> list[tuple[str, str, str]]:
        h = self.hosts.get(host, {})
        info = self.controls
        return [(cid, info[cid]["line_item"], c["reason"]) for cid, c in h.get("controls", {}).items()
                if c["result"] == "fail"]

    def measured_controls(self, host: str) -> Collection[str]:
        """The control ids the evidence has a result for on ``host`` (any result, ``not_run`` included)."""
        return self.hosts.get(host, {}).get("controls", {}).keys()

    def mapped_controls(self) -> dict[str, str]:
        """Control id -> line item, as the run's own control map said (``control_map.controls``)."""
        return {cid: c["line_item"] for cid, c in self.controls.items()}


def _unknown_controls(path: Path, doc: dict) -> list[Issue]:
    """Host controls missing from ``control_map.controls`` (the schema cannot relate the two)."""
    known = doc["control_map"]["controls"].keys()
    issues = []
    for name, h in doc["hosts"].items():
        for cid in h["controls"].keys() - known:
            issues.append(Issue(str(path), format_path(("hosts", name, "controls", cid)),
                                f"expected a control listed in control_map.controls, got {cid!r}"))
    return issues


def load_evidence(path: Path) -> Evidence:
    return Evidence.load(path)


def evidence_for_run(path: Path, *, required: Iterable[str], why: str, known: Collection[str] | None,
                     known_from: str, max_age: timedelta | None, now: datetime | None = None) -> Evidence:
    """Load evidence a runbook is about to rely on and refuse it unless it covers ``required``, names
    no host outside ``known`` and (``max_age`` given) is fresh. The one place the runbooks ask."""
    ev = Evidence.load(path)
    ev.require_hosts(required, known=known, known_from=known_from, why=why)
    if max_age is not None:
        ev.require_fresh(max_age, now)
    return ev
