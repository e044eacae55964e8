"""Records are value classes: immutable to the type checker, equal and hashable by their fields."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

from mypy import api as mypy_api

from voicebot.storage.records import CallStarted, Turn

CALL = uuid.UUID("dddddddd-0000-4000-8000-000000000001")


def test_mypy_rejects_changing_a_record(tmp_path: Path) -> None:
    snippet = tmp_path / "change_a_record.py"
    snippet.write_text(
        textwrap.dedent(
            """
            import uuid
            from voicebot.storage.records import Turn

            turn = Turn(uuid.uuid4(), 0, "caller", "hello")
            turn.text = "something else"
            """
        )
    )
    out, _err, status = mypy_api.run([str(snippet), "--follow-imports=silent", "--no-error-summary"])
    assert status == 1
    assert 'Property "text" defined in "Turn" is read-only' in out


def test_records_compare_and_hash_by_their_fields() -> None:
    at = Turn(CALL, 0, "caller", "hello").at
    assert Turn(CALL, 0, "caller", "hello", at=at) == Turn(CALL, 0, "caller", "hello", at=at)
    assert Turn(CALL, 0, "caller", "hello", at=at) != Turn(CALL, 1, "caller", "hello", at=at)
    started = [CallStarted(CALL, None, "inbound", None, None, None, started_at=at) for _ in range(2)]
    assert len(set(started)) == 1  # hashable as a frozen dataclass is (one without dict fields)
