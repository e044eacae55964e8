"""Per-state turn-taking against today's single setting, over the local vendor fakes (bench_telephony.py).

One call walks a yes/no, a name, a phone number and an 8-digit account number (spoken in one breath),
then reads account numbers in groups with pauses (``four five six seven`` .. ``one two three four``).
Two settings run in the same process, interleaved call by call (the order alternates per round):

* ``per-state``: the built-in presets (yes/no ``short``, phone ``long``, digits ``digits``) applied live
  by ``telephony.turns.LiveTurnTaking``;
* ``single``: every kind pinned to ``normal`` (livekit's default 0.5 s / 3.0 s, what every state had).

Measured: voice-to-voice per slot type (caller's last audio frame -> the bot's first audible frame) and
the premature-cut rate: the share of paused digit readings the bot answered before the caller finished
(the first caller turn did not contain all groups). Audio is espeak-ng, Deepgram's final ~300 ms and
Cartesia's first byte ~90 ms are injected, end of turn is Silero VAD as in production.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

SCENARIO = """
version: 1
bot: {id: turns, name: Turns, language: en, greeting: "Hello."}
settings: {max_retries: 0, no_input_seconds: 60%s}
slots:
  ok: {type: yes_no, prompt: "Is this your first call?"}
  name: {type: text, prompt: "Your name?"}
  phone: {type: phone, prompt: "Your phone number?"}
  account: {type: text, input: [speech, dtmf], digits: 8, prompt: "Your account number?"}
  again: {type: text, input: [speech, dtmf], digits: 8, prompt: "Once more, your account number?"}
start: yn
states:
  yn:
    collect: [ok]
    transitions: [{when: "filled('ok')", to: who}, {fallback: true, to: who}]
  who:
    collect: [name]
    transitions: [{when: "filled('name')", to: tel}, {fallback: true, to: tel}]
  tel:
    collect: [phone]
    transitions: [{when: "filled('phone')", to: acct}, {fallback: true, to: acct}]
  acct:
    collect: [account]
    transitions: [{when: "filled('account')", to: loop}, {fallback: true, to: loop}]
  loop:
    clear: [again]
    collect: [again]
    transitions: [{when: "filled('again')", to: loop}, {fallback: true, to: loop}]
"""
SINGLE = (
    ", turn_taking: {default: normal, yes_no: normal, phone: normal, email: normal, digits: normal,"
    " menu: normal}"
)
ANSWERS = [
    ("yes_no", "yes"),
    ("text", "John Smith"),
    ("phone", "four one five five five five zero one nine nine"),
    ("digits", "one two three four five six seven eight"),
]
GROUPS = ["four five six seven", "one two three four"]
PAUSE = 0.8
"""Seconds between two groups of digits (people reading a number pause 0.5-1.5 s)."""


async def _call(setting: str, vad: Any, pause_trials: int) -> tuple[dict[str, float], list[bool]]:
    from livekit.agents import AgentSession
    from livekit.agents.utils import http_context

    from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeCartesia, FakeDeepgram
    from voicebot.dialogue import CallContext, Conversation, Engine, compile_scenario
    from voicebot.scenario import load_text
    from voicebot.scenario.model import Providers
    from voicebot.storage.records import Record, Turn
    from voicebot.telephony.bridge import CallAgent, NullControl
    from voicebot.telephony.recording import CallInfo
    from voicebot.telephony.session import ProviderConfig, audio_session

    source = SCENARIO % (SINGLE if setting == "single" else "")
    engine = Engine(compile_scenario(load_text(source).scenario))
    records: list[Record] = []
    v2v: dict[str, float] = {}
    cuts: list[bool] = []
    async with http_context.open(), FakeDeepgram(final_latency=0.3) as dg, FakeCartesia(ttfb=0.09) as ct:
        config = ProviderConfig(dg.api_key, dg.base_url, ct.api_key, ct.base_url)
        session: AgentSession[None] = audio_session(Providers(), "en", config, vad_model=vad)
        caller, speaker = CallerAudioInput(), CapturingAudioOutput()
        session.input.audio, session.output.audio = caller, speaker
        agent = CallAgent(
            Conversation(engine, CallContext(), bot_id="turns"),
            info=CallInfo(uuid.uuid4(), None, "turns"),
            record=records.append,
            control=NullControl(),
            no_input_timer=False,
        )
        await session.start(agent)
        await speaker.wait_segment_finished(0, timeout=20)
        segment = 1
        for kind, line in ANSWERS:
            dg.script(line)
            said = await caller.say_and_wait(line)
            heard = await speaker.wait_segment_finished(segment, timeout=20)
            segment += 1
            assert heard.started_at is not None and said.ended_at is not None
            v2v[kind] = (heard.started_at - said.ended_at) * 1000
            await asyncio.sleep(0.3)
        for _ in range(pause_trials):
            before = sum(1 for r in records if isinstance(r, Turn) and r.role == "caller")
            for i, group in enumerate(GROUPS):
                dg.script(group)
                if i:
                    caller.pause(PAUSE)
                caller.say(group)
            while not caller.idle:
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 8
            await asyncio.sleep(2.5)  # the longest end of turn (digits: 1.8 s) and the reply
            while speaker.playing and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            turns = [r for r in records if isinstance(r, Turn) and r.role == "caller"][before:]
            first = turns[0].text if turns else ""
            cuts.append(first.split() != " ".join(GROUPS).split())
            await asyncio.sleep(0.5)
        caller.close()
        await agent.aclose_tasks()
        await session.aclose()
        await speaker.aclose()
    return v2v, cuts


async def per_state_turn_taking(rounds: int = 1, pause_trials: int = 3) -> dict[str, Any]:
    """Run both settings ``rounds`` times, interleaved; print and return the figures."""
    from livekit.plugins import silero

    vad = silero.VAD.load()
    v2v: dict[str, dict[str, list[float]]] = {"per-state": {}, "single": {}}
    cuts: dict[str, list[bool]] = {"per-state": [], "single": []}
    for r in range(rounds):
        order = ("per-state", "single") if r % 2 == 0 else ("single", "per-state")
        for setting in order:
            times, cut = await _call(setting, vad, pause_trials)
            for kind, ms in times.items():
                v2v[setting].setdefault(kind, []).append(ms)
            cuts[setting].extend(cut)
    vad.update_options(min_silence_duration=0.55)
    for setting in ("per-state", "single"):
        per_kind = ", ".join(
            f"{kind} {statistics.median(values):.0f} ms" for kind, values in v2v[setting].items()
        )
        rate = sum(cuts[setting]) / max(1, len(cuts[setting]))
        print(
            f"turn-taking {setting}: voice-to-voice {per_kind}; premature cuts on digits read in "
            f"{len(GROUPS)} groups with {PAUSE:.1f} s pauses: {sum(cuts[setting])}/{len(cuts[setting])} "
            f"({rate:.0%})"
        )
    return {"v2v": v2v, "cuts": cuts}
