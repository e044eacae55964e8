"""Phone numbers and e-mail addresses in an utterance, written or spoken.

Phones: any run of at least 7 digits (spaces, dashes, dots and parentheses allowed between groups, a
leading "+" or "plus"/"плюс"), parsed with :mod:`phonenumbers` in the slot's region and kept only if it is
a *possible* number there (a full national or international number: a 7-digit local number such as
"555-0101" in the US has no area code and is not taken). When a run is not a possible number, shorter
runs of its digit groups are tried (so "at 3, 201 555 0123" still finds the number).

E-mails: the written form, or the spoken one ("anna dot lee at example dot com", "анна собака
example точка com").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

__all__ = ["ContactHit", "find_emails", "find_phones"]


@dataclass(frozen=True, slots=True)
class ContactHit:
    start: int
    end: int
    value: str
    confidence: float


_PHONE_RUN = re.compile(
    r"(?:(?<![\w+])(?:\+|plus\s+|плюс\s+))?(?<![\w.:])\d(?:[\s\-().,]{0,3}\d){6,}(?![\w:])"
)
_GROUP = re.compile(r"\d+")
_MAX_TRIES = 8


def find_phones(norm: str, region: str) -> list[ContactHit]:
    """Phone numbers in ``norm`` as E.164 strings."""
    hits: list[ContactHit] = []
    for m in _PHONE_RUN.finditer(norm):
        run = m.group()
        plus = not run[0].isdigit()
        groups = [(g.start() + m.start(), g.end() + m.start()) for g in _GROUP.finditer(run)]
        hit = _parse(norm, groups, 0, len(groups), plus, region, m.start())
        if hit is None:
            hit = _best_window(norm, groups, region)
        if hit is not None:
            hits.append(hit)
    return hits


def _parse(
    norm: str, groups: list[tuple[int, int]], i: int, j: int, plus: bool, region: str, start: int
) -> ContactHit | None:
    digits = "".join(norm[s:e] for s, e in groups[i:j])
    if not 7 <= len(digits) <= 15:
        return None
    try:
        number = phonenumbers.parse(("+" if plus else "") + digits, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    confidence = 0.95 if phonenumbers.is_valid_number(number) else 0.8
    return ContactHit(start if plus and i == 0 else groups[i][0], groups[j - 1][1], value, confidence)


def _best_window(norm: str, groups: list[tuple[int, int]], region: str) -> ContactHit | None:
    n = len(groups)
    windows = sorted(
        ((i, j) for i in range(n) for j in range(i + 1, n + 1) if (i, j) != (0, n)),
        key=lambda w: -(groups[w[1] - 1][1] - groups[w[0]][0]),
    )
    for tries, (i, j) in enumerate(windows):
        if tries >= _MAX_TRIES:
            break
        hit = _parse(norm, groups, i, j, False, region, groups[i][0])
        if hit is not None:
            return hit
    return None


_EMAIL = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])")
_SEP = r"(?:\s+(?:dot|точка)\s+|\s*\.\s*)"
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.])(?P<local>[a-z0-9][a-z0-9_%+-]*(?:(?:{_SEP}|\s+(?:underscore|dash|hyphen)\s+)[a-z0-9_%+-]+)*)"
    r"\s+(?:at|собака|собачка|эт)\s+"
    rf"(?P<domain>[a-z0-9][a-z0-9-]*(?:{_SEP}[a-z0-9-]+)*{_SEP}(?P<tld>[a-z]{{2,}}))(?![\w-])"
)
_SPOKEN_SEP = re.compile(r"\s+(?:dot|точка)\s+|\s*\.\s*")
_SPOKEN_JOIN = {"underscore": "_", "dash": "-", "hyphen": "-"}


def find_emails(norm: str) -> list[ContactHit]:
    """E-mail addresses in ``norm`` (lowercase), written or spoken."""
    if "@" in norm:
        return [ContactHit(m.start(), m.end(), m.group(), 0.95) for m in _EMAIL.finditer(norm)]
    if not any(w in norm for w in (" at ", "собак", " эт ")):
        return []
    hits: list[ContactHit] = []
    for m in _SPOKEN_EMAIL.finditer(norm):
        local = _SPOKEN_SEP.sub(".", m.group("local"))
        for word, char in _SPOKEN_JOIN.items():
            local = re.sub(rf"\s+{word}\s+", char, local)
        domain = _SPOKEN_SEP.sub(".", m.group("domain"))
        hits.append(ContactHit(m.start(), m.end(), f"{local}@{domain}", 0.85))
    return hits
