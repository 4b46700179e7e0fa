"""A named runbook's parameters are declared once (govcloud.runbook.engine.params): the runbook file's
``params:`` list is held to the declaration, and the flags, the parameters a run records, the
resume rules and the values a resume takes from its run are derived from it."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from govcloud import cli
from govcloud.commands.runbook_exit import EXIT_PARAMS
from govcloud.commands.runbook_migrate import MIGRATE_IN_PARAMS, ROLLBACK_FILE, ROLLBACK_PARAMS
from govcloud.runbook.engine.errors import RunbookError
from govcloud.runbook.engine.journal import Journal
from govcloud.runbook.engine.loader import load_runbook, runbook_path
from govcloud.runbook.engine.params import (
    BadValue,
    Param,
    derive,
    first_start,
    or_param,
    param,
    resume_may_change,
    resumed_params,
    today_or,
)


def today() -> str:
    """Today as the defaults compute it, asked at the assertion (a module-level constant goes stale when a run
    crosses midnight)."""
    return date.today().isoformat()


COMMANDS = pytest.mark.parametrize("command, declared, runbook", [
    ("exit", EXIT_PARAMS, runbook_path("exit")),
    ("migrate-in", MIGRATE_IN_PARAMS, runbook_path("migrate-in")),
    ("rollback-in", ROLLBACK_PARAMS, ROLLBACK_FILE)], ids=["exit", "migrate-in", "rollback-in"])


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]


@COMMANDS
def test_the_runbook_file_lists_exactly_the_declared_parameters(command: str, declared: tuple[Param, ...],
                                                                 runbook: Path) -> None:
    names = [p.name for p in declared]
    assert len(set(names)) == len(names), names
    assert set(names) == set(load_runbook(runbook).params)


@COMMANDS
def test_each_declared_flag_is_an_option_of_the_command(command: str, declared: tuple[Param, ...],
                                                        runbook: Path) -> None:
    parser = _subcommand(_subcommand(cli.build_parser("govcloud.commands.runbook"), "runbook"), command)
    options = {a.dest: a.option_strings for a in parser._actions}
    for p in declared:
        if p.flag is not None:
            assert options[p.dest] == [p.flag]


def test_resume_may_change_comes_from_the_declaration() -> None:
    assert set(resume_may_change(EXIT_PARAMS)) == {"confirm", "acceptance", "bwlimit", "evidence_max_age"}
    assert resume_may_change(MIGRATE_IN_PARAMS) == ("evidence_max_age",)
    assert resume_may_change(ROLLBACK_PARAMS) == ()


# ------------------------------------------------------------------ the derivation, on a small declaration
SMALL = (
    param("system", "--system", required=True),
    param("on", "--on", type=date.fromisoformat, value=or_param("order_date", date.isoformat), from_resumed_run=True),
    param("order_date", "--order-date", type=date.fromisoformat, value=today_or, from_resumed_run=True),
    param("limit", "--limit", type=int, default=3, resume_may_change=True),
    param("tag", value=lambda _, v: f"{v['system']}@{v.run_dir.name}"),
)


def _small(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    for x in SMALL:
        if x.flag:
            p.add_argument(x.flag, **x.options)
    return p.parse_args(argv)


def _journal(run_dir: Path, runbook: str, **params: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    j = Journal(run_dir)
    j.append("run-start", runbook=runbook, params=params, resume=False)
    j.append("run-start", runbook=runbook, params={**params, "order_date": "1999-01-01"}, resume=True)
    j.close()


def test_defaults_may_name_parameters_declared_after_them(tmp_path: Path) -> None:
    out = derive(SMALL, _small("--system", "s1"), tmp_path / "run")
    assert out == {"system": "s1", "on": today(), "order_date": today(), "limit": "3", "tag": "s1@run"}
    assert list(out) == ["system", "on", "order_date", "limit", "tag"]  # declaration order
    out = derive(SMALL, _small("--system", "s1", "--order-date", "2025-09-26", "--limit", "5"), tmp_path / "run")
    assert (out["on"], out["order_date"], out["limit"]) == ("2025-09-26", "2025-09-26", "5")


def test_a_resume_takes_the_unspecified_dates_of_the_run_it_continues(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _journal(run_dir, "small", system="s1", on="2025-10-01", order_date="2025-09-26", limit="3")
    assert resumed_params(run_dir)["order_date"] == "2025-09-26"  # the first run-start, not a later attempt's
    assert first_start(run_dir)["runbook"] == "small"  # type: ignore[index]
    out = derive(SMALL, _small("--system", "s1"), run_dir, resume=True)
    assert (out["on"], out["order_date"]) == ("2025-10-01", "2025-09-26")
    # a value given wins; only the one left out comes from the run
    out = derive(SMALL, _small("--system", "s1", "--on", "2025-10-02"), run_dir, resume=True)
    assert (out["on"], out["order_date"]) == ("2025-10-02", "2025-09-26")
    # not a resume, or nothing to resume: today
    assert derive(SMALL, _small("--system", "s1"), run_dir)["order_date"] == today()
    assert derive(SMALL, _small("--system", "s1"), tmp_path / "none", resume=True)["order_date"] == today()
    # a parameter not marked keeps its own default on a resume
    assert derive(SMALL, _small("--system", "s1"), run_dir, resume=True)["limit"] == "3"


def test_a_refused_value_names_its_flag_and_a_circle_is_an_error(tmp_path: Path) -> None:
    def even(given: int, _v: object) -> str:
        if given % 2:
            raise BadValue(f"{given}: expected an even number")
        return str(given)

    decl = (param("n", "--n", type=int, default=2, value=even),)
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2)
    with pytest.raises(RunbookError, match=r"^--n 3: expected an even number$"):
        derive(decl, p.parse_args(["--n", "3"]), tmp_path)
    circle = (param("a", "--a", value=or_param("b")), param("b", "--b", value=or_param("a")))
    with pytest.raises(RunbookError, match="a -> b -> a"):
        derive(circle, argparse.Namespace(a=None, b=None), tmp_path)
    with pytest.raises(ValueError, match="needs a value function"):
        Param("computed")


# ------------------------------------------------------------------ the shipped commands
@pytest.fixture
def runbook_args(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GOVCLOUD_EVIDENCE_MAX_AGE", raising=False)
    parser = cli.build_parser("govcloud.commands.runbook")
    return lambda *argv: parser.parse_args(["runbook", *argv])


EXIT_ARGV = ("exit", "--stack", "lab", "--system", "litigation", "--target", "court-01", "--inventory", "inv.yml",
             "--evidence", "ev.json", "--database", "court_exit", "--volumes", "vols.yml", "--materials", "m.yml")


def test_exit_defaults(runbook_args, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    out = derive(EXIT_PARAMS, runbook_args(*EXIT_ARGV), run_dir)
    assert out == {
        "stack": "lab", "system": "litigation", "target": "court-01", "inventory": str(tmp_path / "inv.yml"),
        "evidence": str(tmp_path / "ev.json"), "evidence_max_age": "24", "database": "court_exit",
        "volumes": str(tmp_path / "vols.yml"), "acceptance": str(run_dir / "court" / "exit-acceptance.json"),
        "confirm": "", "materials": str(tmp_path / "m.yml"), "source": "lab-app-01", "db_source": "lab-db-01",
        "db_target": "court-01", "source_path": "/srv/data", "target_path": "/srv/data", "target_units": "",
        "old_units": "lab-db-01=postgresql", "old_hosts": "lab-db-01", "state": "stack/state.json",
        "trigger": "ordered", "on": today(), "notice": "", "order_date": today(), "stable_samples": "2",
        "stable_interval": "5.0", "bwlimit": "0"}
    out = derive(EXIT_PARAMS, runbook_args(*EXIT_ARGV, "--order-date", "2025-09-26", "--notice", "2025-09-30",
                                           "--db-target", "court-db", "--old-unit", "lab-app-01=court.service",
                                           "--old-unit", "lab-db-01=postgresql", "--target-unit", "a", "--target-unit",
                                           "b", "--state", "export.json", "--evidence-max-age", "1.5"), run_dir)
    assert (out["on"], out["order_date"], out["notice"]) == ("2025-09-26", "2025-09-26", "2025-09-30")
    assert out["db_target"] == "court-db" and out["target_units"] == "a,b"
    assert out["old_units"] == "lab-app-01=court.service,lab-db-01=postgresql"
    assert out["old_hosts"] == "lab-app-01,lab-db-01"
    assert out["state"] == str(tmp_path / "export.json") and out["evidence_max_age"] == "1.5"


def test_exit_refuses_a_bad_old_unit_naming_the_flag(runbook_args, tmp_path: Path) -> None:
    with pytest.raises(RunbookError) as exc:
        derive(EXIT_PARAMS, runbook_args(*EXIT_ARGV, "--old-unit", "lab-app-01=x", "--old-unit", "postgresql"), tmp_path)
    assert str(exc.value) == "--old-unit 'postgresql': expected HOST=UNIT (e.g. lab-db-01=postgresql)"


def test_exit_resume_takes_the_dates_of_the_run(runbook_args, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _journal(run_dir, "exit", order_date="2025-09-26", on="2025-10-01")
    out = derive(EXIT_PARAMS, runbook_args(*EXIT_ARGV, "--resume"), run_dir, resume=True)
    assert (out["order_date"], out["on"]) == ("2025-09-26", "2025-10-01")
    out = derive(EXIT_PARAMS, runbook_args(*EXIT_ARGV, "--resume", "--on", "2025-10-05"), run_dir, resume=True)
    assert (out["order_date"], out["on"]) == ("2025-09-26", "2025-10-05")


def test_migrate_in_defaults_and_resume(runbook_args, tmp_path: Path) -> None:
    argv = ("migrate-in", "--stack", "lab", "--system", "litigation", "--source", "old-app-01", "--inventory", "inv.yml",
            "--evidence", "ev.json", "--database", "court")
    run_dir = tmp_path / "run"
    out = derive(MIGRATE_IN_PARAMS, runbook_args(*argv), run_dir)
    assert (out["target"], out["db_source"], out["db_target"]) == ("lab-app-01", "old-app-01", "lab-db-01")
    assert (out["order_date"], out["scan_max_warnings"], out["scan_min_index"], out["bwlimit"]) == (today(), "0", "70", "0")
    assert (out["source_services"], out["target_services"], out["evidence_max_age"]) == ("", "", "24")
    assert derive(MIGRATE_IN_PARAMS, runbook_args(*argv, "--target-role", "db"), run_dir)["target"] == "lab-db-01"
    with pytest.raises(RunbookError, match="stack lab has no web host for system litigation"):
        derive(MIGRATE_IN_PARAMS, runbook_args(*argv, "--target-role", "web"), run_dir)
    _journal(run_dir, "migrate-in", order_date="2025-09-26")
    assert derive(MIGRATE_IN_PARAMS, runbook_args(*argv), run_dir, resume=True)["order_date"] == "2025-09-26"
    given = runbook_args(*argv, "--order-date", "2025-09-29")
    assert derive(MIGRATE_IN_PARAMS, given, run_dir, resume=True)["order_date"] == "2025-09-29"


def test_rollback_takes_system_and_inventory_from_the_migration(runbook_args, tmp_path: Path) -> None:
    mig = tmp_path / "mig"
    _journal(mig, "migrate-in", system="litigation", inventory="/lab/inventory.yml")
    out = derive(ROLLBACK_PARAMS, runbook_args("rollback-in", "--migration-run", str(mig)), mig / "rollback")
    assert out == {"migration_run": str(mig), "system": "litigation", "inventory": "/lab/inventory.yml"}
    other = tmp_path / "other"
    _journal(other, "exit", system="litigation", inventory="/lab/inventory.yml")
    with pytest.raises(RunbookError, match="not a migrate-in run"):
        derive(ROLLBACK_PARAMS, runbook_args("rollback-in", "--migration-run", str(other)), other / "rollback")
