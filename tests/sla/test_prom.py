"""The HTTP API client (govcloud/sla/prom.py) against the real Prometheus, and its errors."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from govcloud.errors import GovcloudError
from govcloud.sla.prom import (
    PromClient,
    PrometheusHTTPError,
    PrometheusQueryError,
    PrometheusUnreachable,
    regex_any,
    selector,
    window,
)

from . import scenarios as sc
from .promserver import free_port

MS = 1000


@pytest.mark.slow  # the real Prometheus (backfilled once per session)
def test_raw_reads_exactly_the_half_open_window_so_a_boundary_sample_lands_once(prom: PromClient) -> None:
    b = sc.BOUNDARY * MS  # a sample of the aligned probe sits exactly on 2026-04-01 00:00 Beijing
    sel = selector("probe_success", job="midnight", instance="10.2.0.1:443")
    ((_, march),) = prom.raw(sel, b - 3_600_000, b)
    ((_, april),) = prom.raw(sel, b, b + 3_600_000)
    assert len(march) == len(april) == 60
    assert march[-1][0] == b - 60_000 and april[0][0] == b
    assert {t for t, _ in march}.isdisjoint(t for t, _ in april)


@pytest.mark.slow  # the real Prometheus (backfilled once per session)
def test_the_window_rule_selects_half_open_ranges_where_a_plain_range_takes_both_ends(prom: PromClient) -> None:
    b = sc.BOUNDARY * MS
    sel = selector("probe_success", job="midnight", instance="10.2.0.1:443")
    rng, at = window(b - 3_600_000, b)
    assert (rng, at) == ("3599999ms", b - 1)
    assert prom.instant(f"count_over_time({sel}[{rng}])", at)[0][1] == 60
    assert prom.instant(f"count_over_time({sel}[1h])", b)[0][1] == 61  # Prometheus 2.x: both ends included


@pytest.mark.slow  # the real Prometheus (backfilled once per session)
def test_avg_over_time_would_hide_a_gap_which_is_why_availability_never_uses_it(prom: PromClient) -> None:
    day_end = sc.bj("2026-03-11 00:00") * MS
    sel = selector("probe_success", job="gap", instance="10.1.0.1:22")
    rng, at = window(day_end - 86_400_000, day_end)
    assert prom.instant(f"avg_over_time({sel}[{rng}])", at)[0][1] == 1.0  # 20 minutes without samples: "100%"
    assert prom.instant(f"count_over_time({sel}[{rng}])", at)[0][1] == 1440 - 20


@pytest.mark.slow  # the real Prometheus (backfilled once per session)
def test_instant_vector_and_scalar_answers(prom: PromClient) -> None:
    at = sc.bj("2026-03-15 12:00") * MS
    got = prom.instant('count by (job) (probe_success{job=~"clean|gap"})', at)
    assert sorted((lb["job"], v) for lb, v in got) == [("clean", 6.0), ("gap", 3.0)]
    assert prom.instant("scalar(vector(42))", at) == [({}, 42.0)]
    sel = selector("probe_success", job="clean", instance=("=~", regex_any(["http://10.0.0.1:80/", "10.0.0.4:5432"])))
    assert sorted(lb["instance"] for lb, _ in prom.instant(sel, at)) == ["10.0.0.4:5432", "http://10.0.0.1:80/"]


@pytest.mark.slow  # the real Prometheus (backfilled once per session)
def test_a_bad_query_is_an_error_naming_url_query_and_the_apis_reason(prom: PromClient) -> None:
    with pytest.raises(PrometheusHTTPError) as exc:
        prom.instant("probe_success{", 0)
    e = exc.value
    assert e.status == 400 and "bad_data" in e.reason and "parse error" in e.reason
    assert e.url == prom.query_url and e.query == "probe_success{"
    assert prom.query_url in str(e) and "'probe_success{'" in str(e)
    assert isinstance(e, GovcloudError)


def test_nothing_listening_is_an_error_naming_the_url() -> None:
    client = PromClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(PrometheusUnreachable) as exc:
        client.instant("up", 0)
    assert "connection refused" in str(exc.value) and client.query_url in str(exc.value)


class _Fake(http.server.BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[tuple[str, type[_Fake]]]:
    """Answers that a real Prometheus does not give: malformed JSON, a wrong shape, an error with status 200."""
    handler = type("H", (_Fake,), {})
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", handler
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("body, status, err, words", [
    (b'{"status": "success", "data": {"resultType": "vec', 200, PrometheusQueryError, "truncated JSON"),
    (b"<html>proxy error</html>", 200, PrometheusQueryError, "malformed JSON"),
    (b'{"status": "error", "errorType": "timeout", "error": "query timed out"}', 200, PrometheusQueryError,
     "timeout: query timed out"),
    (b'{"status": "success", "data": {"resultType": "string", "result": [0, "x"]}}', 200, PrometheusQueryError,
     "expected a vector answer"),
    (b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, 2]}]}}', 200,
     PrometheusQueryError, 'expected [time, "value"]'),
    (b"Service Unavailable", 503, PrometheusHTTPError, "HTTP 503: Service Unavailable"),
])
def test_answers_that_are_not_the_apis_are_errors(fake, body: bytes, status: int, err: type, words: str) -> None:  # type: ignore[no-untyped-def]
    url, handler = fake
    handler.body, handler.status = body, status
    with pytest.raises(err) as exc:
        PromClient(url, timeout=5).instant("up", 0)
    assert words in str(exc.value) and f"{url}/api/v1/query" in str(exc.value)


def test_an_answer_over_the_size_limit_is_refused(fake) -> None:  # type: ignore[no-untyped-def]
    url, handler = fake
    handler.body = b'{"status": "success", "data": {"resultType": "vector", "result": []}}'
    assert PromClient(url).instant("up", 0) == []
    with pytest.raises(PrometheusQueryError, match="larger than 20 bytes"):
        PromClient(url, max_bytes=20).instant("up", 0)
