"""Replay benchmark: 10,000 recorded calls of 20 caller turns replayed on a scenario, offline.

    python bench/bench_replay.py [--calls 10000] [--unique 500] [--database-url URL]

1. Record ``unique`` calls of the salon scenario (20 caller turns each: questions, repairs, the booking,
   a correction) the way a phone call records them: the real engine and conversation driver, the
   bridge's record-making code (``telephony.recording.CallLog``: turns, transitions, slots,
   checkpoints, the end record with the decision) and the real write-behind ``Recorder`` into
   Postgres (DATABASE_URL's server in a scratch database, or a throwaway embedded cluster).
2. Read them back as a replay does (``Recordings``, batches of 500) and reshape them (``recorded_call``).
3. Baseline, same run: the engine's own cost for the same inputs (``Engine.start`` + ``Engine.handle``
   per input, nothing else).
4. Replay ``calls`` calls (the recorded ones in turn, as many rounds as it takes) with
   ``replay_calls``: driver, recorded knowledge/LLM ports, injected clock, comparison and verdicts.

Results are recorded in docs/performance.md ("Replay").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import bench_server, fresh_database
from voicebot.dialogue import CallContext, CallFinished, Conversation, Engine, Say, TurnResult, Utterance
from voicebot.replay import Replayer, recorded_call, replay_calls
from voicebot.runtime import compiled_for
from voicebot.scenario import load_file
from voicebot.storage import (
    Bots,
    Companies,
    Journal,
    PostgresSink,
    Recorder,
    create_pool,
)
from voicebot.storage.repositories.recordings import Recordings
from voicebot.telephony.recording import CallInfo, CallLog, replay_facts

ROOT = Path(__file__).resolve().parents[1]
TIMES = ["в 12:00", "в 13:00", "в 14:00", "в 15:00", "в 16:00"]
NAMES = ["Анна", "Мария", "Ольга", "Ирина", "Светлана"]


def script(i: int) -> list[str]:
    """20 caller turns: questions on the way, repairs, the booking, a correction at the read-back."""
    return [
        "сколько стоит маникюр?",
        "а где вы находитесь?",
        "что?",
        "подождите",
        "хочу записаться",
        "сколько стоит стрижка?",
        "на стрижку",
        "повторите",
        "в субботу",
        TIMES[i % len(TIMES)],
        "какой у вас адрес?",
        NAMES[i % len(NAMES)],
        "что?",
        "подождите",
        "нет, я сказала в 17:00",
        "повторите",
        "сколько стоит педикюр?",
        "подождите",
        "что?",
        "да",
    ]


async def record_one(engine: Engine, log: CallLog, caller: str, lines: list[str]) -> None:
    """One call, recorded as the bridge records it (CallLog: caller turn, engine records, bot turn)."""
    log.started()
    call_id = str(log.info.call_id)
    conversation = Conversation(engine, CallContext(call_id, caller, "+74950000001"), bot_id="salon")
    finished: CallFinished | None = None

    def book(result: TurnResult, seq: int | None) -> None:
        nonlocal finished
        log.actions(result, conversation.call, turn_seq=seq)
        finished = next((a for a in result.actions if isinstance(a, CallFinished)), finished)
        says = [a for a in result.actions if isinstance(a, Say)]
        if says:
            meta = {"source": sorted({a.source for a in says}), **replay_facts(result)}
            log.turn("bot", " ".join(a.text for a in says), state=conversation.call.state, metadata=meta)

    book(await conversation.start(), None)
    for line in lines:
        if conversation.ended:
            break
        seq = log.turn("caller", line, state=conversation.call.state)
        book(await conversation.send(Utterance(line)), seq)
    state = conversation.call
    log.finished(finished, end_reason=state.end_reason or "caller_hangup", final_state=state.state)


async def record(pool: Any, journal: Path, unique: int) -> tuple[list[uuid.UUID], Any]:
    loaded = load_file(ROOT / "scenarios" / "salon.yaml")
    company = await Companies(pool).create("Bench")
    deployed = await Bots(pool).deploy(company.company.id, "+74950000001", loaded)
    compiled = compiled_for(loaded)
    engine = Engine(compiled)
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(journal), buffer_max=50_000)
    ids = []
    async with recorder:
        for i in range(unique):
            call_id = uuid.uuid4()
            caller = f"+7916{i:07d}"
            info = CallInfo(
                call_id,
                deployed.bot_id,
                "salon",
                caller_number=caller,
                dialed_number="+74950000001",
                scenario_version_id=deployed.version_id,
            )
            await record_one(engine, CallLog(info, recorder.record), caller, script(i))
            ids.append(call_id)
            if i % 50 == 0:
                await asyncio.sleep(0)
        assert await recorder.flush(timeout=600)
    return ids, loaded


async def run(url: str, journal: Path, calls: int, unique: int) -> None:
    pool = await create_pool(url, min_size=1, max_size=4)
    try:
        started = time.perf_counter()
        ids, loaded = await record(pool, journal, unique)
        recording_s = time.perf_counter() - started
        turns_rows = await pool.fetchval("SELECT count(*) FROM turns WHERE role = 'caller'")
        started = time.perf_counter()
        recorded = [recorded_call(rec) async for rec in Recordings(pool).calls(ids)]
        read_s = time.perf_counter() - started
    finally:
        await pool.close()
    compiled = compiled_for(loaded)
    inputs = sum(len(c.steps) for c in recorded)
    print(
        f"recorded {len(recorded)} calls, {turns_rows} caller turns ({inputs / len(recorded):.1f} a call) "
        f"through CallLog + Recorder into Postgres in {recording_s:.1f} s"
    )
    print(
        f"read back (Recordings + recorded_call): {read_s:.2f} s, {1000 * read_s / len(recorded):.2f} ms/call"
    )

    # Baseline (the engine alone on the same inputs at the same times) and replay, interleaved in
    # chunks so both see the same machine load; per-turn figures are CPU time of this process (the
    # machine is shared), medians over the chunks; the replay's total is wall-clock time.
    clock_now = [dt.datetime.now(dt.UTC)]
    engine = Engine(compiled, clock=lambda: clock_now[0])

    def baseline(chunk: list[Any]) -> tuple[float, int]:
        started, turns = time.process_time(), 0
        for call in chunk:
            clock_now[0] = call.started_at
            state, _ = engine.start(CallContext(call.call_id, call.caller_number, call.dialed_number))
            for step in call.steps:
                if state.ended:
                    break
                clock_now[0] = step.input.at
                engine.handle(state, Utterance(step.input.text))
                turns += 1
        return time.process_time() - started, turns

    replayer = Replayer(compiled, bot_id="salon")
    batch = list(itertools.islice(itertools.cycle(recorded), calls))
    chunk_size = max(1, min(len(recorded), 500))
    base_us: list[float] = []
    replay_us: list[float] = []
    replay_s = replay_cpu = 0.0
    replay_turns = 0
    base_turns = 0
    counts = {"calls": 0, "unchanged": 0, "improved": 0, "changed": 0, "regressed": 0, "skipped": 0}
    for start in range(0, len(batch), chunk_size):
        chunk = batch[start : start + chunk_size]
        if start % (4 * chunk_size) == 0:  # the baseline on every 4th chunk: a fair sample, less time
            seconds, turns = baseline(chunk)
            base_us.append(1e6 * seconds / turns)
            base_turns += turns
        began, cpu = time.perf_counter(), time.process_time()
        report = await replay_calls(replayer, chunk, scenario="salon.yaml")
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        turns = sum(c.turns for c in report.calls)
        replay_s += seconds
        replay_cpu += cpu
        replay_turns += turns
        replay_us.append(1e6 * cpu / turns)
        for key, value in report.counts().items():
            counts[key] += value
    base = statistics.median(base_us)
    rep = statistics.median(replay_us)
    rounds = len(batch) // len(recorded)
    print(
        f"baseline, engine alone: {base_turns} turns, median {base:.0f} us CPU a turn ({len(base_us)} chunks)"
    )
    print(
        f"replay: {counts['calls']} calls ({rounds} rounds of {len(recorded)}), {replay_turns} turns in "
        f"{replay_s:.1f} s wall, {replay_cpu:.1f} s CPU; median {rep:.0f} us CPU a turn "
        f"({rep / base:.2f}x the engine alone), "
        f"{1000 * replay_s / counts['calls']:.2f} ms a call"
    )
    print(f"verdicts: {counts}")
    assert counts["unchanged"] == counts["calls"], "the same scenario must replay unchanged"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--unique", type=int, default=500, help="calls recorded (replayed in turn)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            bench_server(args.database_url, Path(tmp), fast=True) as admin,
            fresh_database(admin) as url,
        ):
            await run(url, Path(tmp) / "journal", args.calls, args.unique)


if __name__ == "__main__":
    asyncio.run(main())
