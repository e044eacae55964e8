"""Webhook payload models: frozen, versioned, and their JSON Schemas published in docs/webhooks.md."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pydantic
import pytest

from voicebot.outcomes.payloads import (
    CallCompletedData,
    CallCompletedV1,
    WebhookEvent,
    event_schemas,
    render_schemas_markdown,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _event() -> CallCompletedV1:
    now = dt.datetime.now(dt.UTC)
    return CallCompletedV1(
        id=uuid.uuid4(),
        timestamp=now,
        company_id=uuid.uuid4(),
        data=CallCompletedData(
            call_id=uuid.uuid4(),
            bot_id=None,
            direction="inbound",
            caller_number=None,
            dialed_number=None,
            started_at=now,
            ended_at=now,
            duration_ms=0,
            outcome="hangup",
            confidence=0.5,
            decided_by="rules",
            rule="default:caller_hangup",
            end_reason="caller_hangup",
            final_state="menu",
            summary="s",
            slots={},
        ),
    )


def test_docs_publish_the_current_schemas() -> None:
    """Regenerate with `voicebot webhooks schemas`, pasted into docs/webhooks.md."""
    assert render_schemas_markdown() in DOC.read_text(encoding="utf-8")


def test_every_event_has_type_and_version() -> None:
    for name, schema in event_schemas().items():
        assert {"id", "type", "version", "timestamp", "company_id", "data"} <= set(schema["required"]) | set(
            schema["properties"]
        ), name


def test_events_are_frozen_and_round_trip_by_type() -> None:
    event = _event()
    with pytest.raises(pydantic.ValidationError):
        setattr(event.data, "outcome", "x")  # noqa: B010 - frozen
    parsed: object = pydantic.TypeAdapter(WebhookEvent).validate_python(event.model_dump(mode="json"))
    assert parsed == event
    assert event.model_dump(mode="json")["version"] == 1
