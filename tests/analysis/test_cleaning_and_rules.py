"""The pure parts of the post-call pipeline, table-style: checksums, slot spans, cleaning, sentiment,
discard reasons, cost, config layers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from voicebot.analysis import PriceTable, PrivacyPolicy, find_pii, redact_text, resolve_config
from voicebot.analysis.cleaning import clean_turn
from voicebot.analysis.config import AnalysisConfig
from voicebot.analysis.model import CallRecord, TurnRow
from voicebot.analysis.process import discard_reason, estimate_cost
from voicebot.analysis.recognizers import iban_valid, luhn_valid
from voicebot.analysis.redaction import SlotHeard
from voicebot.analysis.rules import sentiment
from voicebot.errors import ConfigError

T0 = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def test_checksums_keep_numbers_that_are_not_cards_or_ibans() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")
    assert find_pii("order 4111 1111 1111 1112 please", "en") == []  # fails Luhn: not a card


@pytest.mark.parametrize(
    ("text", "slot", "expected"),
    [
        ("it's anna lee", SlotHeard("patient_name", "text", "Anna Lee"), "it's [NAME]"),
        ("born on the fifth of May", SlotHeard("date_of_birth", "date", "1990-05-05"), "[DOB]"),
        ("yes please", SlotHeard("reason", "enum", "check-up"), "yes please"),  # not personal data
    ],
)
def test_a_pii_slot_is_redacted_where_heard_or_the_whole_turn(
    text: str, slot: SlotHeard, expected: str
) -> None:
    policy = PrivacyPolicy(mode="redact", recognizers=())
    assert redact_text(text, policy, slots=[slot]).text == expected


def test_policy_off_redacts_nothing() -> None:
    assert redact_text("card 4111 1111 1111 1111", PrivacyPolicy()).text == "card 4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("text", "lang", "cleaned", "kinds"),
    [
        (
            "Um, I I want to book for twenty five people",
            "en",
            "I want to book for 25 people",
            ["filler", "false_start", "number"],
        ),
        ("wan- want a table on the fifteenth", "en", "want a table on the 15th", ["false_start", "number"]),
        ("ну, эм, я хочу на на завтра", "ru", "я хочу на завтра", ["filler", "filler", "false_start"]),
        ("five five five one two", "en", "5 5 5 1 2", ["number"] * 5),
    ],
)
def test_cleaning_removes_fillers_and_false_starts_and_normalizes_numbers(
    text: str, lang: str, cleaned: str, kinds: list[str]
) -> None:
    result = clean_turn(text, lang)
    assert result.text == cleaned
    assert [c["kind"] for c in result.corrections] == kinds


def test_cleaning_lists_the_slots_as_the_nlu_understood_them() -> None:
    result = clean_turn("next tuesday", "en", slots=[("day", "2026-12-08")])
    assert result.corrections[-1] == {"kind": "slot", "slot": "day", "value": "2026-12-08"}


@pytest.mark.parametrize(
    ("texts", "lang", "label"),
    [
        (["thanks, that's great"], "en", "positive"),
        (["this is useless, terrible service"], "en", "negative"),
        (["not good at all"], "en", "negative"),
        (["спасибо, отлично"], "ru", "positive"),
        (["это ужасно, бесполезно"], "ru", "negative"),
        (["I need an appointment"], "en", "neutral"),
    ],
)
def test_sentiment_lexicon(texts: list[str], lang: str, label: str) -> None:
    assert sentiment(texts, lang)[0] == label


@pytest.mark.parametrize(
    ("text", "confidence", "reason"),
    [
        ("", None, "empty"),
        ("  ", None, "empty"),
        ("[noise]", None, "noise"),
        ("...", None, "noise"),
        ("asdfgh", None, "garbage"),
        ("yes", 0.1, "low_confidence"),
        ("yes", 0.9, None),
    ],
)
def test_discard_reasons(text: str, confidence: float | None, reason: str | None) -> None:
    meta = {} if confidence is None else {"stt_confidence": confidence}
    turn = TurnRow(0, "caller", text, None, T0, metadata=meta)
    assert discard_reason(turn, AnalysisConfig(low_confidence=0.3)) == reason


def test_cost_estimate_from_the_price_table() -> None:
    call = CallRecord(
        call_id=uuid.uuid4(),
        company_id=None,
        bot_id=None,
        bot_slug="b",
        language="en",
        direction="inbound",
        status="completed",
        end_reason="completed",
        final_state=None,
        started_at=T0,
        ended_at=T0 + dt.timedelta(minutes=2),
        outcome=None,
        scenario_version_id=None,
        turns=(TurnRow(0, "bot", "x" * 1000, None, T0), TurnRow(1, "bot", "y" * 400, None, T0, llm_ms=300.0)),
    )
    cost = estimate_cost(call, PriceTable(stt_per_minute=0.01, tts_per_1k_chars=0.02, llm_per_1k_tokens=1.0))
    assert cost.stt_seconds == 120 and cost.tts_characters == 1400 and cost.llm_tokens == 100
    assert cost.total == pytest.approx(0.02 + 0.028 + 0.1)


def test_config_layers_later_wins_and_bad_values_are_named() -> None:
    config = resolve_config([{"reask_limit": 5}, {"reask_limit": 1, "use_llm": True}])
    assert config.reask_limit == 1 and config.use_llm and config.long_silence_seconds == 8.0
    with pytest.raises(ConfigError, match="long_silence_seconds=-1"):
        resolve_config([{"long_silence_seconds": -1}])
