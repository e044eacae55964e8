"""Offline intent matching against example phrases and regular expressions.

Scoring: utterance and examples are normalized (lowercase, ё→е, punctuation dropped, number words as
digits) and lightly stemmed. Each example stem is weighted by how specific it is (idf over intents; stop
words and fillers count 0.3). For an example, recall is the weighted share of its stems the caller said
(a stem that shares a prefix with a said stem counts 0.8), precision the weighted share of the caller's
words the example accounts for; the score is their F2 (recall weighs 4× precision), so extra words cost
little ("um I'd like to book an appointment please" ≈ 0.9 for "book an appointment") while a lone stop
word never makes a match ("what is a purple elephant" stays well under 0.5 for "what?"). A regex pattern
that matches scores 1.0. An intent's score is that of its best example.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from voicebot.dialogue.nlu._text import WORD, normalize, stem
from voicebot.scenario.model import Language

__all__ = ["BUILTIN_EXAMPLES", "BUILTIN_PATTERNS", "IntentMatch", "IntentMatcher"]

BUILTIN_EXAMPLES: Final[dict[Language, dict[str, list[str]]]] = {
    "en": {
        "yes": ["yes", "yeah", "yep", "sure", "correct", "that's right", "exactly", "absolutely", "of course",
                "right", "okay", "sounds good", "yes please", "go ahead", "that is correct"],
        "no": ["no", "nope", "nah", "not really", "no thanks", "that's wrong", "incorrect", "not right",
               "no it's not", "negative", "no thank you"],
        "repeat": ["repeat", "repeat that", "say that again", "could you repeat", "what did you say",
                   "pardon", "sorry I didn't catch that", "come again", "one more time", "I didn't hear you"],
        "help": ["help", "I need help", "what can you do", "what are my options", "I don't understand",
                 "how does this work", "what should I say"],
        "human": ["human", "operator", "agent", "real person", "talk to a person", "speak to someone",
                  "representative", "manager", "connect me to a human", "live agent", "front desk",
                  "reception", "receptionist", "talk to somebody", "speak to a member of staff"],
        "cancel": ["cancel", "stop", "never mind", "forget it", "I changed my mind", "cancel that", "quit"],
    },
    "ru": {
        "yes": ["да", "ага", "угу", "конечно", "верно", "правильно", "все верно", "именно", "точно", "хорошо",
                "да пожалуйста", "давайте", "согласен", "согласна", "подтверждаю"],
        "no": ["нет", "не надо", "не нужно", "неверно", "неправильно", "нет спасибо", "не хочу",
               "ни в коем случае", "не так"],
        "repeat": ["повторите", "повтори", "еще раз", "что вы сказали", "не расслышал",
                   "повторите пожалуйста", "скажите еще раз", "можно еще раз", "плохо слышно", "не услышал"],
        "help": ["помощь", "помогите", "что вы умеете", "я не понимаю", "как это работает", "что мне сказать",
                 "какие есть варианты"],
        "human": ["оператор", "живой человек", "соедините с оператором", "позовите менеджера",
                  "переключите на оператора", "менеджер", "хочу поговорить с человеком", "администратор"],
        "cancel": ["отмена", "отменить", "отмените", "стоп", "хватит", "забудьте", "передумал", "передумала",
                   "неважно", "забудьте не надо", "отбой", "я передумал", "уже не надо"],
    },
}  # fmt: skip
"""Default examples of the built-in intents; a scenario's examples for the same intent are added."""

_EN_PERSON = (
    r"(?:some(?:one|body)|any(?:one|body)|a\s+(?:real\s+|live\s+)?(?:person|human|receptionist|agent)"
    r"|(?:the|your)\s+(?:front\s+desk|reception(?:ist)?|office|staff|manager|administrator)"
    r"|reception(?:ist)?|the\s+desk|an?\s+(?:operator|agent|administrator|manager|representative)"
    r"|a\s+member\s+of\s+staff|(?:a\s+)?(?:human|person|operator))"
)
_RU_PERSON = (
    r"(?:администратор\w*|оператор\w*|менеджер\w*|человек\w*|сотрудник\w*|специалист\w*"
    r"|регистратур\w*|ресепшн\w*|кем-(?:то|нибудь)|живым\s+человеком|кем-то\s+живым)"
)
BUILTIN_PATTERNS: Final[dict[Language, dict[str, list[str]]]] = {
    "en": {
        "human": [
            r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:\w+\s+){0,2}?" + _EN_PERSON + r"\b",
            r"\b(?:put|transfer|connect|pass)\s+me\s+(?:through\s+|over\s+)?(?:to|with)\s+(?:\w+\s+){0,2}?"
            + _EN_PERSON + r"\b",
            r"\b(?:get|give)\s+me\s+(?:\w+\s+){0,2}?" + _EN_PERSON + r"\b",
        ],
    },
    "ru": {
        "human": [
            r"(?<!\w)(?:соедин|переключ|перевед|связ|свяж|позов|дайте|поговор|пригласит)\w*(?:\s+\S+){0,3}?\s+"
            + _RU_PERSON,
            r"^\W*(?:человек|специалист|сотрудник)\W*$",
            r"(?<!\w)нуж(?:ен|на)\s+(?:\S+\s+)?(?:администратор|оператор|менеджер|живой\s+человек)",
        ],
    },
}  # fmt: skip
"""Patterns of the built-in intents (a request for a person in free words); a scenario's are added."""

_STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "i",
        "i'd",
        "i'm",
        "i'll",
        "me",
        "my",
        "you",
        "your",
        "it",
        "it's",
        "is",
        "are",
        "was",
        "be",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "please",
        "um",
        "uh",
        "er",
        "hmm",
        "well",
        "so",
        "like",
        "just",
        "want",
        "wanna",
        "need'd",
        "oh",
        "ok",
        "at",
        "in",
        "on",
        "for",
        "with",
        "this",
        "that",
        "what",
        "there",
        "here",
        "some",
        "any",
        "get",
        "я",
        "мне",
        "меня",
        "вы",
        "вам",
        "вас",
        "ты",
        "это",
        "что",
        "как",
        "на",
        "в",
        "во",
        "с",
        "к",
        "по",
        "и",
        "а",
        "но",
        "ну",
        "же",
        "бы",
        "ли",
        "вот",
        "мы",
        "нам",
        "у",
        "за",
        "от",
        "до",
        "пожалуйста",
        "можно",
        "хочу",
        "хотел",
        "хотела",
        "хотелось",
        "нужно",
        "мне-то",
        "эм",
        "э",
    ]
)
_STOP_WEIGHT = 0.3
_FUZZY = 0.8
_UNKNOWN_WEIGHT = 0.7
_DIGIT_WEIGHT = 0.3
_BETA2 = 4.0
_POLAR: Final = frozenset({"yes", "no"})
_VOCAB_SCALE = 0.9  # a match by vocabulary is a little less sure than one by a whole example
_NEGATION: Final = frozenset({"not", "no", "don't", "dont", "never", "isn't", "не", "нет", "ни"})


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """An intent the utterance may express; ``score`` in 0..1 (1.0 for a matching pattern)."""

    name: str
    score: float
    example: str | None = None  # the best example, or None when a pattern matched


@dataclass(frozen=True, slots=True)
class _View:
    """What scoring a set of intents reads (:meth:`IntentMatcher._view`)."""

    patterns: list[tuple[str, re.Pattern[str]]]
    postings: dict[str, list[int]]
    """stem -> the indexes of the examples (of these intents) that use it"""
    vocabularies: dict[str, set[str]]
    stems: frozenset[str]
    """Every stem these intents' examples use: a word of the caller's that is none of them (nor near
    one) cannot add to any score here."""
    by_prefix: dict[str, list[str]]
    """Those stems of four letters or more, by their first four (the near matches)."""


def _stems(text: str, lang: Language) -> list[str]:
    return [stem(w) for w in WORD.findall(normalize(text, lang).norm)]


class IntentMatcher:
    """Compiled once per scenario: ``intents`` maps a name to (examples, regex patterns).

    The built-in intents (:data:`BUILTIN_EXAMPLES`) are always present; examples given for them extend
    the defaults.
    """

    def __init__(self, intents: Mapping[str, tuple[Sequence[str], Sequence[str]]], *, lang: Language) -> None:
        self.lang: Language = lang
        specs: dict[str, tuple[list[str], list[str]]] = {
            name: (list(examples), list(BUILTIN_PATTERNS[lang].get(name, ())))
            for name, examples in BUILTIN_EXAMPLES[lang].items()
        }
        for name, (examples, patterns) in intents.items():
            own_examples, own_patterns = specs.setdefault(name, ([], []))
            own_examples.extend(e for e in examples if e not in own_examples)
            own_patterns.extend(patterns)
        self._patterns: list[tuple[str, re.Pattern[str]]] = [
            (name, re.compile(p, re.IGNORECASE)) for name, (_, patterns) in specs.items() for p in patterns
        ]
        self._examples: list[tuple[str, str]] = []  # (intent, example text)
        example_stems: list[frozenset[str]] = []
        df: dict[str, set[str]] = {}
        for name, (examples, _) in specs.items():
            for example in examples:
                stems = frozenset(_stems(example, lang))
                if not stems:
                    continue
                self._examples.append((name, example))
                example_stems.append(stems)
                for s in stems:
                    df.setdefault(s, set()).add(name)
        n_intents = max(len(specs), 1)
        self._rarest = 1.0 + math.log(n_intents)
        self._weight: dict[str, float] = {
            s: (_STOP_WEIGHT if s in _STOP else 1.0) * (1.0 + math.log(n_intents / len(owners)))
            for s, owners in df.items()
        }
        self._postings: dict[str, list[int]] = {}
        for index, stems in enumerate(example_stems):
            for s in stems:
                self._postings.setdefault(s, []).append(index)
        self._totals = [sum(self._weight[s] for s in stems) for stems in example_stems]
        # An example that negates ("not right", "не хочу") says the opposite without its negation.
        self._negating = [bool(stems & _NEGATION) for stems in example_stems]
        # Each intent's vocabulary (content stems of all its examples): a caller who uses two or more of
        # them ("get an appointment with the doctor") matches the intent though no single example fits.
        self._vocab: dict[str, set[str]] = {}
        for (name, _), stems in zip(self._examples, example_stems, strict=True):
            content = (s for s in stems if s not in _STOP and s not in _NEGATION)
            self._vocab.setdefault(name, set()).update(content)
        self._by_prefix: dict[str, list[str]] = {}
        for s in self._weight:
            if len(s) >= 4:
                self._by_prefix.setdefault(s[:4], []).append(s)
        self._views: dict[frozenset[str] | None, _View] = {}

    def _said_weight(self, s: str) -> float:
        weight = self._weight.get(s)
        if weight is not None:
            return weight
        if s.isdigit():
            return _DIGIT_WEIGHT
        return _STOP_WEIGHT if s in _STOP else _UNKNOWN_WEIGHT

    def _view(self, only: frozenset[str] | None) -> _View:
        """The patterns, postings, vocabularies and stems of the intents in ``only`` (all when None), built
        once per set: the weights stay those of every intent, so each score is the unrestricted one."""
        view = self._views.get(only)
        if view is not None:
            return view
        if only is None:
            view = _View(
                self._patterns, self._postings, self._vocab, frozenset(self._weight), self._by_prefix
            )
        else:
            examples = self._examples
            postings = {
                s: kept
                for s, indexes in self._postings.items()
                if (kept := [i for i in indexes if examples[i][0] in only])
            }
            vocabularies = {name: vocab for name, vocab in self._vocab.items() if name in only}
            stems = frozenset(postings).union(*vocabularies.values())
            by_prefix: dict[str, list[str]] = {}
            for s in sorted(stems):
                if len(s) >= 4:
                    by_prefix.setdefault(s[:4], []).append(s)
            view = _View(
                [(n, p) for n, p in self._patterns if n in only], postings, vocabularies, stems, by_prefix
            )
        self._views[only] = view
        return view

    def match(self, text: str, *, only: frozenset[str] | None = None) -> list[IntentMatch]:
        """Intents ``text`` may express, best first; intents scoring 0 are left out. With ``only``, just
        those intents are scored: the same matches as ``[m for m in match(text) if m.name in only]``
        (same scores, same order), for less work."""
        view = self._view(only)
        best: dict[str, IntentMatch] = {}
        for name, pattern in view.patterns:
            if name not in best and pattern.search(text):
                best[name] = IntentMatch(name, 1.0)
        said = set(_stems(text, self.lang))
        # credit: the stems of these intents the caller said (1.0) or came near (_FUZZY); a known stem
        # of another intent is no near match of these ones
        credit: dict[str, float] = {}
        weight, stems = self._weight, view.stems
        for s in said:
            if s in weight:
                if s in stems:
                    credit[s] = 1.0
            elif len(s) >= 4:
                for v in view.by_prefix.get(s[:4], ()):
                    if (v.startswith(s) or s.startswith(v)) and abs(len(v) - len(s)) <= 2:
                        credit[v] = max(credit.get(v, 0.0), _FUZZY)
        if not credit:  # nothing said that any example here uses: only a pattern can have matched
            return sorted(best.values(), key=lambda m: -m.score)
        acc: dict[int, float] = {}
        postings = view.postings
        for v, c in credit.items():
            w = weight[v] * c
            for index in postings.get(v, ()):
                acc[index] = acc.get(index, 0.0) + w
        if acc:
            said_total = sum(self._said_weight(s) for s in said)
            negated = bool(said & _NEGATION)
            for index, matched in acc.items():
                name, example = self._examples[index]
                if self._negating[index] != negated and (self._negating[index] or name in _POLAR):
                    continue  # "not right" is not "right"; "I'm not sure" is not "sure"
                recall = matched / self._totals[index]
                precision = min(1.0, matched / said_total)
                beta2 = 1.0 if name in _POLAR else _BETA2  # a yes or no is the whole answer, not a word in it
                score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
                current = best.get(name)
                if current is None or score > current.score:
                    best[name] = IntentMatch(name, round(score, 4), example)
        self._by_vocabulary(said, credit, best, view.vocabularies)
        return sorted(best.values(), key=lambda m: -m.score)

    def _by_vocabulary(
        self,
        said: set[str],
        credit: dict[str, float],
        best: dict[str, IntentMatch],
        vocabularies: dict[str, set[str]],
    ) -> None:
        total: float | None = None  # worked out for the first intent with two words in its vocabulary
        for name, vocab in vocabularies.items():
            hits = [v for v in credit if v in vocab]
            if len(hits) < 2:
                continue
            if total is None:
                # A word no example uses is as specific as a word can be: it weighs like the rarest known
                # one, so "how much is the basic plan" is not *account* by "how" and "much" alone.
                weight, rarest = self._weight, self._rarest
                total = sum(weight.get(s, rarest) for s in said if s not in _STOP and s not in _NEGATION)
            if total <= 0:
                return
            score = _VOCAB_SCALE * min(1.0, sum(self._weight[v] * credit[v] for v in hits) / total)
            current = best.get(name)
            if current is None or score > current.score:
                best[name] = IntentMatch(name, round(score, 4), "")
