"""Extractive answers: the few sentences of the retrieved passages that best answer a question.

Pure and dependency-free (no qdrant, no numpy), so the dialogue engine can call it on its own. Used
when no LLM is configured: the bot reads out the knowledge base's own words, never invents any.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from voicebot.dialogue.nlu import stem
from voicebot.dialogue.ports import Passage
from voicebot.knowledge.terms import lexical_terms

__all__ = ["extractive_answer", "spoken_answer"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'«(\[]?[A-ZА-ЯЁ0-9])")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = {
    "en": _words(
        "a an the and or but if of to in on at by for with from about into over is are was were be been "
        "being am do does did have has had i you he she it we they me my your our their this that these "
        "those what which who whom whose when where why how can could would should will shall may might "
        "must not no yes there here as so than then too very just also any some all please tell know "
        "want like get need s t"
    ),
    "ru": _words(
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне "
        "было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него "
        "до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы "
        "тебя их чем была сам чтобы без будто чего раз тоже себе под будет ж тогда кто этот того потому "
        "этого какой совсем ним здесь этом один почти мой тем чтоб нее сейчас были куда зачем всех "
        "никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них "
        "какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой "
        "им более всегда конечно всю между скажите подскажите пожалуйста хочу хотел хотела"
    ),
}


def _terms(text: str, lang: str) -> list[str]:
    stop = _STOP.get(lang, _STOP["en"])
    return [stem(w) for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in stop]


# Questions that ask for a figure (price, time, speed, count, duration): the sentence carrying a digit
# is the answer ("what speeds can I expect" -> "... at least 90 percent of the plan's speed").
_ASKS_FIGURE = re.compile(
    r"\b(how (much|many|long|fast|soon|late|early)|what (time|speeds?|price|hours|age)|when|price|cost|fee|"
    r"speed|hours?|open|close|days?|minutes?|percent)|"
    r"(сколько|скольки|когда|цен[аыу]|стоимост|скорост|час[ыа]?|открыва|закрыва|работаете|дн[еяи]|"
    r"минут|процент|возраст|лет)",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d")
SPOKEN_MAX_CHARS = 320


def _asks_figure(question: str) -> bool:
    return bool(_ASKS_FIGURE.search(question))


def _cap(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a clause or word boundary (a caller listens to it)."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    for mark in (". ", "; ", ", "):
        at = cut.rfind(mark)
        if at >= max_chars // 2:
            return cut[:at].rstrip(",;") + "."
    return cut.rsplit(" ", 1)[0].rstrip(",;") + "..."


def _sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def extractive_answer(
    question: str,
    passages: Sequence[Passage],
    *,
    max_sentences: int,
    lang: str,
    max_chars: int = SPOKEN_MAX_CHARS,
) -> str:
    """Up to ``max_sentences`` sentences from ``passages`` that best answer ``question``.

    Sentences are scored by the question's words they contain (rarer words across the passages count
    more), weighted by their passage's retrieval score and rank. The chosen sentences are returned in
    reading order (best passage first). When no sentence shares a word with the question, the start of
    the best passage is returned: retrieval judged it relevant. Empty passages give "". A question
    asking for a figure (how much, when, what speed; сколько, во сколько) prefers sentences with one.
    The answer is capped at ``max_chars`` for speech, cut at a clause boundary.
    """
    if max_sentences < 1:
        raise ValueError(f"max_sentences={max_sentences} must be at least 1")
    lang = lang.split("-")[0].lower()
    wanted = set(_terms(question, lang)) | set(lexical_terms(question))
    figure = _asks_figure(question)
    candidates: list[tuple[int, int, str, set[str], float]] = []  # rank, position, text, terms, weight
    for rank, passage in enumerate(passages):
        weight = max(passage.score, 0.0) + 1.0 / (1 + rank)
        for position, sentence in enumerate(_sentences(passage.text)):
            terms = set(_terms(sentence, lang)) | set(lexical_terms(sentence))
            candidates.append((rank, position, sentence, terms, weight))
    if not candidates:
        return ""
    document_frequency: dict[str, int] = {}
    for *_, terms, _w in candidates:
        for term in terms & wanted:
            document_frequency[term] = document_frequency.get(term, 0) + 1
    n = len(candidates)

    def score(candidate: tuple[int, int, str, set[str], float]) -> float:
        _, position, _, terms, weight = candidate
        matched = terms & wanted
        if not matched:
            return 0.0
        idf = sum(math.log(1 + n / document_frequency[t]) for t in matched)
        # Prefer sentences that are mostly about the question over long ones that mention it.
        boost = 1.6 if figure and _FIGURE.search(candidate[2]) else 1.0
        return boost * idf * weight / math.sqrt(max(len(terms), 1)) + 0.01 / (1 + position)

    scored = sorted(candidates, key=score, reverse=True)
    top = scored[0]
    best = score(top)
    if best <= 0:
        chosen = [c for c in candidates if c[0] == 0][:max_sentences]
    else:
        # Further sentences must earn their place: a short answer beats a padded one. From the best
        # sentence's passage: nearly as relevant, or the next sentence continuing its topic (shares a
        # word with it: "Return the router within 30 days. If it is not returned, we charge..."). From
        # other passages: almost as relevant as the best.
        def extra(c: tuple[int, int, str, set[str], float]) -> float:
            if c is top:
                return -1.0
            same = c[0] == top[0]
            continues = same and c[1] == top[1] + 1 and bool(c[3] & top[3])
            if continues:
                return best  # the continuation comes first
            if score(c) >= (0.4 if same else 0.8) * best:
                return score(c)
            return -1.0

        extras = sorted((c for c in candidates if extra(c) > 0), key=extra, reverse=True)
        chosen = [top, *extras[: max_sentences - 1]]
    chosen.sort(key=lambda c: (c[0], c[1]))
    return _cap(" ".join(c[2] for c in chosen), max_chars)


def spoken_answer(question: str, passages: Sequence[Passage], max_sentences: int, lang: str) -> str:
    """:func:`extractive_answer` with the dialogue driver's positional ``Answerer`` signature."""
    return extractive_answer(question, passages, max_sentences=max_sentences, lang=lang)
