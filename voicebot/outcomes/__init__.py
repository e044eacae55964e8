"""Call outcomes and signed webhooks.

* :class:`Finalizer` - a finished call's outcome, appointment and outbox rows, in one transaction.
* :class:`Dispatcher` - claims due outbox rows, signs (Standard Webhooks) and delivers them, with retries.
* :class:`Reaper` - finalizes calls whose worker died as ``dropped``.
* :mod:`~voicebot.outcomes.payloads` - versioned event models and their JSON Schemas.
* :mod:`~voicebot.outcomes.signing`, :mod:`~voicebot.outcomes.urlguard`, :mod:`~voicebot.outcomes.schedule`.

The storage side (asyncpg) lives in ``voicebot.storage.repositories.outbox`` / ``.outcomes``; the two
meet in :mod:`voicebot.runtime_outcomes`.
"""

from voicebot.outcomes.booking import CODE_ALPHABET, appointment_fields, new_confirmation_code, speakable
from voicebot.outcomes.config import WebhookSettings
from voicebot.outcomes.delivery import Deliverer, HttpDeliverer
from voicebot.outcomes.dispatcher import Dispatcher, OutboxStore, encode_body
from voicebot.outcomes.finalize import CallFacts, Finalizer, OutcomeStore, call_status, outcome_names
from voicebot.outcomes.payloads import (
    BookingCreatedV1,
    CallCompletedV1,
    TranscriptEntry,
    WebhookEvent,
    event_schemas,
)
from voicebot.outcomes.reaper import LivenessStore, Reaper
from voicebot.outcomes.schedule import RetrySchedule, parse_schedule
from voicebot.outcomes.signing import SignatureError, new_secret, sign, signature_headers, verify
from voicebot.outcomes.summary import OutcomeAdvisor, template_summary
from voicebot.outcomes.urlguard import HostPolicy, UrlRefused

__all__ = [
    "CODE_ALPHABET",
    "BookingCreatedV1",
    "CallCompletedV1",
    "CallFacts",
    "Deliverer",
    "Dispatcher",
    "Finalizer",
    "HostPolicy",
    "HttpDeliverer",
    "LivenessStore",
    "OutboxStore",
    "OutcomeAdvisor",
    "OutcomeStore",
    "Reaper",
    "RetrySchedule",
    "SignatureError",
    "TranscriptEntry",
    "UrlRefused",
    "WebhookEvent",
    "WebhookSettings",
    "appointment_fields",
    "call_status",
    "encode_body",
    "event_schemas",
    "new_confirmation_code",
    "new_secret",
    "outcome_names",
    "parse_schedule",
    "sign",
    "signature_headers",
    "speakable",
    "template_summary",
    "verify",
]
