"""Answering-machine detection on a labelled set of synthesized greetings (tests/telephony/greetings.py),
frames fed straight to the detector (no real time): verdicts, and when the voicemail may start."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes.fixtures import requires_espeak
from voicebot.telephony.amd import GreetingDetector

from .greetings import GREETINGS, RATE, Greeting, frames, greeting_audio, silence

pytestmark = requires_espeak


def _run(g: Greeting) -> tuple[GreetingDetector, float | None, float]:
    audio, speech_end = greeting_audio(g)
    detector, ready_at = GreetingDetector(), None
    for frame in frames(audio):
        detector.push(frame, RATE)
        if ready_at is None and detector.ready_for_message():
            ready_at = detector.t
    return detector, ready_at, speech_end


@pytest.mark.parametrize("g", [g for g in GREETINGS if not g.hard], ids=lambda g: f"{g.label}:{g.text[:24]}")
def test_people_and_machines_are_told_apart(g: Greeting) -> None:
    detector, ready_at, speech_end = _run(g)
    assert detector.verdict == g.label
    if g.label == "human":
        assert (
            detector.decided_at is not None and detector.decided_at < speech_end + 1.0
        )  # the bot answers soon
    else:
        # the message starts after the greeting (and after the beep when there is one), never over it
        assert ready_at is not None and ready_at >= speech_end
        if g.beep:
            assert detector.beep_at is not None and ready_at - speech_end < 1.5


def test_the_known_limits_are_what_the_docs_say() -> None:
    """A long spoken answer is taken for a machine (documented in docs/telephony.md)."""
    long_human = next(g for g in GREETINGS if g.hard and g.label == "human")
    assert _run(long_human)[0].verdict == "machine"
    one_word_machine = next(g for g in GREETINGS if g.hard and g.label == "machine")
    assert _run(one_word_machine)[0].verdict == "machine"  # saved by its beep


def test_silence_is_uncertain_after_the_no_speech_timeout() -> None:
    detector = GreetingDetector()
    for frame in frames(silence(7.0)):
        detector.push(frame, RATE)
    assert detector.verdict == "uncertain" and detector.decided_at == pytest.approx(6.0, abs=0.05)


def test_a_tone_is_a_beep_but_a_voice_is_not() -> None:
    detector = GreetingDetector()
    for frame in frames(
        np.concatenate(
            [
                silence(0.2),
                (0.4 * 32767 * np.sin(2 * np.pi * 850 * np.arange(4000) / RATE)).astype(np.int16),
                silence(0.2),
            ]
        )
    ):
        detector.push(frame, RATE)
    assert detector.verdict == "machine" and detector.beep_at is not None


async def test_listening_waits_for_the_answer_so_ringback_is_not_a_beep() -> None:
    import asyncio

    from voicebot.telephony.voicemail import wait_answered

    attributes = {"sip.callStatus": "ringing"}
    waiting = asyncio.ensure_future(wait_answered(lambda: attributes, poll=0.01))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    attributes["sip.callStatus"] = "active"
    assert await asyncio.wait_for(waiting, 1) is True
    assert await wait_answered(lambda: {"sip.callStatus": "hangup"}) is False
    assert await wait_answered(lambda: {"sip.callStatus": "ringing"}, timeout=0.05, poll=0.01) is False
    assert await wait_answered(lambda: {}) is True  # not a SIP participant: nothing to wait for
