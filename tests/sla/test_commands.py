"""``govcloud sla systems|rules`` as a user runs them: the derived systems file loads through its own
schema, the rules file passes real ``promtool check rules``, a bad systems file is one line (exit 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.sla.systems import load_systems

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVCLOUD, *args], cwd=ROOT, capture_output=True, text=True)


def test_systems_from_the_lab_stack_load_and_cover_every_host(tmp_path: Path) -> None:
    out = tmp_path / "systems.yaml"
    r = _run("sla", "systems", "--stack", "lab", "--interval", "30", "--output", str(out))
    assert r.returncode == 0, r.stderr
    systems = load_systems(out)
    hosts = load_stack_hosts(stack_outputs_file("lab"))
    assert systems.interval_ms == 30_000
    assert {p.host for p in systems.probes} == {h.name for h in hosts}
    assert set(systems.ids) == {h.system for h in hosts}
    for h in hosts:  # every host answers SSH; app hosts HTTP, database hosts PostgreSQL, both critical
        mine = {p.module: p for p in systems.probes if p.host == h.name}
        assert mine["ssh_banner"].target == f"{h.address}:22" and not mine["ssh_banner"].critical
        if h.role == "db":
            assert mine["tcp_connect"].target == f"{h.address}:5432" and mine["tcp_connect"].critical
    assert out.read_text(encoding="utf-8").startswith("# govcloud sla systems --stack lab")


def test_rules_pass_promtool_and_a_bad_systems_file_is_one_line(tmp_path: Path) -> None:
    systems, rules = tmp_path / "systems.yaml", tmp_path / "rules.yml"
    assert _run("sla", "systems", "--stack", "lab", "--output", str(systems)).returncode == 0
    r = _run("sla", "rules", "--systems", str(systems), "--stack", "lab", "--output", str(rules))
    assert r.returncode == 0, r.stderr
    check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    text = rules.read_text(encoding="utf-8")
    assert "contract 2025095" in text and "lab-db-01" in text

    systems.write_text(systems.read_text(encoding="utf-8").replace("interval_seconds: 15", "interval_seconds: fast"),
                       encoding="utf-8")
    bad = _run("sla", "rules", "--systems", str(systems), "--output", str(tmp_path / "again.yml"))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr and str(systems) in bad.stderr and "interval_seconds" in bad.stderr
    assert not (tmp_path / "again.yml").exists()
