"""The Prometheus rules generated from the contract and a systems file (govcloud/sla/promrules.py), held to the
real promtool (Prometheus 2.42): ``promtool check rules`` with every lint, and ``promtool test rules`` on
synthetic probe series: the page 1 minute after a system goes down (well inside article 9's 15 minutes), the
article 10 isolation alert at 10 minutes for an important system, the share of systems down and the annex 3 A
and B bands at 2 hours, unknown time when a probe has no samples. A broken rule fails both."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govcloud.sla.promrules import page_after_seconds, render, rules, systems_spec

from .recordkit import contract

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
JOB = 'job="blackbox"'

SYSTEMS = {
    "interval_seconds": 15, "open_after": 2,
    "systems": [
        {"id": "litigation", "important": True, "down_when": "any-critical", "probes": [
            {"id": "lab-app-01-http", "module": "http_2xx", "target": "http://10.231.0.20:80/", "critical": True},
            {"id": "lab-db-01-pg", "module": "tcp_connect", "target": "10.231.0.30:5432", "critical": True},
            {"id": "lab-app-01-ssh", "module": "ssh_banner", "target": "10.231.0.20:22", "critical": False}]},
        {"id": "public", "important": False, "down_when": "all-probes", "probes": [
            {"id": "web-http", "target": 'http://10.231.0.21/health?x="1"', "critical": True},
            {"id": "web-ssh", "target": "10.231.0.21:22", "critical": False}]},
        {"id": "trial", "important": True, "probes": [{"id": "trial-http", "target": "http://10.231.0.22/",
                                                       "critical": True}]},
        {"id": "archive", "probes": [{"id": "archive-http", "target": "http://10.231.0.23/", "critical": True}]},
        {"id": "office", "probes": [{"id": "office-http", "target": "http://10.231.0.24/", "critical": True}]},
    ],
}
TARGETS = {"lab-app-01-http": "http://10.231.0.20:80/", "lab-db-01-pg": "10.231.0.30:5432",
           "lab-app-01-ssh": "10.231.0.20:22", "web-http": 'http://10.231.0.21/health?x=\\"1\\"',
           "web-ssh": "10.231.0.21:22", "trial-http": "http://10.231.0.22/", "archive-http": "http://10.231.0.23/",
           "office-http": "http://10.231.0.24/"}
BASE = {"contract": "2025095"}


def series(values: dict[str, str], default: str) -> list[dict[str, str]]:
    """probe_success of every probe: ``values`` for some, ``default`` for the rest; a probe mapped to None has
    no series at all."""
    return [{"series": f'probe_success{{{JOB},instance="{target}"}}', "values": values.get(probe, default)}
            for probe, target in TARGETS.items() if values.get(probe, default) is not None]


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "rules.yml").write_text(render(contract(), SYSTEMS), encoding="utf-8")
    return tmp_path


def unit_tests() -> dict:
    """The promtool unit tests, every expected value written out by hand."""
    down_page = {
        "exp_labels": {**BASE, "severity": "critical", "clause": "article-9", "system": "litigation",
                       "important": "true"},
        "exp_annotations": {
            "summary": "litigation is down",
            "description": "litigation (an important system) has been down for 1m (its probes, down_when "
                           "any-critical).",
            "deadline": "article 9: respond within 15m of detection, on site within 2h; article 10: locate and clear "
                        "within 10m"}}
    overdue = {
        "exp_labels": {**BASE, "severity": "critical", "clause": "article-10", "system": "litigation",
                       "important": "true"},
        "exp_annotations": {
            "summary": "litigation still down after 10m",
            "description": "litigation (an important system) is still down 10 minutes on: article 10 allows 10 "
                           "minutes to locate and clear a fault."}}
    return {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {   # litigation's HTTP probe fails from 60 s to 660 s (41 samples), then recovers
                "name": "page and isolation",
                "interval": "15s",
                "input_series": series({"lab-app-01-http": "1x3 0x40 1x20", "web-ssh": "0x64"}, "1x64"),
                "alert_rule_test": [
                    {"eval_time": "1m45s", "alertname": "GovcloudSystemDown", "exp_alerts": []},
                    {"eval_time": "2m", "alertname": "GovcloudSystemDown", "exp_alerts": [down_page]},
                    {"eval_time": "10m45s", "alertname": "GovcloudIsolationOverdue", "exp_alerts": []},
                    {"eval_time": "11m", "alertname": "GovcloudIsolationOverdue", "exp_alerts": [overdue]},
                    {"eval_time": "11m15s", "alertname": "GovcloudSystemDown", "exp_alerts": []},
                ],
                "promql_expr_test": [
                    {"expr": "govcloud:system_up", "eval_time": "5m", "exp_samples": [
                        {"labels": 'govcloud:system_up{system="litigation",important="true"}', "value": 0},
                        # all-probes: its SSH probe fails, its HTTP probe answers: up
                        {"labels": 'govcloud:system_up{system="public",important="false"}', "value": 1},
                        {"labels": 'govcloud:system_up{system="trial",important="true"}', "value": 1},
                        {"labels": 'govcloud:system_up{system="archive",important="false"}', "value": 1},
                        {"labels": 'govcloud:system_up{system="office",important="false"}', "value": 1}]},
                    {"expr": "govcloud:systems_down:share", "eval_time": "5m",
                     "exp_samples": [{"labels": "govcloud:systems_down:share", "value": 0.2}]},
                    # 5 minutes after the failure began (60 s .. 360 s): the 21 samples from 60 s to 360 s are down
                    {"expr": 'govcloud:probe_up:ratio_5m{probe="lab-app-01-http"}', "eval_time": "6m",
                     "exp_samples": [{"labels": 'govcloud:probe_up:ratio_5m{job="blackbox",'
                                                'instance="http://10.231.0.20:80/",system="litigation",'
                                                'probe="lab-app-01-http",critical="true"}', "value": 0}]},
                ],
            },
            {   # one system of five (20%) down for 135 minutes: annex 3 B at 2 hours, never A
                "name": "annex 3 B",
                "interval": "15s",
                "input_series": series({"trial-http": "0x540"}, "1x540"),
                "alert_rule_test": [
                    {"eval_time": "119m45s", "alertname": "GovcloudAnnex3B", "exp_alerts": []},
                    {"eval_time": "120m", "alertname": "GovcloudAnnex3B", "exp_alerts": [{
                        "exp_labels": {**BASE, "severity": "critical", "clause": "article-54",
                                       "event": "outage-platform-10-30pct"},
                        "exp_annotations": {
                            "summary": "annex 3 B-level event outage-platform-10-30pct",
                            "description": "more than 10% and at most 30% of the systems govcloud knows have been "
                                           "down for 120 minutes (now 20%): an annex 3 B-level event (article-54)."}}]},
                    {"eval_time": "125m", "alertname": "GovcloudAnnex3A", "exp_alerts": []},
                ],
            },
            {   # two of five (40%) down: A at 2 hours, and no B
                "name": "annex 3 A",
                "interval": "15s",
                "input_series": series({"trial-http": "0x540", "archive-http": "0x540"}, "1x540"),
                "alert_rule_test": [
                    {"eval_time": "119m45s", "alertname": "GovcloudAnnex3A", "exp_alerts": []},
                    {"eval_time": "120m", "alertname": "GovcloudAnnex3A", "exp_alerts": [{
                        "exp_labels": {**BASE, "severity": "critical", "clause": "article-53",
                                       "event": "outage-platform-30pct"},
                        "exp_annotations": {
                            "summary": "annex 3 A-level event outage-platform-30pct",
                            "description": "more than 30% of the systems govcloud knows have been down for 120 "
                                           "minutes (now 40%): an annex 3 A-level event (article-53)."}}]},
                    {"eval_time": "125m", "alertname": "GovcloudAnnex3B", "exp_alerts": []},
                ],
            },
            {   # office's probe has no samples at all: unknown time, said after 5 minutes
                "name": "absent probe",
                "interval": "15s",
                "input_series": series({"office-http": None}, "1x40"),
                "alert_rule_test": [
                    {"eval_time": "4m45s", "alertname": "GovcloudProbeAbsent", "exp_alerts": []},
                    {"eval_time": "5m", "alertname": "GovcloudProbeAbsent", "exp_alerts": [{
                        "exp_labels": {**BASE, "severity": "warning", "clause": "article-6", "system": "office",
                                       "probe": "office-http", "job": "blackbox", "instance": "http://10.231.0.24/"},
                        "exp_annotations": {
                            "summary": "no samples of probe office-http (office)",
                            "description": "http://10.231.0.24/ has no samples: this time is unknown, never up, and "
                                           "lowers the coverage of the month's availability."}}]},
                ],
                "promql_expr_test": [  # office is not among the systems the share is over while it is unknown
                    {"expr": "count(govcloud:system_up)", "eval_time": "5m", "exp_samples": [{"labels": "{}",
                                                                                             "value": 4}]}],
            },
        ],
    }


def test_promtool_checks_the_generated_rules_with_every_lint(folder: Path) -> None:
    out = promtool("check", "rules", "--lint=all", "--lint-fatal", "rules.yml", cwd=folder)
    assert out.returncode == 0, out.stdout + out.stderr
    n = sum(len(s["probes"]) for s in SYSTEMS["systems"])
    # per probe: a recording rule and an absence alert; per system: one recording rule and two alerts;
    # 3 recording rules over all; one probe-down alert; annex 3: the A and B outage events
    assert f"SUCCESS: {2 * n + 3 * 5 + 3 + 1 + 2} rules found" in out.stdout, out.stdout


def test_promtool_unit_tests_of_the_rules_pass(folder: Path) -> None:
    (folder / "tests.yml").write_text(yaml.safe_dump(unit_tests(), sort_keys=False, allow_unicode=True))
    out = promtool("test", "rules", "tests.yml", cwd=folder)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_a_broken_rule_fails_promtool_check(folder: Path) -> None:
    text = (folder / "rules.yml").read_text(encoding="utf-8")
    assert "min by (system) (" in text
    (folder / "rules.yml").write_text(text.replace("min by (system) (", "min by (system (", 1), encoding="utf-8")
    out = promtool("check", "rules", "rules.yml", cwd=folder)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAILED" in out.stdout + out.stderr and "rules.yml" in out.stdout + out.stderr


def test_a_page_that_comes_too_late_fails_the_unit_tests(folder: Path) -> None:
    """The same tests against rules whose page waits 5 minutes: promtool says the alert did not fire at 2m."""
    data = yaml.safe_load((folder / "rules.yml").read_text(encoding="utf-8"))
    for r in data["groups"][0]["rules"]:
        if r.get("alert") == "GovcloudSystemDown":
            r["for"] = "5m"
    (folder / "rules.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (folder / "tests.yml").write_text(yaml.safe_dump(unit_tests(), sort_keys=False, allow_unicode=True))
    out = promtool("test", "rules", "tests.yml", cwd=folder)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "GovcloudSystemDown" in out.stdout + out.stderr


@pytest.mark.parametrize(("open_after", "interval", "page"), [(2, 15, 60), (6, 15, 90), (19, 15, 285), (9, 30, 270)])
def test_the_page_waits_for_open_after_probes_and_at_least_a_minute(open_after: int, interval: int, page: int) -> None:
    spec = systems_spec({**SYSTEMS, "open_after": open_after, "interval_seconds": interval})
    assert page_after_seconds(spec, contract()) == page
    down = [r for r in rules(contract(), spec)["groups"][0]["rules"] if r.get("alert") == "GovcloudSystemDown"]
    assert {r["for"] for r in down} == {f"{page // 60}m{page % 60}s" if page % 60 else f"{page // 60}m"}


@pytest.mark.parametrize(("open_after", "interval"), [(20, 15), (10, 30)])
def test_a_systems_file_that_would_page_too_late_for_article_9_is_refused(open_after: int, interval: int) -> None:
    """A third of the 15 response minutes is 300 s: open_after x interval + one interval may not pass it."""
    spec = systems_spec({**SYSTEMS, "open_after": open_after, "interval_seconds": interval})
    with pytest.raises(ValueError, match="more than a third of article 9's 15 minutes"):
        page_after_seconds(spec, contract())


def test_systems_given_as_objects_read_like_the_mapping() -> None:
    from types import SimpleNamespace as NS

    def ns(x):  # type: ignore[no-untyped-def]
        if isinstance(x, dict):
            return NS(**{k: ns(v) for k, v in x.items()})
        return [ns(v) for v in x] if isinstance(x, list) else x

    assert rules(contract(), ns(SYSTEMS)) == rules(contract(), SYSTEMS)
    assert rules(contract(), {**SYSTEMS, "job": "probes"})["groups"][0]["rules"][0]["expr"] == \
        'probe_success{job="probes",instance="http://10.231.0.20:80/"}'
