"""An outbound call's per-number variables (a campaign's extra columns): a variable named like a slot
fills it before the greeting, read and validated like an answer; the bot then does not ask for it."""

from __future__ import annotations

from pathlib import Path

from voicebot.dialogue import CallContext, Conversation, Engine, compile_scenario
from voicebot.dialogue.actions import Say
from voicebot.dialogue.events import Utterance
from voicebot.scenario import load_file

CLINIC = Path(__file__).resolve().parents[2] / "scenarios" / "clinic.yaml"


async def test_variables_named_like_slots_fill_them_and_bad_ones_are_ignored() -> None:
    compiled = compile_scenario(load_file(CLINIC).scenario)
    variables = {"patient_name": "John Smith", "birth_date": "not a date", "loyalty_tier": "gold"}
    conversation = Conversation(
        Engine(compiled), CallContext(call_id="c", direction="outbound", variables=variables), bot_id="clinic"
    )
    await conversation.start()
    assert conversation.call.slots.get("patient_name") == "John Smith"
    assert "birth_date" not in conversation.call.slots and "loyalty_tier" not in conversation.call.slots
    reply = await conversation.send(Utterance("I'd like to book an appointment"))
    said = " ".join(a.text for a in reply.actions if isinstance(a, Say))
    assert "full name" not in said and "date of birth" in said  # the name is known already
