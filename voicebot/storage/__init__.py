"""Everything voicebot keeps in PostgreSQL. asyncpg is imported only inside this package.

* :class:`Database` - a pool (DATABASE_URL or the embedded cluster) plus the repositories on it.
* :class:`EmbeddedPostgres` - the private cluster used when DATABASE_URL is not set.
* :func:`migrate` / :func:`pending` - forward-only migrations from ``sql/``.
* :class:`Recorder` - write-behind recording of calls (records in :mod:`voicebot.storage.records`),
  with :class:`PostgresSink` and :class:`Journal`.
* :class:`JobQueue` / :class:`QueueWorker` - the one durable job queue (table ``jobs``).
* Repositories: :class:`Companies`, :class:`Bots`, :class:`Calls`, :class:`KnowledgeDocs`.
"""

from voicebot.storage.embedded import EmbeddedPostgres, EmbeddedStatus, find_bin_dir
from voicebot.storage.journal import Journal
from voicebot.storage.migrations import Migration, discover, migrate, pending
from voicebot.storage.pool import Database, create_pool, migrate_url, resolve_url, schema_status
from voicebot.storage.queue import Job, JobQueue, JobRow, JobSpec
from voicebot.storage.queue_worker import QueueWorker
from voicebot.storage.recorder import NullRecorderMetrics, Recorder, RecorderMetrics
from voicebot.storage.records import CallEnded, CallStarted, Checkpoint, Record, SlotFilled, Transition, Turn
from voicebot.storage.repositories import (
    BotForCall,
    BotInfo,
    Bots,
    Calls,
    CallSummary,
    Companies,
    Company,
    DeployResult,
    KnowledgeDoc,
    KnowledgeDocs,
    NewCompany,
    normalize_phone,
)
from voicebot.storage.sink import PostgresSink, RecordSink

__all__ = [
    "BotForCall",
    "BotInfo",
    "Bots",
    "CallEnded",
    "CallStarted",
    "CallSummary",
    "Calls",
    "Checkpoint",
    "Companies",
    "Company",
    "Database",
    "DeployResult",
    "EmbeddedPostgres",
    "EmbeddedStatus",
    "Job",
    "JobQueue",
    "JobRow",
    "JobSpec",
    "Journal",
    "KnowledgeDoc",
    "KnowledgeDocs",
    "Migration",
    "NewCompany",
    "NullRecorderMetrics",
    "PostgresSink",
    "QueueWorker",
    "Record",
    "RecordSink",
    "Recorder",
    "RecorderMetrics",
    "SlotFilled",
    "Transition",
    "Turn",
    "create_pool",
    "discover",
    "find_bin_dir",
    "migrate",
    "migrate_url",
    "normalize_phone",
    "pending",
    "resolve_url",
    "schema_status",
]
