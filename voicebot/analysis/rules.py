"""The offline (rule-based) analysis of a call, in English and Russian: summary, sentiment, caller
effort, quality flags. Pure: no I/O, deterministic.

* re-asks: caller turns (not discarded) that led to no transition and no slot, answered by the bot
  while the call went on (the engine did not understand and asked again);
* corrections: caller turns the engine's NLU reads as a correction ("no, I said...", "нет, я сказал..."),
  plus slots filled again with another value;
* no-inputs: a bot turn that follows another bot turn after a silence (the engine's no-input prompt),
  plus an end by ``no_input``;
* flags: ``dead_end`` (ended by no_input, error or dropped, or the caller hung up right after a re-ask),
  ``transfer_after_failure`` (transferred after a re-ask or a fallback), ``long_silence`` (a gap above
  the configured seconds), ``many_reasks``, ``discarded_turns``, ``negative_sentiment``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence
from typing import Final, Literal

from voicebot.analysis.config import AnalysisConfig
from voicebot.analysis.model import Analysis, CallRecord, DiscardedTurn, Effort
from voicebot.dialogue.nlu import is_correction

__all__ = ["analyze_rules", "caller_effort", "quality_flags", "rule_summary", "sentiment"]

_POSITIVE: Final = {
    "en": (
        "thank",
        "thanks",
        "great",
        "perfect",
        "excellent",
        "wonderful",
        "good",
        "nice",
        "awesome",
        "helpful",
        "appreciate",
        "lovely",
        "happy",
        "fantastic",
    ),
    "ru": (
        "спасиб",
        "отличн",
        "прекрасн",
        "замечательн",
        "хорош",
        "супер",
        "благодар",
        "класс",
        "рад",
        "удобн",
        "помогл",
    ),
}
_NEGATIVE: Final = {
    "en": (
        "terrible",
        "awful",
        "bad",
        "angry",
        "annoy",
        "useless",
        "stupid",
        "hate",
        "ridiculous",
        "worst",
        "frustrat",
        "complain",
        "wrong",
        "upset",
        "horrible",
        "disappoint",
        "waste",
    ),
    "ru": (
        "ужасн",
        "плох",
        "кошмар",
        "бесполезн",
        "надоел",
        "раздража",
        "жалоб",
        "отвратительн",
        "глуп",
        "безобраз",
        "возмутительн",
        "злюсь",
        "бесит",
    ),
}
_NEGATION: Final = {"en": ("not", "no", "never", "don't", "isn't", "wasn't"), "ru": ("не", "ни", "нет")}
_WORD: Final = re.compile(r"[\w']+")


def sentiment(texts: Sequence[str], lang: str) -> tuple[Literal["negative", "neutral", "positive"], float]:
    """The caller's sentiment from a small EN/RU lexicon (stems; a negation just before flips a word)."""
    language = "ru" if lang.startswith("ru") else "en"
    pos = neg = 0
    for text in texts:
        words = _WORD.findall(text.lower())
        for i, w in enumerate(words):
            polarity = 0
            if any(w.startswith(stem) for stem in _POSITIVE[language]):
                polarity = 1
            elif any(w.startswith(stem) for stem in _NEGATIVE[language]):
                polarity = -1
            if polarity and i and words[i - 1] in _NEGATION[language]:
                polarity = -polarity
            pos += polarity > 0
            neg += polarity < 0
    if pos + neg == 0:
        return "neutral", 0.0
    score = round((pos - neg) / (pos + neg), 3)
    label: Literal["negative", "neutral", "positive"] = (
        "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"
    )
    return label, score


def caller_effort(call: CallRecord, discarded: Collection[int], lang: str, silence_s: float = 2.0) -> Effort:
    """Re-asks, corrections and no-inputs of one call (module docstring)."""
    language: Literal["en", "ru"] = "ru" if lang.startswith("ru") else "en"
    acted = {t.turn_seq for t in call.transitions if t.turn_seq is not None}
    acted |= {s.turn_seq for s in call.slots if s.turn_seq is not None}
    turns = [t for t in call.turns if t.seq not in discarded]  # a discarded turn said nothing
    reasks = corrections = no_inputs = 0
    for i, turn in enumerate(turns):
        if turn.role == "caller":
            answered = any(t.role == "bot" for t in turns[i + 1 :])
            if turn.seq not in acted and answered:
                reasks += 1
            if is_correction(turn.text, language):
                corrections += 1
        elif (
            turn.role == "bot"
            and i
            and turns[i - 1].role == "bot"
            and (turn.at - turns[i - 1].at).total_seconds() >= silence_s
        ):
            no_inputs += 1
    last: dict[str, object] = {}
    for slot in call.slots:
        if slot.name in last and last[slot.name] != slot.value:
            corrections += 1
        last[slot.name] = slot.value
    if call.end_reason == "no_input":
        no_inputs += 1
    return Effort(reasks, corrections, no_inputs)


def _gaps(call: CallRecord) -> list[float]:
    turns = call.turns
    return [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(turns)]


def quality_flags(
    call: CallRecord,
    effort: Effort,
    config: AnalysisConfig,
    *,
    discarded: Sequence[DiscardedTurn] = (),
    mood: str = "neutral",
) -> tuple[str, ...]:
    flags: list[str] = []
    fallback = any(t.trigger_type in ("fallback", "retries_exhausted") for t in call.transitions)
    last_caller = next((t for t in reversed(call.turns) if t.role == "caller"), None)
    acted = {t.turn_seq for t in call.transitions} | {s.turn_seq for s in call.slots}
    hung_up_confused = (
        call.end_reason == "caller_hangup" and last_caller is not None and last_caller.seq not in acted
    )
    if call.end_reason in ("no_input", "error", "dropped") or hung_up_confused:
        flags.append("dead_end")
    if call.end_reason == "transferred" and (effort.reasks > 0 or fallback):
        flags.append("transfer_after_failure")
    if any(gap > config.long_silence_seconds for gap in _gaps(call)):
        flags.append("long_silence")
    if effort.reasks > config.reask_limit:
        flags.append("many_reasks")
    if discarded:
        flags.append("discarded_turns")
    if mood == "negative":
        flags.append("negative_sentiment")
    return tuple(flags)


_FLAG_WORDS: Final = {
    "ru": {
        "dead_end": "тупик",
        "transfer_after_failure": "перевод после неудачи",
        "long_silence": "долгая пауза",
        "many_reasks": "много переспрашиваний",
        "discarded_turns": "пустые реплики",
        "negative_sentiment": "недовольство",
    },
}


def rule_summary(call: CallRecord, effort: Effort, flags: Sequence[str], lang: str) -> str:
    """One short paragraph with no slot values (so no PII): who, how long, what came out of it."""
    caller_turns = sum(1 for t in call.turns if t.role == "caller")
    collected = sorted({s.name for s in call.slots})
    seconds = round(call.duration_s)
    if lang.startswith("ru"):
        direction = "Входящий" if call.direction == "inbound" else "Исходящий"
        parts = [
            f"{direction} звонок ({call.bot_slug or 'бот'}), {seconds} с, реплик абонента: {caller_turns}."
        ]
        parts.append(f"Итог: {call.outcome or 'нет'}; завершение: {call.end_reason or '-'}.")
        if collected:
            parts.append(f"Собрано: {', '.join(collected)}.")
        parts.append(
            f"Переспрашиваний: {effort.reasks}, исправлений: {effort.corrections}, "
            f"молчаний: {effort.no_inputs}."
        )
        if flags:
            words = _FLAG_WORDS["ru"]
            parts.append(f"Отметки: {', '.join(words.get(f, f) for f in flags)}.")
        return " ".join(parts)
    parts = [
        f"{call.direction.capitalize()} call ({call.bot_slug or 'bot'}), {seconds} s, "
        f"{caller_turns} caller turn{'s' if caller_turns != 1 else ''}."
    ]
    parts.append(f"Outcome: {call.outcome or 'none'}; ended: {call.end_reason or '-'}.")
    if collected:
        parts.append(f"Collected: {', '.join(collected)}.")
    parts.append(
        f"Re-asks: {effort.reasks}, corrections: {effort.corrections}, no-inputs: {effort.no_inputs}."
    )
    if flags:
        parts.append(f"Flags: {', '.join(f.replace('_', ' ') for f in flags)}.")
    return " ".join(parts)


def analyze_rules(
    call: CallRecord,
    config: AnalysisConfig,
    *,
    caller_texts: Sequence[str],
    discarded: Sequence[DiscardedTurn] = (),
) -> Analysis:
    """The offline analysis; ``caller_texts`` are the (cleaned, redacted) caller turns."""
    lang = call.language
    effort = caller_effort(call, {d.seq for d in discarded}, lang)
    mood, score = sentiment(caller_texts, lang)
    flags = quality_flags(call, effort, config, discarded=discarded, mood=mood)
    summary = rule_summary(call, effort, flags, lang)[: config.summary_max_chars]
    return Analysis(summary, mood, score, effort, flags)
