"""Telephony benchmark: what the runtime adds to a turn, concurrent sessions, voice-to-voice latency.

Run: ``python bench/bench_telephony.py [--skip-audio] [--ratio-only]`` (results: docs/performance.md).

0. Fair ratio: voicebot's turn against an echo agent that trims its chat history exactly as voicebot
   does (``TrimmedEchoAgent``), several fresh calls, turns interleaved with alternating order. The
   figure the goal is judged by is ``bench/bench_turn.py``: the same baseline against voicebot wired
   as a worker job wires it (action port, recorder), with an order that does not alias with the lines.
1. Ratio (kept for comparison with earlier runs; its echo baseline keeps its whole history, so it
   grows slower every turn and flatters voicebot): a text-mode turn through voicebot's session code
   (bridge + engine + recording) against a bare
   AgentSession turn whose agent only echoes, measured alternately in the same run. Goal: <= 1.2.
2. Concurrency: 100 text sessions in one process, all talking at once, then a sweep of 10-100 sessions
   with ~1 s think time; each against bare echo sessions in the same run. Goal: turn p99 < 50 ms.
4. ``--turn-taking [ROUNDS]``: per-state turn-taking against today's single setting, voice-to-voice per
   slot type and the premature-cut rate on digits read with pauses (bench/turn_taking.py), alone.
3. Voice-to-voice over the fake vendors with their published latencies injected (Deepgram final
   transcript ~300 ms, Cartesia first byte ~90 ms): caller stops speaking -> first audible frame, for the
   echo agent and for voicebot, so the runtime's own share is the difference. Needs espeak-ng.
Zero LLM calls on template states is asserted throughout (the session LLM raises if it is ever asked).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from livekit.agents import Agent, ModelSettings, llm  # noqa: E402

from voicebot.dialogue import Engine, Say, compile_scenario  # noqa: E402
from voicebot.scenario import load_text  # noqa: E402
from voicebot.telephony.bridge import HISTORY_ITEMS  # noqa: E402
from voicebot.telephony.session import text_session  # noqa: E402
from voicebot.telephony.textcall import TextCall  # noqa: E402

LOOP = """
version: 1
bot: {id: loop, name: Loop, language: en, greeting: "Hello."}
intents:
  order: {examples: [I want to order a pizza, place an order]}
start: listen
states:
  listen:
    say: "Got it. Anything else?"
    transitions:
      - {intent: order, to: listen}
      - {event: utterance, to: listen}
      - {fallback: true, to: listen}
"""
LINES = ["I want to order a pizza", "what time do you close", "two large ones please", "thanks"]


class EchoAgent(Agent):
    """The baseline: an agent that only echoes, with no engine and no recording."""

    def __init__(self) -> None:
        super().__init__(instructions="")

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[str]:
        yield chat_ctx.items[-1].text_content or ""  # type: ignore[union-attr]


class TrimmedEchoAgent(EchoAgent):
    """The fair baseline: the echo agent with voicebot's chat-history policy (CallAgent._trim_history:
    past ``2 * HISTORY_ITEMS`` items, truncate to ``HISTORY_ITEMS``), so both keep the same history."""

    def __init__(self) -> None:
        super().__init__()
        self._trimming = False

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[str]:
        yield chat_ctx.items[-1].text_content or ""  # type: ignore[union-attr]
        if len(self.chat_ctx.items) > 2 * HISTORY_ITEMS and not self._trimming:
            self._trimming = True
            asyncio.get_running_loop().create_task(self._trim())

    async def _trim(self) -> None:
        try:
            await self.update_chat_ctx(self.chat_ctx.copy().truncate(max_items=HISTORY_ITEMS))
        finally:
            self._trimming = False


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def engine() -> Engine:
    return Engine(compile_scenario(load_text(LOOP).scenario))


async def ratio(turns: int = 600) -> None:
    bare = text_session()
    await bare.start(EchoAgent())
    records: list[Any] = []
    async with TextCall(engine(), bot_id="loop", record=records.append) as call:
        ours: list[float] = []
        base: list[float] = []
        for i in range(turns + 100):
            line = LINES[i % len(LINES)]
            t0 = time.perf_counter()
            await bare.run(user_input=line)
            t1 = time.perf_counter()
            results = await call.say(line)
            t2 = time.perf_counter()
            assert any(isinstance(a, Say) for r in results for a in r.actions)
            if i >= 100:
                base.append((t1 - t0) * 1000)
                ours.append((t2 - t1) * 1000)
    await bare.aclose()
    b, o = statistics.median(base), statistics.median(ours)
    print(
        f"ratio: bare echo turn median {b:.3f} ms p99 {pct(base, 0.99):.3f} ms; "
        f"voicebot turn median {o:.3f} ms p99 {pct(ours, 0.99):.3f} ms; ratio {o / b:.3f} (goal <= 1.2); "
        f"records written {len(records)}"
    )


async def fair_ratio(calls: int = 6, turns: int = 200, warmup: int = 30) -> float:
    """voicebot's turn against the trimmed echo baseline: ``calls`` fresh call pairs, turns interleaved
    (which of the pair goes first alternates every turn), the first ``warmup`` turns of each call
    dropped. Returns the ratio of medians over all calls."""
    base: list[float] = []
    ours: list[float] = []
    per_call: list[float] = []
    for c in range(calls):
        bare = text_session()
        echo = TrimmedEchoAgent()
        await bare.start(echo)
        async with TextCall(engine(), bot_id="loop", record=lambda r: None) as call:
            b_call: list[float] = []
            o_call: list[float] = []
            for i in range(turns + warmup):
                line = LINES[i % len(LINES)]
                for who in ("bare", "ours") if (i + c) % 2 == 0 else ("ours", "bare"):
                    t0 = time.perf_counter()
                    if who == "bare":
                        await bare.run(user_input=line)
                    else:
                        results = await call.say(line)
                        assert any(isinstance(a, Say) for r in results for a in r.actions)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if i >= warmup:
                        (b_call if who == "bare" else o_call).append(elapsed)
            history = (len(echo.chat_ctx.items), len(call.agent.chat_ctx.items))
        await bare.aclose()
        base += b_call
        ours += o_call
        per_call.append(statistics.median(o_call) / statistics.median(b_call))
    b, o = statistics.median(base), statistics.median(ours)
    print(
        f"fair ratio ({calls} calls x {turns} turns, interleaved, same history policy; agent "
        f"history at the end of the last call: echo {history[0]}, voicebot {history[1]} items): "
        f"trimmed echo median {b:.3f} ms p99 {pct(base, 0.99):.3f} ms; "
        f"voicebot median {o:.3f} ms p99 {pct(ours, 0.99):.3f} ms; ratio {o / b:.3f} (goal <= 1.2); "
        f"per call {[round(r, 3) for r in per_call]}"
    )
    return o / b


class _Bare:
    """A bare echo session with TextCall's shape (the concurrency baseline)."""

    async def __aenter__(self) -> _Bare:
        self.session = text_session()
        await self.session.start(EchoAgent())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.aclose()

    async def say(self, line: str) -> None:
        await self.session.run(user_input=line)


async def concurrency(
    sessions: int = 100, turns: int = 20, think: float = 0.0, kind: str = "voicebot"
) -> float:
    """``think``: mean pause between a session's turns (s); 0 = every caller talks at once, non-stop.
    ``kind``: voicebot's TextCall, or "bare" echo sessions (the baseline). Returns the turn p99 (ms)."""
    import random

    latencies: list[float] = []
    rng = random.Random(7)
    ready = 0
    go = asyncio.Event()

    async def one(n: int) -> None:
        nonlocal ready
        call: Any = _Bare() if kind == "bare" else TextCall(engine(), bot_id="loop", record=lambda r: None)
        async with call:
            ready += 1
            if ready == sessions:
                go.set()
            await go.wait()  # all sessions answered before the turns are timed
            for i in range(turns):
                if think:
                    await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                t0 = time.perf_counter()
                await call.say(LINES[(n + i) % len(LINES)])
                latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(sessions)))
    wall = time.perf_counter() - t0
    mode = f"think time ~{think:g} s" if think else "no think time (all talk at once)"
    p99 = pct(latencies, 0.99)
    print(
        f"concurrency {kind} ({mode}): {sessions} sessions x {turns} turns in {wall:.2f} s "
        f"({sessions * turns / wall:.0f} turns/s); turn p50 {pct(latencies, 0.5):.2f} ms "
        f"p99 {p99:.2f} ms max {max(latencies):.2f} ms (goal p99 < 50 ms)"
    )
    return p99


async def sweep(sizes: tuple[int, ...] = (10, 25, 50, 75, 100), think: float = 1.0) -> None:
    """p99 against the number of sessions, voicebot and the bare baseline alternately in one run."""
    for n in sizes:
        for kind in ("bare", "voicebot"):
            await concurrency(n, turns=15, think=think, kind=kind)


async def voice_to_voice(rounds: int = 3) -> None:
    import uuid

    from livekit.agents import AgentSession
    from livekit.agents.utils import http_context
    from livekit.plugins import silero

    from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeCartesia, FakeDeepgram
    from voicebot.dialogue import CallContext, Conversation
    from voicebot.scenario.model import Providers
    from voicebot.telephony.bridge import CallAgent, NullControl
    from voicebot.telephony.recording import CallInfo
    from voicebot.telephony.session import ProviderConfig, audio_session

    vad = silero.VAD.load()

    async def measure(kind: str) -> list[float]:
        out: list[float] = []
        async with http_context.open(), FakeDeepgram(final_latency=0.3) as dg, FakeCartesia(ttfb=0.09) as ct:
            config = ProviderConfig(dg.api_key, dg.base_url, ct.api_key, ct.base_url)
            session: AgentSession[None] = audio_session(Providers(), "en", config, vad_model=vad)
            caller, speaker = CallerAudioInput(), CapturingAudioOutput()
            session.input.audio, session.output.audio = caller, speaker
            if kind == "echo":
                agent: Agent = EchoAgent()
            else:
                agent = CallAgent(
                    Conversation(engine(), CallContext(), bot_id="loop"),
                    info=CallInfo(uuid.uuid4(), None, "loop"),
                    record=lambda r: None,
                    control=NullControl(),
                    no_input_timer=False,
                )
            await session.start(agent)
            segment = 0
            if kind != "echo":
                await speaker.wait_segment_finished(0, timeout=20)  # the greeting
                segment = 1
            for i in range(rounds):
                dg.script(LINES[i % len(LINES)])
                said = await caller.say_and_wait(LINES[i % len(LINES)])
                heard = await speaker.wait_segment_finished(segment, timeout=20)
                segment += 1
                assert heard.started_at is not None and said.ended_at is not None
                out.append((heard.started_at - said.ended_at) * 1000)
                await asyncio.sleep(0.5)
            caller.close()
            await session.aclose()
            await speaker.aclose()
        return out

    echo = await measure("echo")
    ours = await measure("voicebot")
    e, o = statistics.median(echo), statistics.median(ours)
    print(
        f"voice-to-voice (Deepgram final 300 ms, Cartesia TTFB 90 ms injected; VAD end-of-turn): "
        f"echo median {e:.0f} ms {[round(x) for x in echo]}; voicebot median {o:.0f} ms "
        f"{[round(x) for x in ours]}; runtime share {o - e:+.0f} ms"
    )


async def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    if "--turn-taking" in sys.argv:
        from bench.turn_taking import per_state_turn_taking

        rest = sys.argv[sys.argv.index("--turn-taking") + 1 :]
        await per_state_turn_taking(rounds=int(rest[0]) if rest and rest[0].isdigit() else 1)
        return
    await fair_ratio()
    if "--ratio-only" in sys.argv:
        return
    await ratio()
    await concurrency(kind="bare")
    await concurrency()
    await sweep()
    if "--skip-audio" not in sys.argv:
        await voice_to_voice()


if __name__ == "__main__":
    asyncio.run(main())
