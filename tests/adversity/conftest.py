"""Adversity tests of the call lifecycle: real Postgres (a private cluster to stop and start), the real
recorder, reaper/sweeper and dispatcher, and a real HTTP receiver on loopback."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.outcomes.conftest import Receiver, Tenant, fast_settings, make_tenant, receiver
from voicebot.dialogue.actions import CallFinished
from voicebot.telephony.recording import CallInfo, CallLog

__all__ = ["Receiver", "Tenant", "booking_call", "fast_settings", "make_tenant", "receiver"]

SLOT_TYPES = {"day": "date", "time": "time", "patient_name": "text"}


def booking_call(tenant: Tenant, record: Any) -> CallLog:
    """A started call of the tenant's bot whose records go to ``record`` (a Recorder's)."""
    log = CallLog(
        CallInfo(
            call_id=uuid.uuid4(),
            bot_id=tenant.bot_id,
            bot_slug="clinic",
            caller_number="+12125550123",
            dialed_number="+15550001111",
            slot_types=SLOT_TYPES,
            outcome_names=("booking", "information"),
        ),
        record,
    )
    log.started()
    return log


def booked(day: dt.date) -> CallFinished:
    return CallFinished(
        outcome="booking",
        confidence=1.0,
        rule="rule[0]: slots_filled",
        end_reason="completed",
        final_state="goodbye",
        slots={"day": day, "time": dt.time(10, 30), "patient_name": "John Smith"},
    )
