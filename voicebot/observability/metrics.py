"""Prometheus metrics, with verb functions for the rest of voicebot: the call, turn, recorder, API, webhook
and worker series are defined here; the contact-centre ones in :mod:`.call_centre_metrics` and the
background services' (live events, job queues) in :mod:`.service_metrics`, both re-exported here, so
callers use this module alone.

Names carry their unit; labels are small closed sets (stage, outcome, kind, provider), never call ids
or phone numbers. :func:`serve` starts the HTTP exporter on ``settings.metrics_port`` (0: off).

The worker runs each call in a LiveKit job process of its own: :func:`use_multiprocess_dir` (called by the
worker before its job processes start) puts ``PROMETHEUS_MULTIPROC_DIR`` in the environment, so the job
processes write their series to files there, and ``serve(..., multiproc_dir=...)`` exports their sum.
Other roles (api, dispatcher, tests) stay in the ordinary single-process mode.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from voicebot.observability import batch
from voicebot.observability.call_centre_metrics import (
    TRANSFER_RESULTS,
    amd_verdict,
    dtmf_key,
    transfer,
    turn_taking_applied,
    voicemail,
)
from voicebot.observability.service_metrics import (
    QueuePrometheusMetrics,
    sse_client_dropped,
    sse_client_opened,
    sse_events_delivered,
)

__all__ = [
    "STAGES",
    "TRANSFER_RESULTS",
    "QueuePrometheusMetrics",
    "RecorderPrometheusMetrics",
    "action_finished",
    "amd_verdict",
    "api_request",
    "call_ended",
    "call_rejected",
    "call_started",
    "campaign_attempt",
    "dtmf_key",
    "error",
    "exposition",
    "flush",
    "job_process_ended",
    "process_dead",
    "recorder_backlog",
    "serve",
    "sse_client_dropped",
    "sse_client_opened",
    "sse_events_delivered",
    "transfer",
    "transition",
    "turn_latency",
    "turn_taking_applied",
    "use_multiprocess_dir",
    "voicemail",
    "webhook_attempt",
    "webhook_outbox",
    "worker_gauges",
]

STAGES: Final = ("stt", "engine", "llm", "tts", "e2e")
"""The stages of a turn whose latency is observed."""

REGISTRY.register(batch.FlushOnCollect())  # before the per-turn series: a scrape writes their queue first

_CALLS_STARTED = Counter("voicebot_calls_started_total", "Calls started.", ["direction"])
_CALLS_ACTIVE = Gauge(
    "voicebot_calls_active",
    "Calls in progress (summed over live call processes).",
    multiprocess_mode="livesum",
)
_CALLS_ENDED = Counter("voicebot_calls_ended_total", "Calls ended, by outcome status.", ["status"])
_TURN_LATENCY = Histogram(
    "voicebot_turn_latency_seconds",
    "Latency of one turn by stage (stt, engine, llm, tts, e2e).",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
_TRANSITIONS = Counter("voicebot_transitions_total", "State transitions, by trigger kind.", ["trigger"])
_ERRORS = Counter("voicebot_errors_total", "Errors, by kind (stt_error, tts_error, llm_error...).", ["kind"])
_RECORDER_BACKLOG = Gauge(
    "voicebot_recorder_backlog_records", "Records buffered, not yet written.", multiprocess_mode="livesum"
)
_RECORDER_WRITTEN = Counter("voicebot_recorder_written_records_total", "Records committed to Postgres.")
_RECORDER_SPILLED = Counter("voicebot_recorder_spilled_records_total", "Records written to the journal.")
_RECORDER_REPLAYED = Counter(
    "voicebot_recorder_replayed_records_total", "Journaled records written to Postgres on replay."
)
_RECORDER_UNAVAILABLE = Counter(
    "voicebot_recorder_unavailable_total", "Recorder flushes that found the database unreachable."
)

_API_REQUESTS = Counter(
    "voicebot_api_requests_total",
    "Admin API requests, by method, route template and status class (2xx, 4xx, 5xx).",
    ["method", "route", "status"],
)
_API_LATENCY = Histogram(
    "voicebot_api_request_duration_seconds",
    "Admin API request latency, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
_API_METHODS = frozenset(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))

_WEBHOOK_ATTEMPTS = Counter(
    "voicebot_webhook_attempts_total",
    "Webhook delivery attempts, by settlement (delivered, retry, dead, disabled).",
    ["outcome"],
)
_WEBHOOK_OUTBOX = Gauge(
    "voicebot_webhook_outbox_events",
    "Webhook outbox rows by status (pending is the queue depth, dead the dead letters), last sample.",
    ["status"],
    multiprocess_mode="livemostrecent",
)
_WEBHOOK_OUTBOX_AGE = Gauge(
    "voicebot_webhook_outbox_oldest_pending_seconds",
    "Age of the oldest pending webhook event (0 when none), last sample.",
    multiprocess_mode="livemostrecent",
)
# liveall: the placeholder files job processes write for these are dropped with the process
_WORKER_JOBS = Gauge(
    "voicebot_worker_jobs_active", "Calls (LiveKit jobs) this worker is running.", multiprocess_mode="liveall"
)
_WORKER_DRAINING = Gauge(
    "voicebot_worker_draining", "1 while this worker drains (refuses new calls).", multiprocess_mode="liveall"
)
_OUTBOX_STATUSES = ("pending", "delivered", "dead", "disabled")
_SETTLEMENTS = frozenset(("delivered", "retry", "dead", "disabled"))

_ACTION_DURATION = Histogram(
    "voicebot_action_duration_seconds",
    "Declared action calls (HTTP or built-in) by action name and status (ok, error, timeout).",
    ["action", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
)
_ACTION_ERRORS = Counter(
    "voicebot_action_errors_total",
    "Failed action calls by action name and error kind (timeout, refused, http_4xx, http_5xx, bad_json...).",
    ["action", "kind"],
)
_ACTION_KINDS = frozenset(
    {"timeout", "refused", "http_4xx", "http_5xx", "bad_json", "too_large", "connection", "redirects"}
    | {"secret_missing", "runner", "unavailable"}
)
_CAMPAIGN_ATTEMPTS = Counter(
    "voicebot_campaign_attempts_total",
    "Campaign dial attempts by how they ended (answered, busy, no_answer, failed, interrupted, "
    "do_not_call, expired): the SIP status of each dial.",
    ["status"],
)
_CAMPAIGN_STATUSES = frozenset(
    ("answered", "busy", "no_answer", "failed", "interrupted", "do_not_call", "expired")
)

_KNOWN_STATUSES = frozenset(("completed", "transferred", "abandoned", "failed", "rejected"))


def call_started(direction: str) -> None:
    _CALLS_STARTED.labels("outbound" if direction == "outbound" else "inbound").inc()
    _CALLS_ACTIVE.inc()


def call_ended(status: str) -> None:
    batch.flush()  # the call's turns are counted by the time its end is
    _CALLS_ENDED.labels(status if status in _KNOWN_STATUSES else "other").inc()
    _CALLS_ACTIVE.dec()


def call_rejected() -> None:
    """A call answered only to say the number is not in service (never counted as active)."""
    _CALLS_ENDED.labels("rejected").inc()


_BOUND: dict[tuple[str, str], Callable[[float], None]] = {}
"""The write methods of the per-turn series' label children, resolved once per process."""


def turn_latency(stage: str, seconds: float) -> None:
    """One stage of a turn took ``seconds`` (written in the next batch, see :mod:`.batch`)."""
    if seconds >= 0 and stage in STAGES:
        write = _BOUND.get(("stage", stage)) or _BOUND.setdefault(
            ("stage", stage), _TURN_LATENCY.labels(stage).observe
        )
        batch.later(write, seconds)


def transition(trigger: str) -> None:
    """The call moved by a ``trigger`` kind (written in the next batch, see :mod:`.batch`)."""
    write = _BOUND.get(("trigger", trigger)) or _BOUND.setdefault(
        ("trigger", trigger), _TRANSITIONS.labels(trigger).inc
    )
    batch.later(write, 1.0)


def error(kind: str) -> None:
    _ERRORS.labels(kind).inc()


def recorder_backlog(records: int) -> None:
    _RECORDER_BACKLOG.set(records)


class RecorderPrometheusMetrics:
    """The storage recorder's metrics port (voicebot.storage.RecorderMetrics) over Prometheus."""

    def written(self, records: int, seconds: float) -> None:
        _RECORDER_WRITTEN.inc(records)

    def spilled(self, records: int) -> None:
        _RECORDER_SPILLED.inc(records)

    def replayed(self, records: int) -> None:
        _RECORDER_REPLAYED.inc(records)

    def rejected(self, records: int) -> None:
        _ERRORS.labels("recorder_rejected").inc(records)

    def unavailable(self) -> None:
        _RECORDER_UNAVAILABLE.inc()


def api_request(method: str, route: str, status: int, seconds: float) -> None:
    """One admin API request. ``route`` must be the route *template* (``/v1/bots/{bot_id}``) or
    ``unmatched``, never the raw path: ids in labels would make a series per bot, call and event."""
    verb = method if method in _API_METHODS else "other"
    _API_REQUESTS.labels(verb, route, f"{status // 100}xx").inc()
    if seconds >= 0:
        _API_LATENCY.labels(verb, route).observe(seconds)


def webhook_attempt(outcome: str) -> None:
    """One settled webhook attempt (delivered, retry, dead, disabled)."""
    _WEBHOOK_ATTEMPTS.labels(outcome if outcome in _SETTLEMENTS else "other").inc()


def campaign_attempt(status: str) -> None:
    """One campaign attempt ended (its SIP status class) or was skipped (do_not_call, expired)."""
    _CAMPAIGN_ATTEMPTS.labels(status if status in _CAMPAIGN_STATUSES else "other").inc()


def webhook_outbox(counts: Mapping[str, int], oldest_pending_seconds: float) -> None:
    """A sample of the outbox: rows per status and the age of the oldest pending row."""
    for status in _OUTBOX_STATUSES:
        _WEBHOOK_OUTBOX.labels(status).set(counts.get(status, 0))
    _WEBHOOK_OUTBOX_AGE.set(max(0.0, oldest_pending_seconds))


def worker_gauges(active_jobs: Callable[[], int], draining: Callable[[], bool]) -> None:
    """Read the worker's load and drain state at scrape time (the worker process serves them).

    A reading that fails (the worker's server not started yet, or already gone) is 0: a scrape must
    never raise."""

    def jobs() -> float:
        try:
            return float(active_jobs())
        except Exception:
            return 0.0

    def drain() -> float:
        try:
            return 1.0 if draining() else 0.0
        except Exception:
            return 0.0

    _WORKER_JOBS.set_function(jobs)
    _WORKER_DRAINING.set_function(drain)


flush = batch.flush


def exposition() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, and its content type (for ``/metrics``)."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


_MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
_MAIN_PROCESS_GAUGES: Final = (_WORKER_JOBS, _WORKER_DRAINING)
"""Read at scrape time in the worker's main process (``set_function``), so served from memory."""
_LIVE_SUM_GAUGES: Final = (_CALLS_ACTIVE, _RECORDER_BACKLOG)


def use_multiprocess_dir(path: Path | None) -> Path:
    """Make this process's future children (LiveKit's forkserver and job processes) write their metrics
    to files under ``path`` (default: a fresh temporary directory). Its ``*.db`` files are deleted first:
    series of a previous run of the worker would otherwise be summed in. Call it before the job processes
    start."""
    directory = Path(tempfile.mkdtemp(prefix="voicebot-metrics-")) if path is None else path
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[_MULTIPROC_ENV] = str(directory)
    return directory


def job_process_ended() -> None:
    """A job process's call is over: drop its live gauges (calls active, recorder backlog) from the sum.
    Its counters and histograms stay counted (what was queued is written first)."""
    batch.flush()
    process_dead(os.getpid())


def process_dead(pid: int | None) -> None:
    """Job process ``pid`` is gone (the worker sees it close, even after a crash): drop its live gauges."""
    if pid is not None and os.environ.get(_MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class _Multiprocess(Collector):
    """The job processes' series (summed from the files in ``path``) and the main process's own gauges."""

    def __init__(self, path: Path) -> None:
        self._files = multiprocess.MultiProcessCollector(None, path=str(path))  # type: ignore[no-untyped-call]
        self._own = {gauge._name for gauge in _MAIN_PROCESS_GAUGES}

    def collect(self) -> Iterable[Metric]:
        summed = set()
        for metric in self._files.collect():  # type: ignore[no-untyped-call]
            if metric.name not in self._own:  # the main process's placeholder files, if it is in mp mode
                summed.add(metric.name)
                yield metric
        for gauge in _LIVE_SUM_GAUGES:  # no live call process: 0, not an absent series
            if gauge._name not in summed:
                yield GaugeMetricFamily(gauge._name, gauge._documentation, value=0.0)
        for gauge in _MAIN_PROCESS_GAUGES:
            yield from gauge.collect()


def multiprocess_registry(path: Path) -> CollectorRegistry:
    """A registry exporting what every process writing under ``path`` recorded, summed."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Multiprocess(path))
    return registry


def serve(port: int, *, addr: str = "0.0.0.0", multiproc_dir: Path | None = None) -> bool:
    """Start the exporter on ``port`` (0: disabled). Returns whether it started. With ``multiproc_dir``
    it serves the sum over the processes writing there (see :func:`use_multiprocess_dir`)."""
    if port <= 0:
        return False
    registry = REGISTRY if multiproc_dir is None else multiprocess_registry(multiproc_dir)
    start_http_server(port, addr=addr, registry=registry)
    return True


def action_finished(action: str, status: str, seconds: float, error_kind: str | None = None) -> None:
    """One declared action call ended. ``action`` is the scenario's name for it (a small set per bot)."""
    name = action[:64]
    status = status if status in ("ok", "error", "timeout") else "error"
    _ACTION_DURATION.labels(name, status).observe(seconds)
    if status != "ok":
        kind = error_kind if error_kind in _ACTION_KINDS else "other"
        _ACTION_ERRORS.labels(name, kind).inc()
