"""An outbound call's id comes from its dispatch metadata, so campaign attempts and POST /v1/calls can
find the call (and its outcome) the worker records."""

from __future__ import annotations

import json
import uuid

from voicebot.telephony.answer import call_target


def test_the_dispatchers_call_id_is_the_calls_id() -> None:
    call_id = uuid.uuid4()
    meta = {
        "direction": "outbound",
        "bot_number": "+4930901800",
        "to": "+4930901801",
        "call_id": str(call_id),
    }
    target = call_target({}, json.dumps(meta))
    assert (target.direction, target.bot_number, target.caller_number) == (
        "outbound",
        "+4930901800",
        "+4930901801",
    )
    assert target.call_id == call_id


def test_a_missing_or_bad_call_id_leaves_the_worker_to_choose() -> None:
    assert call_target({}, json.dumps({"direction": "outbound", "call_id": "nope"})).call_id is None
    assert call_target({}, json.dumps({"direction": "outbound"})).call_id is None
    inbound = call_target({"sip.trunkPhoneNumber": "+4930901800"}, json.dumps({"call_id": str(uuid.uuid4())}))
    assert inbound.direction == "inbound" and inbound.call_id is None


def test_the_dialers_metadata_carries_the_variables_to_the_call() -> None:
    meta = {"direction": "outbound", "bot_number": "+15550001111", "to": "+4930901800",
            "variables": {"patient_name": "Ann Lee", "n": 3, "gone": None}}  # fmt: skip
    target = call_target({}, json.dumps(meta))
    assert target.variables == {"patient_name": "Ann Lee", "n": "3"}
    assert call_target({}, json.dumps({**meta, "variables": ["x"]})).variables == {}
