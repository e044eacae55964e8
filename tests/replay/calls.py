"""Recorded calls made the real way: the text-mode call (real bridge, real engine) and the real
recorder writing to real Postgres. Used by the replay tests and by bench/bench_replay.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicebot.dialogue import Answerer, CallContext, Dtmf, Engine, Event, NoInput, Retriever
from voicebot.runtime import compiled_for
from voicebot.scenario import LoadedScenario, load_file
from voicebot.storage import Bots, Companies, Journal, PostgresSink, Recorder
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.textcall import TextCall

ROOT = Path(__file__).resolve().parents[2]
SALON = ROOT / "scenarios" / "salon.yaml"

CallScript = Sequence[str | Event]

BOOKING: CallScript = ["Хочу записаться на маникюр", "в четверг в 14:00", "Анна", "да"]
PRICES: CallScript = ["сколько стоит маникюр?", "спасибо"]
SILENT: CallScript = [NoInput(), "хочу записаться на стрижку"]


@dataclass(frozen=True)
class Deployed:
    company_id: uuid.UUID
    bot_id: uuid.UUID
    version_id: uuid.UUID
    loaded: LoadedScenario


async def deploy(pool: Any, scenario: Path = SALON, phone: str = "+74950000001") -> Deployed:
    company = await Companies(pool).create("Replay Co")
    loaded = load_file(scenario)
    result = await Bots(pool).deploy(company.company.id, phone, loaded)
    return Deployed(company.company.id, result.bot_id, result.version_id, loaded)


async def record_calls(
    pool: Any,
    bot: Deployed,
    scripts: Sequence[CallScript],
    journal: Path,
    *,
    caller: str = "+79161234567",
    retriever: Retriever | None = None,
    answerer: Answerer | None = None,
) -> list[uuid.UUID]:
    """Run each script as a call through TextCall with the recorder on ``pool``; the calls' ids."""
    compiled = compiled_for(bot.loaded)
    engine = Engine(compiled)
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(journal))
    ids = []
    async with recorder:
        for script in scripts:
            call_id = uuid.uuid4()
            info = CallInfo(
                call_id=call_id,
                bot_id=bot.bot_id,
                bot_slug=compiled.scenario.bot.id,
                caller_number=caller,
                dialed_number="+74950000001",
                scenario_version_id=bot.version_id,
                slot_types={n: s.type for n, s in compiled.scenario.slots.items()},
            )
            context = CallContext(call_id=str(call_id), caller_number=caller, dialed_number="+74950000001")
            async with TextCall(
                engine,
                bot_id=compiled.scenario.bot.id,
                context=context,
                record=recorder.record,
                info=info,
                retriever=retriever,
                answerer=answerer,
            ) as call:
                for item in script:
                    if call.ended:
                        break
                    if isinstance(item, str):
                        await call.say(item)
                    else:
                        await call.send(item)
            ids.append(call_id)
        assert await recorder.flush(timeout=30)
    return ids


__all__ = ["BOOKING", "PRICES", "SALON", "SILENT", "Deployed", "Dtmf", "deploy", "record_calls"]
