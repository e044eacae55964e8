"""Slot extraction: one caller utterance -> values for the slots the engine is after.

Contract of :meth:`SlotExtractor.extract`:

* Every slot type proposes spans of the utterance; proposals are accepted greedily, best first, by
  (slot was just asked, longer span, higher confidence); a proposal is dropped when its slot is already
  filled or its span overlaps an accepted one. So "завтра в 14:00" fills a datetime slot, or a date slot
  *and* a time slot, never a datetime and a time.
* Slots filled only when ``asked``: number, yes_no, and text (but a text slot whose name contains
  "name" is also filled by an explicit introduction: "my name is Anna", "меня зовут Анна").
  Enum, date, time, phone, e-mail are distinctive enough to be taken unasked.
* A datetime slot needs a date and a time ("tomorrow at 3", or "in 2 hours"); when it was asked, a time
  alone means its next occurrence (today if still ahead, else tomorrow). A date alone fills no datetime.
* Values said right after a negation are ignored ("not Monday, Tuesday"); in a correction ("no, I said
  ...", :func:`~.signals.is_correction`), the value said last wins.
* An hour 1..11 said without am/pm or a part of the day is resolved per slot: the reading inside the
  slot's earliest/latest window if only one is; otherwise, with ``business_hours=True`` (the default),
  1..7 means pm (13:00..19:00) and 8..11 am; with ``business_hours=False``, for a time today the
  reading still ahead, else am. "12" is noon. Such values carry confidence 0.8.
* Year-less dates resolve to the next occurrence, or the last one for ``not_in_future`` slots.
* A value that breaks the rule of a slot that was not asked is not an error for that slot when it can
  belong elsewhere: it is dropped if another slot's proposal covers it, or if it is a date or time
  while a date or time was asked ("friday afternoon" at "when?" never trips the date of birth's
  "can't be in the future"). In a correction it is kept (the caller named what they change).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time

from voicebot.dialogue.nlu._extraction import Extraction, Method, SlotValue, _Proposal
from voicebot.dialogue.nlu._lexicon import YES_NO
from voicebot.dialogue.nlu._phrases import _PhraseIndex
from voicebot.dialogue.nlu._utterance import _Utterance
from voicebot.scenario.model import DateTimeSlot, EnumSlot, Language, Slot, TimeSlot

__all__ = ["Extraction", "Method", "SlotExtractor", "SlotValue"]

_HHMM = re.compile(r"^(\d\d):(\d\d)$")
_CONTENT = re.compile(r"\w")
# A correction inside one sentence: "tomorrow at 10, sorry, I mean 11 am"; "завтра в 10, ой, нет, в 11".
_SELF_CORRECTION: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"(?:,|\s)\s*(?:(?:sorry|no|wait|oops|oh|er|um)[,\s]+)*"
        r"(?:i\s+mean|i\s+meant|make\s+(?:that|it)|or\s+rather|rather)\b[,\s]*"
        r"|,\s*(?:sorry|no|wait|oops)\s*,\s*",
        re.IGNORECASE,
    ),
    "ru": re.compile(
        r"(?:,|\s)\s*(?:(?:ой|нет|извините|простите|стоп)[,\s]+)*(?:то\s+есть|вернее|точнее|в\s+смысле)(?!\w)[,\s]*"
        r"|,\s*(?:ой|нет|извините|простите)(?:[,\s]+нет)?\s*,\s*",
        re.IGNORECASE,
    ),
}


def _hhmm(value: str | None) -> time | None:
    if value is None:
        return None
    m = _HHMM.match(value)
    return time(int(m.group(1)), int(m.group(2))) if m else None


class SlotExtractor:
    """Compiled once per scenario; :meth:`extract` is called on every caller turn.

    ``business_hours``: resolve an ambiguous hour 1..7 to pm (see the module docstring).
    """

    def __init__(
        self,
        slots: Mapping[str, Slot],
        *,
        lang: Language,
        region: str,
        business_hours: bool = True,
    ) -> None:
        self.lang: Language = lang
        self.region = region
        self.business_hours = business_hours
        self._slots: dict[str, Slot] = dict(slots)
        self._enums: dict[str, _PhraseIndex] = {
            name: _PhraseIndex(slot.synonyms(), lang, use_stems=True)
            for name, slot in self._slots.items()
            if isinstance(slot, EnumSlot)
        }
        yes_no = YES_NO[lang]
        self._yes_no = _PhraseIndex(
            {"yes": [p for p, v in yes_no.items() if v], "no": [p for p, v in yes_no.items() if not v]},
            lang,
            use_stems=False,
        )
        self._windows: dict[str, tuple[time | None, time | None]] = {
            name: (_hhmm(slot.earliest), _hhmm(slot.latest))
            for name, slot in self._slots.items()
            if isinstance(slot, TimeSlot | DateTimeSlot)
        }

    # ------------------------------------------------------------------ public

    def _self_corrected(
        self, text: str, cut: int, resume: int, names: Sequence[str], asked: str | None, now: datetime
    ) -> dict[str, Extraction]:
        """ "tomorrow at 10, sorry, I mean 11 am": what follows the cue replaces what it says again; a
        time alone keeps the day said before it."""
        before = self.extract(text[:cut], candidates=names, asked=asked, now=now)
        after_text = text[resume:]
        after = self.extract(after_text, candidates=names, asked=asked, now=now)
        merged = dict(before)
        for name, prev in before.items():
            if not isinstance(prev.value, datetime):
                continue
            fresh = after.get(name)
            if fresh is None or fresh.method == "asked":
                fresh = fresh or self.extract(after_text, candidates=(name,), asked=name, now=now).get(name)
                if fresh is not None and isinstance(fresh.value, datetime):
                    moved = prev.value.replace(hour=fresh.value.hour, minute=fresh.value.minute)
                    after = {**after, name: replace(fresh, value=moved)}
        for name, x in after.items():
            merged[name] = replace(x, start=x.start + resume, end=x.end + resume)
        return merged

    def day_alone(self, text: str, *, now: datetime) -> date | None:
        """The day, when ``text`` names exactly one day and no time ("friday afternoon", "в понедельник")."""
        t = _Utterance(self, text, now).temporal
        if len(t.dates) != 1 or t.times or t.moments:
            return None
        return t.dates[0].value

    def _drop_misfits(self, proposals: list[_Proposal], asked: str | None, now: datetime) -> list[_Proposal]:
        from voicebot.dialogue.nlu.values import validate  # values imports this module

        temporal = ("date", "time", "datetime")
        asked_temporal = asked is not None and asked in self._slots and self._slots[asked].type in temporal
        kept = []
        for p in proposals:
            if not p.asked and validate(self._slots[p.slot], p.value, now=now) is not None:
                elsewhere = any(q.slot != p.slot and q.start < p.end and p.start < q.end for q in proposals)
                if elsewhere or (asked_temporal and self._slots[p.slot].type in temporal):
                    continue
            kept.append(p)
        return kept

    def extract(
        self, text: str, *, candidates: Sequence[str], asked: str | None, now: datetime
    ) -> dict[str, Extraction]:
        """Values for the ``candidates`` slots found in ``text`` (see the module docstring)."""
        names = [n for n in candidates if n in self._slots]
        if not names or not text or text.isspace():
            return {}
        cut = _SELF_CORRECTION[self.lang].search(text)
        if cut is not None and _CONTENT.search(text, 0, cut.start()) and _CONTENT.search(text, cut.end()):
            return self._self_corrected(text, cut.start(), cut.end(), names, asked, now)
        u = _Utterance(self, text, now)
        proposals: list[_Proposal] = []
        text_slots: list[str] = []
        for name in names:
            slot = self._slots[name]
            is_asked = name == asked
            kind = slot.type
            if kind == "text":
                text_slots.append(name)
                proposals.extend(u.on_intro(name, is_asked))
            elif kind == "enum":
                proposals.extend(u.on_enum(name, is_asked))
            elif slot.type == "date":
                proposals.extend(u.on_date(name, slot, is_asked))
            elif kind == "time":
                proposals.extend(u.on_time(name, is_asked))
            elif kind == "datetime":
                proposals.extend(u.on_datetime(name, is_asked))
            elif slot.type == "phone":
                proposals.extend(u.on_phone(name, slot.region or self.region, is_asked))
            elif kind == "email":
                proposals.extend(u.on_email(name, is_asked))
            elif kind == "number":
                if is_asked:
                    proposals.extend(u.on_number(name))
            elif kind == "yes_no" and is_asked:
                proposals.extend(u.on_yes_no(name))
        if not u.correction:
            proposals = self._drop_misfits(proposals, asked, now)
        result = u.resolve(proposals)
        if asked in text_slots and asked not in result:
            leftover = u.leftover(asked, result.values())
            if leftover is not None:
                result[asked] = leftover
        return result
