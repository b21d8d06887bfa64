"""``GET /metrics``: counters in the Prometheus text exposition format (version 0.0.4).

Labels are bounded: the route *template* (``/issuers/{issuer}/credentials/issue``, never a
raw path), the method, the status code, issuer names from the configuration, formats and
verdicts. Nothing about a credential's content is ever a label.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable

from did_gov._asgi import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsMiddleware"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other is counted as ``OTHER`` (bounded label values)."""
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    inner = ",".join(f'{name}="{escape(value)}"' for name, value in pairs)
    return "{" + inner + "}" if inner else ""


class Metrics:
    """Thread-safe counters and one latency histogram per route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, list[float]] = {}
        self._events: dict[tuple[str, tuple[tuple[str, str], ...]], int] = defaultdict(int)
        self.started = time.time()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration (an unknown method counts as ``OTHER``)."""
        method = method if method in _METHODS else "OTHER"  # a client invents methods at will
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            histogram = self._latency.setdefault(route, [0.0] * (len(_BUCKETS) + 2))
            for i, bound in enumerate(_BUCKETS):
                if seconds <= bound:
                    histogram[i] += 1
            histogram[-2] += 1  # count (+Inf)
            histogram[-1] += seconds  # sum

    def event(self, name: str, **labels: str) -> None:
        """Count a domain event (``credentials_issued``, ``verifications``, ``status_changes``)."""
        with self._lock:
            self._events[(name, tuple(sorted(labels.items())))] += 1

    def render(self) -> str:
        """The exposition text."""
        lines = [
            "# HELP did_gov_http_requests_total HTTP requests answered, by route template.",
            "# TYPE did_gov_http_requests_total counter",
        ]
        with self._lock:
            requests = sorted(self._requests.items())
            latency = sorted((k, list(v)) for k, v in self._latency.items())
            events = sorted(self._events.items())
        for (method, route, status), total in requests:
            labels = _labels([("method", method), ("route", route), ("status", status)])
            lines.append(f"did_gov_http_requests_total{labels} {total}")
        lines += [
            "# HELP did_gov_http_request_duration_seconds Time to answer, by route template.",
            "# TYPE did_gov_http_request_duration_seconds histogram",
        ]
        for route, histogram in latency:
            for bound, seen in zip(_BUCKETS, histogram, strict=False):
                labels = _labels([("route", route), ("le", repr(bound))])
                lines.append(f"did_gov_http_request_duration_seconds_bucket{labels} {seen:g}")
            labels = _labels([("route", route), ("le", "+Inf")])
            lines.append(f"did_gov_http_request_duration_seconds_bucket{labels} {histogram[-2]:g}")
            plain = _labels([("route", route)])
            lines.append(f"did_gov_http_request_duration_seconds_count{plain} {histogram[-2]:g}")
            lines.append(f"did_gov_http_request_duration_seconds_sum{plain} {histogram[-1]:.6f}")
        names = sorted({name for (name, _), _ in events})
        for name in names:
            lines += [f"# TYPE did_gov_{name}_total counter"]
            for (event, pairs), count in events:
                if event == name:
                    lines.append(f"did_gov_{name}_total{_labels(pairs)} {count}")
        lines += [
            "# TYPE did_gov_process_start_time_seconds gauge",
            f"did_gov_process_start_time_seconds {self.started:.3f}",
        ]
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """ASGI middleware counting every HTTP request by the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            self.metrics.request(
                scope.get("method", ""), str(template), status, time.perf_counter() - started
            )
