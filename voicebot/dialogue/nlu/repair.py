"""Repair and meta phrases: the caller asks the bot to repeat, or to wait, and says nothing else.

"what?", "sorry?", "say that again", "hang on", "что?", "повторите", "я не расслышала", "подождите".
Such a turn is never a slot value (before this, "what?" could become the patient's name): the engine
repeats what it last said, or says it will wait, and asks again without counting a failed try.

Only a *whole* utterance is a repair: politeness and filler words around the phrase are allowed
("um sorry, what was that?"), anything else is not ("sorry, my name is Anna" names the caller).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from voicebot.scenario.model import Language

__all__ = ["Repair", "repair_kind"]

Repair = Literal["repeat", "hold"]

_EN_FILLERS = (
    "um uh er erm eh ah oh hmm mm so sorry please ok okay well just oh hey hello excuse me pardon "
    "i'm im really very a bit"
)
_RU_FILLERS = "эм э ээ ой ну так а извините простите пожалуйста пардон алло девушка я мне вас"
_FILLERS: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset(_EN_FILLERS.split()),
    "ru": frozenset(_RU_FILLERS.split()),
}
"""Words allowed around a repair phrase; an utterance of nothing but these and an apology is a repair."""

_APOLOGY: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset({"sorry", "pardon", "excuse", "hello"}),
    "ru": frozenset({"извините", "простите", "пардон", "алло", "а"}),
}
"""An utterance of fillers only is a repeat request when it contains one of these ("sorry?", "алло?")."""

_PHRASES: Final[dict[Language, dict[Repair, str]]] = {
    "en": {
        "repeat": r"""
            what | what what | huh | eh | what was that | what did you (?:just )?say | what's that
          | (?:come|say) (?:that |it )?again
          | (?:can|could|would) you (?:please )?(?:say|repeat) (?:that|it)(?: again)?
          | (?:can|could|would) you repeat(?: yourself| the question)?
          | repeat(?: that| it| yourself| the question)?
          | one more time | once more | again
          | i (?:didn't|did not|couldn't|could not|can't|cannot) (?:quite )?(?:catch|hear|get|understand)
            (?: that| it| you| what you said)?
          | (?:didn't|did not) (?:quite )?(?:catch|hear|get)(?: that| it| you)?
          | (?:i )?missed (?:that|it|what you said) | you're breaking up | you are breaking up
          | i can't hear you | i cannot hear you | what do you mean | what was the question
        """,
        "hold": r"""
            (?:no )?wait(?: a (?:sec|second|minute|moment))? | hang on(?: a (?:sec|second|minute|moment))?
          | hold on(?: a (?:sec|second|minute|moment))? | (?:one|a|just a) (?:sec|second|minute|moment|mo)
          | give me a (?:sec|second|minute|moment) | bear with me | let me (?:think|check|see|look|find it)
          | let me get a pen | let me just (?:check|find it|look) | hold on let me (?:check|think|see)
        """,
    },
    "ru": {
        "repeat": r"""
            что | что что | чего | как | а | что вы сказали | что-что | как вы сказали | что-что вы сказали
          | (?:повторите|повтори|повторить)(?: пожалуйста)?(?: еще раз)?(?: вопрос)?
          | (?:можно|скажите|давайте) еще раз | еще раз(?: пожалуйста)?
          | не (?:расслышал|расслышала|услышал|услышала|поняла|понял|разобрал|разобрала)(?: вас)?
          | плохо слышно | не слышно | не слышу | (?:я )?вас не слышу
          | что вы имеете в виду | какой вопрос
        """,
        "hold": r"""
            (?:подождите|погодите|подожди|погоди)(?: пожалуйста)?
            (?: (?:секунду|минутку|секундочку|минуту|немного))?
          | (?:одну )?(?:секунду|секундочку|минутку|минуточку|минуту|сек)
          | сейчас(?: посмотрю| подумаю| гляну)? | дайте (?:подумать|посмотреть|вспомнить)
          | не кладите трубку | я сейчас
        """,
    },
}


def _compile(source: str) -> re.Pattern[str]:
    joined = ""
    for line in source.split("\n"):
        line = " ".join(line.split())
        if line:  # a line not starting with "|" continues the alternative above it
            joined += (" " if joined and line.startswith("| ") else "") + line
    one = r"(?:" + joined.replace(" | ", "|").replace(" ", r"\s") + r")"
    return re.compile(one + r"(?:\s" + one + r")*")  # "hang on, one sec, let me check"


_PATTERNS: Final[dict[Language, tuple[tuple[Repair, re.Pattern[str]], ...]]] = {
    lang: tuple((kind, _compile(src)) for kind, src in table.items()) for lang, table in _PHRASES.items()
}
_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W\d_]+)?")


def repair_kind(text: str, lang: Language) -> Repair | None:
    """``"repeat"`` or ``"hold"`` when the whole utterance asks for that, else None. Cheap; no I/O."""
    if len(text) > 80:
        return None
    tokens = _TOKEN.findall(text.lower().replace("ё", "е").replace("’", "'"))
    if not tokens:
        return None
    fillers = _FILLERS[lang]
    start, end = 0, len(tokens)
    while start < end and tokens[start] in fillers:
        start += 1
    while end > start and tokens[end - 1] in fillers:
        end -= 1
    if start == end:
        return "repeat" if any(w in _APOLOGY[lang] for w in tokens) else None
    core = " ".join(tokens[start:end])
    for kind, pattern in _PATTERNS[lang]:
        if pattern.fullmatch(core):
            return kind
    return None
