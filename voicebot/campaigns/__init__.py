"""Outbound campaigns: calling windows, retry schedule, number-list validation and the dispatcher.

Pure domain logic plus the dispatcher loop; Postgres, the durable queue and LiveKit are reached through
the Protocols in :mod:`voicebot.campaigns.ports` (wired in :mod:`voicebot.runtime_campaigns`).
"""

from voicebot.campaigns.dispatcher import CampaignDispatcher
from voicebot.campaigns.numbers import NumberRow, RowError, Validated, e164, rows_from_csv, validate_numbers
from voicebot.campaigns.ports import QUEUE_NAME, AttemptContext, Begun, DialResult, job_key
from voicebot.campaigns.retry import RetryPolicy, status_of_sip
from voicebot.campaigns.windows import CallingWindow, zone

__all__ = [
    "QUEUE_NAME",
    "AttemptContext",
    "Begun",
    "CallingWindow",
    "CampaignDispatcher",
    "DialResult",
    "NumberRow",
    "RetryPolicy",
    "RowError",
    "Validated",
    "e164",
    "job_key",
    "rows_from_csv",
    "status_of_sip",
    "validate_numbers",
    "zone",
]
