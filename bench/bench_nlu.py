"""Offline NLU latency: SlotExtractor.extract() and IntentMatcher.match() over realistic utterances.

Run: ``python bench/bench_nlu.py`` (prints p50/p99 per operation and language, in microseconds). The
samples are taken in 5 blocks; "p99 best" is the p99 of the quietest block, which is the figure to
trust on a shared machine where neighbours' load lands in the pooled tail.
Budget: the engine's whole caller turn must stay under 2 ms p99; extract() of ~10 candidate slots
should be well under 0.5 ms p99 and match() under 0.2 ms.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # ``python bench/bench_nlu.py`` from anywhere

from voicebot.dialogue.nlu import IntentMatcher, SlotExtractor, is_correction, is_garbage
from voicebot.scenario.model import Language, Slot

_SLOT: TypeAdapter[Slot] = TypeAdapter(Slot)

SLOTS = {
    "name": {"type": "text"},
    "service": {
        "type": "enum",
        "values": {
            "manicure": ["manicure", "nails", "маникюр"],
            "haircut": ["haircut", "hair cut", "стрижка", "подстричься"],
            "coloring": ["coloring", "hair color", "окрашивание", "покраска"],
            "pedicure": ["pedicure", "педикюр"],
        },
    },
    "date": {"type": "date", "not_in_past": True, "max_days_ahead": 60},
    "time": {"type": "time", "earliest": "09:00", "latest": "20:00"},
    "when": {"type": "datetime", "not_in_past": True},
    "phone": {"type": "phone"},
    "email": {"type": "email"},
    "guests": {"type": "number", "min": 1, "max": 20, "integer": True},
    "confirmed": {"type": "yes_no"},
    "comment": {"type": "text", "required": False},
}

UTTERANCES: dict[Language, list[tuple[str, str | None]]] = {
    "en": [
        ("tomorrow at 3 pm, my name is Anna, 201-555-0123", None),
        ("I'd like a manicure next Friday at half past two", None),
        ("um can I book a haircut for the 15th of March around noon", "service"),
        ("yes that's right", "confirmed"),
        ("no, I said Tuesday", "date"),
        ("twenty five", "guests"),
        ("my email is anna dot lee at example dot com", "email"),
        ("Anna Smith", "name"),
        ("what time do you open on Saturday", None),
        ("I want to talk to a real person please", None),
        ("could you repeat that", None),
        ("actually make it 4 pm", "time"),
        ("call me back at five five five, zero one zero, one two three four", "phone"),
        ("in 3 days at 10:30 am", "when"),
    ],
    "ru": [
        ("завтра в 14:00, меня зовут Анна, +7 900 123-45-67", None),
        ("хочу записаться на маникюр в следующий вторник в 3 часа дня", None),
        ("давайте на 15 марта в половине третьего", "when"),
        ("да, конечно", "confirmed"),
        ("не в понедельник, а во вторник", "date"),
        ("двадцать пять", "guests"),
        ("8 900 123 45 67", "phone"),
        ("Анна Петрова", "name"),
        ("а сколько стоит стрижка", None),
        ("соедините с оператором", None),
        ("повторите пожалуйста", None),
        ("через 2 дня в 9 утра", "when"),
        ("нет, не надо", "confirmed"),
        ("почта anna собака example точка ru", "email"),
    ],
}

INTENTS: dict[Language, dict[str, tuple[list[str], list[str]]]] = {
    "en": {
        "book": (
            ["book an appointment", "I want to make an appointment", "schedule a visit", "sign me up"],
            [],
        ),
        "prices": (
            ["how much does it cost", "what are your prices", "price of a haircut"],
            [r"\bprice list\b"],
        ),
        "hours": (["when are you open", "opening hours", "what time do you close"], []),
        "address": (["where are you located", "what is your address", "how do I get there"], []),
        "reschedule": (["move my appointment", "reschedule", "change the time"], []),
        "cancel_booking": (["cancel my appointment", "I can't come"], []),
        "staff": (["who will do my nails", "can I choose a master"], []),
        "parking": (["is there parking", "where can I park"], []),
        "payment": (["can I pay by card", "do you take cash"], []),
    },
    "ru": {
        "book": (["записаться на прием", "хочу записаться", "запишите меня", "можно записаться"], []),
        "prices": (["сколько стоит", "какие цены", "прайс", "стоимость стрижки"], []),
        "hours": (["когда вы работаете", "часы работы", "до скольки открыто"], []),
        "address": (["где вы находитесь", "какой адрес", "как добраться"], []),
        "reschedule": (["перенести запись", "поменять время"], []),
        "cancel_booking": (["отменить запись", "я не смогу прийти"], []),
        "staff": (["кто будет делать маникюр", "можно выбрать мастера"], []),
        "parking": (["есть ли парковка", "где припарковаться"], []),
        "payment": (["можно картой", "принимаете наличные"], []),
    },
}

ZONES = {"en": ZoneInfo("America/New_York"), "ru": ZoneInfo("Europe/Moscow")}


def _p(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e6


def _measure(
    op: Op, utterances: list[tuple[str, str | None]], rounds: int, blocks: int
) -> tuple[float, float, float, float]:
    """p50, p99 pooled over all samples, p99 of the quietest block, max (µs)."""
    pooled: list[float] = []
    block_p99: list[float] = []
    for _ in range(blocks):
        samples: list[float] = []
        for _ in range(rounds):
            for text, asked in utterances:
                start = time.perf_counter()
                op(text, asked)
                samples.append(time.perf_counter() - start)
        samples.sort()
        block_p99.append(_p(samples, 0.99))
        pooled.extend(samples)
    pooled.sort()
    return _p(pooled, 0.5), _p(pooled, 0.99), min(block_p99), pooled[-1] * 1e6


Op = Callable[[str, str | None], object]


def _operations(
    extractor: SlotExtractor,
    matcher: IntentMatcher,
    candidates: tuple[str, ...],
    lang: Language,
    now: datetime,
) -> dict[str, Op]:
    def extract(text: str, asked: str | None) -> object:
        return extractor.extract(text, candidates=candidates, asked=asked, now=now)

    def match(text: str, asked: str | None) -> object:
        return matcher.match(text)

    def whole_turn(text: str, asked: str | None) -> object:
        return (is_garbage(text), match(text, asked), is_correction(text, lang), extract(text, asked))

    return {"extract (10 slots)": extract, "match (15 intents)": match, "whole turn": whole_turn}


def main(rounds: int = 80, blocks: int = 5) -> None:
    slots = {name: _SLOT.validate_python(spec) for name, spec in SLOTS.items()}
    rows: list[tuple[str, str, float, float, float, float, int]] = []
    langs: tuple[Language, ...] = ("en", "ru")
    for lang in langs:
        t0 = time.perf_counter()
        extractor = SlotExtractor(slots, lang=lang, region="US" if lang == "en" else "RU")
        matcher = IntentMatcher(INTENTS[lang], lang=lang)
        build = time.perf_counter() - t0
        now = datetime(2026, 11, 22, 11, 0, tzinfo=ZONES[lang])
        candidates = tuple(slots)
        utterances = UTTERANCES[lang]
        ops = _operations(extractor, matcher, candidates, lang, now)
        for label, op in ops.items():
            for text, asked in utterances:  # warm-up (regex caches, stem cache)
                op(text, asked)
            rows.append(
                (lang, label, *_measure(op, utterances, rounds, blocks), rounds * blocks * len(utterances))
            )
        us = build * 1e6
        rows.append((lang, "build (once per scenario)", us, us, us, us, 1))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    header = f"{'lang':<5}{'operation':<27}{'p50 µs':>9}{'p99 µs':>9}{'p99 best':>10}{'max µs':>10}{'n':>7}"
    print(header)
    for code, label, p50, p99, best, worst, n in rows:
        print(f"{code:<5}{label:<27}{p50:>9.1f}{p99:>9.1f}{best:>10.1f}{worst:>10.1f}{n:>7}")


if __name__ == "__main__":
    main()
