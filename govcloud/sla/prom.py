"""Prometheus over its HTTP API only (``POST /api/v1/query``), so a Thanos, Cortex/Mimir or VictoriaMetrics
query endpoint answers the same calls. urllib only; every failure is a ``PrometheusError`` naming the URL and
the query.

Two reads, and why no others:

- ``instant(query, at_ms)``: one evaluation, e.g. ``count_over_time(probe_success{job="blackbox"}[...])``.
- ``raw(selector, start_ms, end_ms)``: every stored sample of ``[start, end)`` with its timestamp, as an instant
  query of a range vector. Gaps stay gaps. ``avg_over_time`` counts samples (a 20-minute gap becomes 100% up)
  and ``query_range`` fills up to 5 minutes of a gap with the last value: availability never uses them.

Range edges: Prometheus 2.x selects ``[t - range, t]``, both ends included (3.x leaves the left end open).
``window(a, b)`` gives the range and evaluation time that select exactly ``[a, b)`` under 2.x: evaluate at
``b - 1 ms`` with range ``(b - a - 1) ms``. ``raw`` reads one millisecond more on the left and drops what lies
outside ``[a, b)`` by timestamp, so it is exact under either rule.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.limits import json_limits

Labels = dict[str, str]
Sample = tuple[int, float]  # (epoch ms, value)

DEFAULT_TIMEOUT = 60.0


class PrometheusError(GovcloudError):
    """A query that did not answer: the URL, the query and why."""

    def __init__(self, url: str, query: str, reason: str) -> None:
        self.url, self.query, self.reason = url, query, reason
        super().__init__(f"{url}: query {query!r}: {reason}")


class PrometheusUnreachable(PrometheusError):
    """No HTTP answer at all: connection refused, no such host, timeout."""


class PrometheusHTTPError(PrometheusError):
    """An HTTP error status (e.g. 400 for a bad query, 503 while starting)."""

    def __init__(self, url: str, query: str, reason: str, status: int) -> None:
        self.status = status
        super().__init__(url, query, reason)


class PrometheusQueryError(PrometheusError):
    """The API said ``"status": "error"`` (``errorType``/``error`` in the reason) or its answer was not the
    JSON the API defines."""


def promql_string(text: str) -> str:
    """``text`` as a double-quoted PromQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def selector(metric: str, **labels: str | tuple[str, str]) -> str:
    """``probe_success{job="blackbox",instance="10.0.0.1:22"}``; a label given as ``("=~", regex)`` matches."""
    parts = []
    for k, v in labels.items():
        op, val = v if isinstance(v, tuple) else ("=", v)
        parts.append(f"{k}{op}{promql_string(val)}")
    return metric + "{" + ",".join(parts) + "}"


def regex_any(values: list[str] | tuple[str, ...]) -> str:
    """An RE2 alternation matching exactly these values (PromQL anchors label regexes)."""
    return "|".join(_re2_escape(v) for v in values)


def _re2_escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() and c != "_" and c.isascii() and c.isprintable() and c != " "
                   else c for c in text)


def seconds(ms: int) -> str:
    """Epoch milliseconds as the API's ``time`` parameter (seconds with three decimals)."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    return f"{sign}{ms // 1000}.{ms % 1000:03d}"


def window(start_ms: int, end_ms: int) -> tuple[str, int]:
    """``("86399999ms", end - 1)``: the range and evaluation time that select ``[start, end)`` in Prometheus 2.x."""
    if end_ms - start_ms < 2:
        raise ValueError(f"a window of at least 2 ms is needed, got {start_ms}..{end_ms}")
    return f"{end_ms - start_ms - 1}ms", end_ms - 1


@dataclass
class PromClient:
    """A Prometheus-compatible query endpoint: ``base_url`` up to (not including) ``/api/v1``, e.g.
    ``http://127.0.0.1:9090`` or ``https://mimir.example/prometheus``."""

    base_url: str
    timeout: float = DEFAULT_TIMEOUT
    headers: dict[str, str] | None = None  # e.g. {"Authorization": "Bearer ..."} or X-Scope-OrgID for Mimir
    max_bytes: int | None = None  # of one answer; default the JSON input limit (govcloud.limits)
    queries: int = 0  # how many queries this client sent (the benchmark reads it)

    @property
    def query_url(self) -> str:
        return self.base_url.rstrip("/") + "/api/v1/query"

    # ------------------------------------------------------------------------------------------- reads
    def instant(self, query: str, at_ms: int) -> list[tuple[Labels, float]]:
        """An instant query evaluated at ``at_ms``: ``(labels, value)`` per series of the vector (a scalar
        answer comes back as one series with no labels)."""
        data = self._query(query, at_ms)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector" and isinstance(result, list):
            return [(self._labels(r, query), self._value(r.get("value"), query)[1]) for r in result]
        if kind == "scalar":
            return [({}, self._value(result, query)[1])]
        raise PrometheusQueryError(self.query_url, query, f"expected a vector answer, got resultType {kind!r}")

    def raw(self, series: str, start_ms: int, end_ms: int) -> list[tuple[Labels, list[Sample]]]:
        """Every stored sample of the series selected by ``series`` (a selector such as
        ``probe_success{job="blackbox"}``) with a timestamp in ``[start_ms, end_ms)``, oldest first."""
        if end_ms <= start_ms:
            return []
        query = f"{series}[{end_ms - start_ms}ms]"  # [start-1, end-1] in 2.x, (start-1, end-1] in 3.x
        data = self._query(query, end_ms - 1)
        kind, result = data.get("resultType"), data.get("result")
        if kind != "matrix" or not isinstance(result, list):
            raise PrometheusQueryError(self.query_url, query, f"expected a matrix answer, got resultType {kind!r}")
        out = []
        for r in result:
            values = r.get("values") if isinstance(r, dict) else None
            if not isinstance(values, list):
                raise PrometheusQueryError(self.query_url, query, "expected `values` in each series of a matrix")
            samples = [s for s in (self._value(v, query) for v in values) if start_ms <= s[0] < end_ms]
            samples.sort(key=lambda s: s[0])
            out.append((self._labels(r, query), samples))
        return out

    def ready(self) -> bool:
        """True when ``/-/ready`` answers 200 (Prometheus; other endpoints may not have it)."""
        try:
            with urllib.request.urlopen(self.base_url.rstrip("/") + "/-/ready", timeout=self.timeout) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    # ---------------------------------------------------------------------------------------- plumbing
    def _query(self, query: str, at_ms: int) -> dict[str, Any]:
        url = self.query_url
        body = urllib.parse.urlencode({"query": query, "time": seconds(at_ms)}).encode()
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **(self.headers or {})})
        self.queries += 1
        limit = self.max_bytes or json_limits().max_bytes
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                text = self._read(resp, limit, query)
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                text = self._read(exc, limit, query)
            except PrometheusError:
                text = ""
            reason = self._error_text(text) or (text.strip()[:300] or exc.reason)
            raise PrometheusHTTPError(url, query, f"HTTP {status}: {reason}", status) from None
        except urllib.error.URLError as exc:
            raise PrometheusUnreachable(url, query, f"cannot connect ({_why(exc.reason)})") from None
        except TimeoutError:
            raise PrometheusUnreachable(url, query, f"no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise PrometheusUnreachable(url, query, f"cannot connect ({_why(exc)})") from None
        doc = self._json(text, query)
        if doc.get("status") != "success":
            raise PrometheusQueryError(url, query, self._error_text(text) or "expected status success")
        data = doc.get("data")
        if not isinstance(data, dict):
            raise PrometheusQueryError(url, query, "expected a `data` object in the answer")
        return data

    def _read(self, resp: Any, limit: int, query: str) -> str:
        raw = resp.read(limit + 1)
        if len(raw) > limit:
            raise PrometheusQueryError(self.query_url, query, f"the answer is larger than {limit} bytes "
                                       "(set GOVCLOUD_MAX_JSON_MB to raise the limit)")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PrometheusQueryError(self.query_url, query, "the answer is not UTF-8") from None

    def _json(self, text: str, query: str) -> dict[str, Any]:
        doc = _loads(text)
        if isinstance(doc, str):
            raise PrometheusQueryError(self.query_url, query, f"the answer is not the API's JSON: {doc}")
        if not isinstance(doc, dict):
            raise PrometheusQueryError(self.query_url, query, "the answer is not the API's JSON: expected an object")
        return doc

    def _error_text(self, text: str) -> str:
        doc = _loads(text)
        if isinstance(doc, dict) and doc.get("status") == "error":
            return f"{doc.get('errorType', 'error')}: {doc.get('error', '')}".strip()
        return ""

    def _labels(self, r: Any, query: str) -> Labels:
        metric = r.get("metric") if isinstance(r, dict) else None
        if not isinstance(metric, dict):
            raise PrometheusQueryError(self.query_url, query, "expected `metric` labels in each series")
        return {str(k): str(v) for k, v in metric.items()}

    def _value(self, pair: Any, query: str) -> Sample:
        if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) in (int, float)
                and isinstance(pair[1], str)):
            raise PrometheusQueryError(self.query_url, query, f"expected [time, \"value\"], got {pair!r}"[:200])
        try:  # the API's times are seconds with at most 3 decimals: exact in milliseconds after rounding
            return round(pair[0] * 1000), float(pair[1])
        except ValueError:
            raise PrometheusQueryError(self.query_url, query, f"expected a number as value, got {pair[1]!r}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _loads(text: str) -> Any:
    """The answer's JSON, or a string saying why it is not. The standard parser, not ``jsondoc``'s file reader:
    an answer's size is already capped (``max_bytes``) and a month's samples are millions of numbers, which the
    file reader's per-value checks would read ten times slower. NaN and Infinity literals are refused."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return "nested too deep"
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated"):
            return f"truncated JSON ({exc.msg})"
        return f"malformed JSON at character {exc.pos}: {exc.msg}"
    except ValueError as exc:
        return str(exc)[:200]


def _why(reason: Any) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"no such host: {reason.strerror or reason}"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    return str(getattr(reason, "strerror", None) or reason)
