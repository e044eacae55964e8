"""The end-to-end demo, as `voicebot demo` runs it: real Postgres, Qdrant local mode, session, webhooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.demo import run_demo
from voicebot.dialogue import Say, TurnResult
from voicebot.settings import Settings
from voicebot.storage import Database

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

pytestmark = pytest.mark.integration


async def test_demo_books_records_and_delivers_verified_webhooks(database_url: str, tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path)})
    lines: list[str] = []
    spoken: list[Say] = []

    def show_turn(turn: TurnResult) -> None:
        spoken.extend(a for a in turn.actions if isinstance(a, Say))

    result = await run_demo(
        settings, scenario=SCENARIOS / "clinic.yaml", show=lines.append, show_turn=show_turn
    )

    # The caller heard a knowledge answer and a booking confirmation with the corrected time.
    assert any(s.source == "knowledge" and "Blue Cross" in s.text for s in spoken)
    assert "11:30 AM" in spoken[-1].text and "booked" in spoken[-1].text
    assert result.finished is not None and result.finished.outcome == "booking"
    # Everything landed in Postgres.
    assert result.rows["turns"] >= 16 and result.rows["transitions"] >= 6 and result.rows["slots"] >= 5
    # Both events were delivered, each verified by the receiver's signature check.
    assert sorted(e["type"] for e in result.delivered) == ["booking.created", "call.completed"]
    booking = next(e for e in result.delivered if e["type"] == "booking.created")
    assert booking["data"]["appointment"]["time"] == "11:30:00"
    assert booking["data"]["appointment"]["confirmation_code"] == result.confirmation_code
    assert not any("REJECTED" in line for line in lines)
    async with await Database.open(settings) as db:
        summary = await db.calls.get(result.call_id)
        assert summary.final_state == "booked"
