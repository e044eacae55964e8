"""Job dispatch to the greeting's first audio byte: voicebot's call against a bare LiveKit echo job.

Run: ``python bench/bench_greeting.py [--jobs 4] [--rounds 2]`` (results in docs/performance.md).

LiveKit keeps prewarmed idle job processes (forked from its forkserver, ``prewarm`` already run) and
hands one a job when a call arrives. This bench does the same with a multiprocessing forkserver started
with the modules LiveKit preloads (``livekit.agents.ipc._preload``, local inference off, then
``_preload_freeze``) plus, for voicebot with preload, :mod:`voicebot.telephony.preload` (which also
compiles the deployed bot's scenario from Postgres). Each job process runs its prewarm (Silero VAD:
loaded, or the forkserver's copy), says it is ready, and waits; the parent then dispatches it (the clock
starts) and the job runs its entrypoint until the first audio frame of its first utterance reaches the
caller's speaker:

* ``bare echo``: an ``AgentSession`` with the real Deepgram and Cartesia plugins (against local fakes
  over loopback) and an agent that says the greeting on enter: what a bare LiveKit job pays;
* ``voicebot``: the production entrypoint: ``open_call_services`` (its pool, recorder, outcome
  services, actions) and ``answer_call`` on a line with the SIP attributes of a call to the bot's
  number (bot lookup in Postgres, scenario from the process cache, session start, greeting), with the
  same plugins and fakes; with and without the forkserver preload.

The fake Cartesia synthesises with espeak-ng, the same first sentence for every job, so its share is
the same for all. Each configuration gets its own forkserver; the configurations alternate per round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.forkserver import LIVEKIT_PRELOAD, PLUGINS, started_forkserver, stop_forkserver  # noqa: E402

NUMBER = "+14155550100"
GREETING = "Hello, thanks for calling the corner shop."
SCENARIO = f"""\
version: 1
bot: {{id: shop, name: Shop, language: en, greeting: "{GREETING}"}}
start: menu
states:
  menu:
    say: "Say sales to order."
    transitions:
      - {{fallback: true, to: done}}
  done: {{say: "Goodbye.", end: true, outcome: lead}}
"""


def job(kind: str, ready: Any, go: Any, out: Any) -> None:
    """A prewarmed job process: prewarm, report ready, wait for the dispatch, run to the first byte."""
    import importlib

    # the entrypoint's modules are imported by the time a prewarmed process idles (LiveKit imports the
    # worker's module, which imports what its entrypoint uses)
    for name in ["livekit.agents", *PLUGINS, "tests.fakes"]:
        importlib.import_module(name)
    if kind == "voicebot":
        for name in ["tests.telephony.lines", "voicebot.runtime", "voicebot.telephony.answer"]:
            importlib.import_module(name)
        from voicebot.telephony.preload import preloaded_vad
        from voicebot.telephony.session import load_vad

        vad = preloaded_vad() or load_vad()
    else:
        from livekit.plugins import silero

        vad = silero.VAD.load()
    asyncio.run(
        _throwaway(vad)
    )  # built once and dropped: the lazy imports and first-use set-up of the plugins happen
    # here, in prewarm, for both kinds (a bare job would otherwise pay them after dispatch)
    ready.set()
    go.wait()
    dispatched = time.time()
    first, opened = asyncio.run(_entry(kind, vad))
    out.put({"first_byte_ms": (first - dispatched) * 1000, "services_ms": (opened - dispatched) * 1000})


async def _entry(kind: str, vad: Any) -> tuple[float, float]:
    from livekit.agents.utils import http_context

    async with http_context.open():
        if kind == "voicebot":
            return await _voicebot(vad)
        return await _bare(vad)


async def _throwaway(vad: Any) -> None:
    await _session(vad).aclose()


def _session(vad: Any) -> Any:
    from livekit.agents import AgentSession
    from livekit.plugins import cartesia, deepgram

    from voicebot.telephony.session import NO_PREEMPTION

    return AgentSession(
        stt=deepgram.STT(api_key=os.environ["DEEPGRAM_API_KEY"], base_url=os.environ["DEEPGRAM_BASE_URL"]),
        tts=cartesia.TTS(api_key=os.environ["CARTESIA_API_KEY"], base_url=os.environ["CARTESIA_BASE_URL"]),
        vad=vad,
        # the same session options as voicebot's call session (telephony/session.py), so only the
        # entrypoints differ: VAD turn-taking, no preemptive generation, no echo-cancellation warm-up
        turn_handling={"turn_detection": "vad", "preemptive_generation": NO_PREEMPTION},  # type: ignore[arg-type]
        aec_warmup_duration=None,
    )


async def _bare(vad: Any) -> tuple[float, float]:
    from livekit.agents import Agent

    from tests.fakes import attach_call_audio

    session = _session(vad)
    _, speaker = attach_call_audio(session)

    class Echo(Agent):
        async def on_enter(self) -> None:
            self.session.say(GREETING)

    opened = time.time()
    await session.start(Echo(instructions="Repeat what the caller says."))
    segment = await speaker.wait_segment_started(0, timeout=30)
    assert segment.started_at is not None
    await session.aclose()
    return segment.started_at, opened


async def _voicebot(vad: Any) -> tuple[float, float]:
    from livekit import api

    from tests.telephony.lines import AudioLine
    from voicebot.runtime import open_call_services
    from voicebot.settings import Settings
    from voicebot.telephony.answer import answer_call

    services, close = await open_call_services(Settings.from_env(), vad=vad)
    opened = time.time()
    client = api.LiveKitAPI(
        url=os.environ["LIVEKIT_URL"],
        api_key=os.environ["LIVEKIT_API_KEY"],
        api_secret=os.environ["LIVEKIT_API_SECRET"],
    )
    try:
        line = AudioLine(client, dialed=NUMBER)
        call = asyncio.create_task(answer_call(line, services))
        while not line.started.is_set() and not call.done():
            await asyncio.sleep(0.001)
        segment = await line.speaker.wait_segment_started(0, timeout=30)
        assert segment.started_at is not None
        line.hang_up()
        await asyncio.wait_for(call, 30)
    finally:
        await close()
        await client.aclose()
    return segment.started_at, opened


def run(kind: str, preload: list[str], jobs: int) -> list[dict[str, float]]:
    ctx = started_forkserver(preload)
    results = []
    for _ in range(jobs):
        ready, go, out = ctx.Event(), ctx.Event(), ctx.Queue()
        p = ctx.Process(target=job, args=(kind, ready, go, out))
        p.start()
        if not ready.wait(120):
            raise RuntimeError(f"{kind} job did not prewarm")
        time.sleep(0.3)  # idle, as a prewarmed process waits for its job
        go.set()
        results.append(out.get(timeout=120))
        p.join(30)
    stop_forkserver()  # a new forkserver for the next configuration
    return results


def _serve_fakes(ready: threading.Event, box: dict[str, Any]) -> None:
    from tests.fakes import FakeCartesia, FakeDeepgram, FakeLiveKitServer

    async def main() -> None:
        async with FakeDeepgram() as dg, FakeCartesia() as ca, FakeLiveKitServer() as lk:
            box.update(dg=dg, ca=ca, lk=lk, stop=asyncio.Event(), loop=asyncio.get_running_loop())
            ready.set()
            await box["stop"].wait()

    asyncio.run(main())


async def _deploy(url: str) -> None:
    from voicebot.scenario import load_text
    from voicebot.settings import Settings
    from voicebot.storage import Database

    db = await Database.open(Settings.from_env({"DATABASE_URL": url}), auto_migrate=True)
    try:
        company = await db.companies.create("Corner Shop")
        await db.bots.deploy(company.company.id, NUMBER, load_text(SCENARIO, "shop.yaml"))
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=4, help="jobs per configuration and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from voicebot.storage import EmbeddedPostgres

    cluster = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="vb-greet-pg-")), fast=True)
    url = cluster.start()
    ready, box = threading.Event(), {}
    fakes = threading.Thread(target=_serve_fakes, args=(ready, box), daemon=True)
    fakes.start()
    ready.wait(30)
    try:
        asyncio.run(_deploy(url))
        os.environ.update(
            {
                "LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE": "0",
                "DATABASE_URL": url,
                "VOICEBOT_DATA_DIR": tempfile.mkdtemp(prefix="vb-greet-data-"),
                "DEEPGRAM_API_KEY": box["dg"].api_key,
                "DEEPGRAM_BASE_URL": box["dg"].base_url,
                "CARTESIA_API_KEY": box["ca"].api_key,
                "CARTESIA_BASE_URL": box["ca"].base_url,
                "LIVEKIT_URL": box["lk"].url,
                "LIVEKIT_API_KEY": box["lk"].api_key,
                "LIVEKIT_API_SECRET": box["lk"].api_secret,
                "VOICEBOT_LOG_LEVEL": "warning",
            }
        )
        os.environ.pop("OPENAI_API_KEY", None)
        configs = [
            ("bare echo", "bare", PLUGINS + LIVEKIT_PRELOAD),
            ("voicebot, no preload", "voicebot", PLUGINS + LIVEKIT_PRELOAD),
            ("voicebot, preload", "voicebot", [*PLUGINS, "voicebot.telephony.preload", *LIVEKIT_PRELOAD]),
        ]
        rows: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in configs}
        for r in range(args.rounds):
            for name, kind, preload in configs if r % 2 == 0 else configs[::-1]:
                rows[name].extend(run(kind, preload, args.jobs))
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        fakes.join(10)
        cluster.destroy()
    bare = statistics.median(r["first_byte_ms"] for r in rows["bare echo"])
    print(f"dispatch -> greeting first audio byte ({args.rounds} rounds x {args.jobs} jobs; medians, p90)")
    for name, results in rows.items():
        firsts = sorted(r["first_byte_ms"] for r in results)
        med = statistics.median(firsts)
        services = statistics.median(r["services_ms"] for r in results)
        p90 = firsts[min(len(firsts) - 1, int(len(firsts) * 0.9))]
        print(
            f"  {name:22s} first byte {med:7.1f} ms (p90 {p90:7.1f}; {med - bare:+7.1f} beyond bare), "
            f"entrypoint set-up {services:6.1f} ms"
        )


if __name__ == "__main__":
    main()
