"""PII recognizers for caller transcripts, in English and Russian, written or spoken.

Each recognizer finds :class:`Span` s (character offsets into the original text) of one kind:

* ``card``: 13-19 digit runs that pass the Luhn checksum;
* ``iban``: a country code, two check digits and 11-30 alphanumerics that pass ISO 7064 mod 97-10;
* ``email``: written (``anna@example.com``) or spoken (``anna dot lee at example dot com``,
  ``анна собака example точка ru``);
* ``phone``: 7+ digit runs that :mod:`phonenumbers` accepts as a possible number (any region it knows,
  tried with the bot's region first), or a 10-11 digit run when no region accepts it;
* ``address``: a house number next to a street word (``12 Baker Street``, ``улица Ленина, дом 5``);
* ``name``: a name after a cue (``my name is Anna Lee``, ``this is John``, ``меня зовут Анна``,
  ``моя фамилия Иванова``).

Spoken digits ("two one two five five five...", "девять один шесть") are turned into digits first
(the engine's own number words, :mod:`voicebot.dialogue.nlu`), so a card or phone read aloud is found;
the span covers the words. Pure: no I/O. The labelled set in tests/analysis/labelled measures recall.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import phonenumbers

from voicebot.dialogue.nlu._numbers import replace_number_words

__all__ = ["RECOGNIZERS", "Digitized", "Span", "digitize", "find_pii", "iban_valid", "luhn_valid"]

Lang = Literal["en", "ru"]


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` is PII of ``kind``; ``source`` says who found it (a recognizer or a slot)."""

    start: int
    end: int
    kind: str
    source: str = "recognizer"


@dataclass(frozen=True, slots=True)
class Digitized:
    """``text`` with spoken digits replaced by digits; ``origin(i)`` maps an index back to the original."""

    text: str
    starts: tuple[int, ...]  # original index of each character of ``text`` (start side)
    ends: tuple[int, ...]  # original end index of each character

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


_ZERO_WORDS: Final = {"en": ("oh", "o"), "ru": ()}


def digitize(text: str, lang: Lang) -> Digitized:
    """Spoken numbers to digits ("five five five" -> "5 5 5"), keeping a map to the original offsets."""
    low = text.lower()
    spans = list(replace_number_words(low, lang))
    zeros = _ZERO_WORDS.get(lang, ())
    if zeros:  # "oh" between digits is a zero ("five oh one")
        for m in re.finditer(r"\b(?:" + "|".join(zeros) + r")\b", low):
            spans.append((m.start(), m.end(), "0"))
        spans.sort()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for start, end, digits in spans:
        if start < pos:
            continue
        for i in range(pos, start):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        for ch in digits:
            out.append(ch)
            starts.append(start)
            ends.append(end)
        pos = end
    for i in range(pos, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return Digitized("".join(out), tuple(starts), tuple(ends))


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check digits (mod 97 == 1) of an IBAN without spaces, upper case."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# ---------------------------------------------------------------------------------------------- digits

_DIGIT_RUN: Final = re.compile(r"(?<![\w+])\+?\d(?:[\s\-().]{0,3}\d){6,}(?!\w)")


def _digit_runs(d: Digitized) -> Iterable[tuple[int, int, str]]:
    for m in _DIGIT_RUN.finditer(d.text):
        yield m.start(), m.end(), re.sub(r"\D", "", m.group())


def _cards(text: str, lang: Lang, d: Digitized) -> list[Span]:
    out = []
    for start, end, digits in _digit_runs(d):
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            out.append(Span(*d.span(start, end), "card"))
    return out


_REGIONS: Final = ("US", "GB", "RU", "DE", "FR")


def _possible_phone(digits: str, plus: bool, regions: Sequence[str]) -> bool:
    candidates = [("+" + digits, None)] if plus else [(digits, r) for r in regions]
    for raw, region in candidates:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


def _phones(text: str, lang: Lang, d: Digitized) -> list[Span]:
    regions = ("RU", *_REGIONS) if lang == "ru" else _REGIONS
    out = []
    for start, end, digits in _digit_runs(d):
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            continue  # a card, not a phone
        plus = d.text[start] == "+" or text[
            max(0, d.starts[start] - 6) : d.starts[start]
        ].lower().strip() in (
            "plus",
            "плюс",
        )
        if 7 <= len(digits) <= 15 and (_possible_phone(digits, plus, regions) or len(digits) in (10, 11)):
            out.append(Span(*d.span(start, end), "phone"))
    return out


_IBAN: Final = re.compile(r"\b[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){11,30}\b")


def _ibans(text: str, lang: Lang, d: Digitized) -> list[Span]:
    out = []
    for m in _IBAN.finditer(text):
        candidate = re.sub(r"\s", "", m.group()).upper()
        # the longest prefix that checks out (an IBAN followed by more digits in speech)
        for n in range(len(candidate), 14, -1):
            if iban_valid(candidate[:n]):
                # map back: count non-space characters
                taken, end = 0, m.start()
                while taken < n and end < m.end():
                    if not text[end].isspace():
                        taken += 1
                    end += 1
                out.append(Span(m.start(), end, "iban"))
                break
    return out


# ---------------------------------------------------------------------------------------------- e-mail

_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_WORD: Final = r"[^\W\d_][\w-]*"
_SPOKEN_EMAIL: Final = re.compile(
    rf"\b{_WORD}(?:\s+(?:dot|точка|underscore|dash)\s+{_WORD})*\s+(?:at|собака|эт)\s+"
    rf"{_WORD}(?:\s*(?:\s(?:dot|точка)\s|\.)\s*{_WORD})+",
    re.IGNORECASE,
)


def _emails(text: str, lang: Lang, d: Digitized) -> list[Span]:
    if "@" in text:
        return [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    return [Span(m.start(), m.end(), "email") for m in _SPOKEN_EMAIL.finditer(text)]


# ---------------------------------------------------------------------------------------------- address

_EN_STREET: Final = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|square|close|"
    r"terrace|crescent|highway|parkway"
)
_EN_ADDRESS: Final = re.compile(
    rf"\b\d{{1,5}}[a-z]?\s+(?:[A-Z0-9][\w'-]*\s+){{1,3}}(?:{_EN_STREET})\b\.?"
    rf"(?:,?\s*(?:apt|apartment|suite|unit|flat)\.?\s*\d+\w?)?",
    re.IGNORECASE,
)
_RU_STREET: Final = "|".join(
    (
        r"улиц[аеуы]",
        r"ул\.",
        r"проспект[ае]?",
        r"пр-т",
        r"переул(?:ок|ке)",
        r"пер\.",
        r"шоссе",
        r"бульвар[ае]?",
        r"набережн(?:ая|ой)",
        r"площад[ьи]",
    )
)
_RU_ADDRESS: Final = re.compile(
    rf"(?:\b(?:{_RU_STREET})\s*(?:[А-ЯЁа-яё\w-]+\s+){{0,2}}[А-ЯЁа-яё\w-]+"
    rf"(?:,?\s*(?:дом|д\.)?\s*\d+\w?(?:\s*(?:корпус|корп\.|к\.|строение|стр\.)\s*\d+)?"
    rf"(?:,?\s*(?:квартира|кв\.)\s*\d+)?)?)"
    rf"|(?:\b(?:дом|д\.)\s*\d+\w?(?:,?\s*(?:квартира|кв\.)\s*\d+)?)",
    re.IGNORECASE,
)
_RU_STREET_ONLY: Final = re.compile(rf"^(?:{_RU_STREET})\s*$", re.IGNORECASE)


def _addresses(text: str, lang: Lang, d: Digitized) -> list[Span]:
    out = [Span(m.start(), m.end(), "address") for m in _EN_ADDRESS.finditer(d.text)]
    out = [Span(*d.span(s.start, s.end), "address") for s in out]
    for m in _RU_ADDRESS.finditer(d.text):
        if not _RU_STREET_ONLY.match(m.group()):
            out.append(Span(*d.span(m.start(), m.end()), "address"))
    return out


# ---------------------------------------------------------------------------------------------- names

_EN_NAME_CUE: Final = re.compile(
    r"\b(?:my name is|my name's|name is|this is|i am|i'm|call me|speaking with|it's|surname is|"
    r"last name is|first name is)\s+",
    re.IGNORECASE,
)
_RU_NAME_CUE: Final = re.compile(
    r"(?:меня зовут|моё имя|мое имя|моя фамилия|фамилия|имя|это|записать на|запишите на|на имя)\s+",
    re.IGNORECASE,
)
_CAP_WORD: Final = re.compile(r"[A-ZА-ЯЁ][a-zа-яё'-]+")
_LOWER_NAME: Final = re.compile(r"[a-zа-яё][a-zа-яё'-]+")
_NOT_NAMES: Final = frozenset(
    [
        "i",
        "yes",
        "no",
        "hi",
        "hello",
        "the",
        "a",
        "an",
        "calling",
        "here",
        "fine",
        "good",
        "ok",
        "okay",
        "sorry",
        "not",
        "just",
        "about",
        "looking",
        "going",
        "interested",
        "trying",
        "ready",
        "sure",
        "available",
        "free",
        "busy",
        "calling",
        "returning",
        "what",
        "how",
        "why",
        "when",
        "да",
        "нет",
        "алло",
        "здравствуйте",
        "добрый",
        "я",
        "мы",
        "вы",
        "он",
        "она",
        "ок",
        "хорошо",
        "ну",
        "вот",
        "так",
        "тот",
        "этот",
        "вопрос",
    ]
)


def _names(text: str, lang: Lang, d: Digitized) -> list[Span]:
    out: list[Span] = []
    for cue in (_EN_NAME_CUE, _RU_NAME_CUE):
        for m in cue.finditer(text):
            pos, words = m.end(), 0
            start = end = pos
            while words < 3:
                w = _CAP_WORD.match(text, pos) or (
                    _LOWER_NAME.match(text, pos) if words == 0 and "name" in m.group().lower() else None
                )
                if w is None or w.group().lower() in _NOT_NAMES:
                    break
                end = w.end()
                words += 1
                pos = end
                while pos < len(text) and text[pos] == " ":
                    pos += 1
            if words:
                out.append(Span(start, end, "name"))
    return out


Recognizer = Callable[[str, Lang, Digitized], list[Span]]

RECOGNIZERS: Final[dict[str, Recognizer]] = {
    "card": _cards,
    "iban": _ibans,
    "email": _emails,
    "phone": _phones,
    "address": _addresses,
    "name": _names,
}
"""Every recognizer by name; a privacy policy names a subset (unknown names are refused)."""


def find_pii(text: str, lang: str = "en", kinds: Iterable[str] | None = None) -> list[Span]:
    """The PII spans of ``text`` (non-overlapping, in order; the earlier, longer span wins)."""
    if not text:
        return []
    language: Lang = "ru" if lang.startswith("ru") else "en"
    d = digitize(text, language)
    found: list[Span] = []
    for name in RECOGNIZERS if kinds is None else kinds:
        found += RECOGNIZERS[name](text, language, d)
    return merge_spans(found)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Spans sorted by start, overlaps dropped (the earlier, then the longer one is kept)."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.end <= span.start:
            continue
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out
