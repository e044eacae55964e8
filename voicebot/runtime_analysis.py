"""Composition of the post-call pipeline and retention (a companion of :mod:`voicebot.runtime`).

``analysis/`` never imports ``storage/``: storage's repositories and queue are handed to it here.

    services = build_analysis_services(db.pool, PipelineSettings.from_env(os.environ))
    await services.worker(name="host-1").run_until_idle()     # `voicebot pipeline run --once`
    await services.retention.run()                           # `voicebot retention run`
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

from voicebot.analysis.config import PipelineSettings
from voicebot.analysis.pipeline import POST_CALL_QUEUE, PostCallPipeline
from voicebot.dialogue.ports import LLM
from voicebot.observability.metrics import QueuePrometheusMetrics
from voicebot.storage.queue import JobQueue
from voicebot.storage.queue_worker import QueueWorker
from voicebot.storage.repositories.post_call import PostCalls, PostCallWrite
from voicebot.storage.retention import Retention

__all__ = ["AnalysisServices", "build_analysis_services", "worker_name"]


def worker_name() -> str:
    """``<host>:<pid>``: the worker id kept on the jobs a process claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class AnalysisServices:
    settings: PipelineSettings
    queue: JobQueue
    store: PostCalls
    pipeline: PostCallPipeline
    retention: Retention

    def worker(self, *, name: str | None = None, **overrides: Any) -> QueueWorker:
        s = self.settings
        args: dict[str, Any] = {
            "worker": name or worker_name(),
            "lease": dt.timedelta(seconds=s.lease_seconds),
            "concurrency": s.concurrency,
            "poll_interval": s.poll_interval,
            "metrics": QueuePrometheusMetrics(),
        }
        args.update(overrides)
        return QueueWorker(self.queue, POST_CALL_QUEUE, self.pipeline, **args)


def build_analysis_services(
    pool: Any, settings: PipelineSettings, *, llm: LLM | None = None, llm_model: str | None = None
) -> AnalysisServices:
    store = PostCalls(pool)
    return AnalysisServices(
        settings=settings,
        queue=JobQueue(pool),
        store=store,
        pipeline=PostCallPipeline(
            store=store, new_write=PostCallWrite, prices=settings.prices, llm=llm, llm_model=llm_model
        ),
        retention=Retention(pool, batch=settings.retention_batch),
    )
