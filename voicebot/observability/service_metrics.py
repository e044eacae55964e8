"""Prometheus metrics of the background services: the API's live-event streams (SSE) and the durable
job queues' workers (re-exported by :mod:`voicebot.observability.metrics`).

The conventions of metrics.py hold: names carry their unit, labels are small closed sets.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["QueuePrometheusMetrics", "sse_client_dropped", "sse_client_opened", "sse_events_delivered"]


# --------------------------------------------------------------------------- live events (SSE)

_SSE_CLIENTS = Gauge(
    "voicebot_sse_clients", "Open Server-Sent Events streams, by stream (call, company).", ["stream"]
)
_SSE_DELIVERED = Counter(
    "voicebot_sse_events_delivered_total", "Events written to SSE clients, by stream.", ["stream"]
)
_SSE_DROPPED = Counter(
    "voicebot_sse_clients_dropped_total",
    "SSE clients refused or cut off, by reason (slow: its queue overflowed; full: over the client cap).",
    ["reason"],
)


def sse_client_opened(stream: str, delta: int = 1) -> None:
    """A stream opened (``delta=-1``: closed); ``stream`` is ``call`` or ``company``."""
    _SSE_CLIENTS.labels("company" if stream == "company" else "call").inc(delta)


def sse_events_delivered(stream: str, count: int = 1) -> None:
    _SSE_DELIVERED.labels("company" if stream == "company" else "call").inc(count)


def sse_client_dropped(reason: str) -> None:
    _SSE_DROPPED.labels("full" if reason == "full" else "slow").inc()


# --------------------------------------------------------------------------- durable job queues

_JOBS = Counter(
    "voicebot_jobs_total", "Jobs handled, by queue and result (done, retry, dead).", ["queue", "result"]
)
_JOB_DURATION = Histogram(
    "voicebot_job_duration_seconds",
    "Time a job's handler ran, by queue.",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
_JOBS_PENDING = Gauge(
    "voicebot_jobs_pending", "Jobs due and not yet claimed, by queue, last sample.", ["queue"]
)
_JOBS_OLDEST = Gauge(
    "voicebot_jobs_oldest_pending_seconds",
    "How long the oldest due job has waited (0: none), by queue.",
    ["queue"],
)


class QueuePrometheusMetrics:
    """The job queue worker's metrics port (voicebot.storage.QueueMetrics) over Prometheus."""

    def handled(self, queue: str, result: str, seconds: float) -> None:
        _JOBS.labels(queue, result if result in ("done", "retry", "dead") else "other").inc()
        _JOB_DURATION.labels(queue).observe(max(seconds, 0.0))

    def backlog(self, queue: str, pending: int, oldest_seconds: float) -> None:
        _JOBS_PENDING.labels(queue).set(pending)
        _JOBS_OLDEST.labels(queue).set(max(oldest_seconds, 0.0))
