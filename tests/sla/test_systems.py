"""The systems file (govcloud/sla/systems.py, schemas/sla-systems.schema.json): read through its schema, semantic
errors naming file and field, and the starting file derived from a stack's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.sla.systems import load_systems, systems_from_stack

from .recordkit import contract, write

GOOD = """
kind: govcloud/sla-systems
version: 1
stack: lab
interval_seconds: 30
open_after: 3
systems:
  - id: litigation
    name_zh: 诉讼服务
    important: true
    down_when: any-critical
    probes:
      - {id: lab-app-01-http, module: http_2xx, target: "http://10.231.0.36:80/", host: lab-app-01, critical: true}
      - {id: lab-db-01-pg, module: tcp_connect, target: "10.231.0.20:5432", host: lab-db-01, critical: true}
      - {id: lab-app-01-ssh, module: ssh_banner, target: "10.231.0.36:22", host: lab-app-01, critical: false, job: ssh}
  - id: platform
    name_zh: 公共支撑
    important: false
    down_when: all-probes
    probes:
      - {id: lab-log-01-ssh, module: ssh_banner, target: "10.231.0.68:22", critical: false}
"""


def test_a_systems_file_is_read_into_the_model(tmp_path: Path) -> None:
    s = load_systems(write(tmp_path, "systems.yaml", GOOD))
    assert s.ids == ("litigation", "platform")
    assert (s.interval_ms, s.open_after, s.job, s.metric, s.stack) == (30_000, 3, "blackbox", "probe_success", "lab")
    lit = s.system("litigation")
    assert lit.important and [p.id for p in lit.critical] == ["lab-app-01-http", "lab-db-01-pg"]
    assert [p.job for p in lit.probes] == ["blackbox", "blackbox", "ssh"]
    assert s.system_of("lab-log-01-ssh").id == "platform"


def test_defaults(tmp_path: Path) -> None:
    text = GOOD.replace("interval_seconds: 30\n", "").replace("open_after: 3\n", "")
    s = load_systems(write(tmp_path, "systems.yaml", text))
    assert (s.interval_seconds, s.open_after) == (15, 2)


@pytest.mark.parametrize("edit, field, expected", [
    (lambda t: t.replace("id: lab-db-01-pg", "id: lab-app-01-http"), "systems[0].probes[1].id",
     "expected a unique probe id; 'lab-app-01-http' is also systems[0].probes[0]"),
    (lambda t: t.replace('target: "10.231.0.68:22"', 'target: "http://10.231.0.36:80/"'),
     "systems[1].probes[0].target", "expected each target once per job"),
    (lambda t: t.replace("critical: true}", "critical: false}"), "systems[0].probes",
     "expected at least one probe with critical: true, since down_when is any-critical"),
    (lambda t: t.replace("id: platform", "id: litigation"), "systems[1].id", "expected a unique system id"),
    (lambda t: t.replace("down_when: all-probes", "down_when: majority"), "systems[1].down_when",
     "expected one of any-critical, all-probes"),
    (lambda t: t.replace("    important: false\n", ""), "systems[1].important", "missing required field 'important'"),
    (lambda t: t.replace("interval_seconds: 30", "interval_seconds: 0"), "interval_seconds", "expected a number >= 1"),
])
def test_errors_name_file_field_and_what_was_expected(tmp_path: Path, edit, field: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "systems.yaml", edit(GOOD))
    with pytest.raises(InputError) as exc:
        load_systems(path)
    issue = exc.value.issues[0]
    assert (issue.file, issue.path) == (str(path), field)
    assert expected in issue.expected
    assert issue.line is not None


def test_a_probe_target_may_repeat_under_another_job(tmp_path: Path) -> None:
    text = GOOD.replace('target: "10.231.0.68:22", critical: false}', 'target: "10.231.0.36:22", critical: false}')
    with pytest.raises(InputError, match="once per job"):
        load_systems(write(tmp_path, "a.yaml", text.replace(", job: ssh}", "}")))
    assert len(load_systems(write(tmp_path, "b.yaml", text)).probes) == 4  # lab-app-01-ssh is job ssh


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="govcloud sla systems --stack NAME"):
        load_systems(tmp_path / "none.yaml")


def test_the_lab_stack_gives_a_valid_starting_file(tmp_path: Path) -> None:
    derived = systems_from_stack("lab", contract=contract())
    path = tmp_path / "lab-systems.yaml"
    path.write_text(derived.yaml(), encoding="utf-8")
    s = load_systems(path)  # the derived file passes its own schema and checks
    assert s.ids == ("litigation", "platform")
    lit, plat = s.system("litigation"), s.system("platform")
    assert lit.name_zh == "诉讼服务" and lit.down_when == "any-critical" and not lit.important
    assert {p.id: (p.module, p.target, p.critical) for p in lit.probes} == {
        "lab-app-01-http": ("http_2xx", "http://10.231.0.36:80/", True),
        "lab-app-01-ssh": ("ssh_banner", "10.231.0.36:22", False),
        "lab-app-02-http": ("http_2xx", "http://10.231.0.37:80/", True),
        "lab-app-02-ssh": ("ssh_banner", "10.231.0.37:22", False),
        "lab-db-01-pg": ("tcp_connect", "10.231.0.20:5432", True),
        "lab-db-01-ssh": ("ssh_banner", "10.231.0.20:22", False)}
    assert plat.down_when == "all-probes" and [p.id for p in plat.probes] == ["lab-log-01-ssh"]  # no critical probe
    text = path.read_text(encoding="utf-8")
    assert "no host of this stack serves 审判信息网网上公开, 在线庭审" in text  # article 1's systems the lab lacks


def test_the_prod_stack_names_the_systems_of_article_1() -> None:
    doc = systems_from_stack("prod", contract=contract()).document
    names = {s["id"]: s["name_zh"] for s in doc["systems"]}
    assert {names["hearing"], names["litigation"], names["disclosure"]} == {"在线庭审", "诉讼服务", "审判信息网网上公开"}
