"""One utterance under analysis: the proposals of every slot type, and their resolution.

See :mod:`voicebot.dialogue.nlu.extractor` for the contract; this module holds the per-utterance work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from voicebot.dialogue.nlu._contact import ContactHit, find_emails, find_phones
from voicebot.dialogue.nlu._datetime import DateHit, Temporal, TimeHit, apply_pod, parse_temporal
from voicebot.dialogue.nlu._extraction import Extraction, Method, SlotValue, _Proposal
from voicebot.dialogue.nlu._lexicon import FILLER, INTRO_STRONG, INTRO_WEAK, NAME_STOP, NEGATED, TRAILING
from voicebot.dialogue.nlu._text import WORD, Normalized, normalize, stem
from voicebot.dialogue.nlu.signals import is_correction
from voicebot.scenario.model import DateSlot, Language

if TYPE_CHECKING:
    from voicebot.dialogue.nlu.extractor import SlotExtractor

__all__ = ["_Utterance"]

_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)?(?![\w]|[.,]\d)")
_BARE_HOUR = re.compile(r"(?<![\w.:])(\d{1,2})(?:[:.](\d{2})|\s([0-5]\d))?(?![\w:])")
# What may stand between a date and its time: "tomorrow at 3", "friday afternoon maybe like half past
# two", "в пятницу где-то в 3".
_GAP = re.compile(
    r"[\s,]*(?:(?:at|on|maybe|like|say|about|around|um|uh|er|perhaps|or\s+so|then|и|в|во|на|к|около|"
    r"где-?то|примерно|может|наверное|ну|давайте)(?!\w)[\s,]*){0,4}"
)
_DIGIT = re.compile(r"\d")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?"
)
_MAX_NAME_WORDS = 4


class _Utterance:
    """Per-call analysis state; each analysis is computed lazily, at most once."""

    def __init__(self, ex: SlotExtractor, text: str, now: datetime) -> None:
        self.ex = ex
        self.lang: Language = ex.lang
        self.now = now
        self.today = now.date()
        self.n: Normalized = normalize(text, ex.lang)
        self.norm = self.n.norm
        self._tokens: list[tuple[str, str, int, int]] | None = None
        self._temporal: Temporal | None = None
        self._combos: list[tuple[DateHit, TimeHit]] | None = None
        self._phones: dict[str, list[ContactHit]] = {}
        self._emails: list[ContactHit] | None = None
        self._correction: bool | None = None

    # ------------------------------------------------------------------ analyses

    @property
    def tokens(self) -> list[tuple[str, str, int, int]]:
        if self._tokens is None:
            self._tokens = [
                (m.group(), stem(m.group()), m.start(), m.end()) for m in WORD.finditer(self.norm)
            ]
        return self._tokens

    @property
    def temporal(self) -> Temporal:
        if self._temporal is None:
            self._temporal = parse_temporal(self.norm, self.lang, self.now, region=self.ex.region)
        return self._temporal

    @property
    def combos(self) -> list[tuple[DateHit, TimeHit]]:
        if self._combos is None:
            combos: list[tuple[DateHit, TimeHit]] = []
            used: set[int] = set()
            t = self.temporal
            for d in t.dates:
                for i, tm in enumerate(t.times):
                    if i in used:
                        continue
                    a, b = (d.end, tm.start) if d.end <= tm.start else (tm.end, d.start)
                    if a <= b and _GAP.fullmatch(self.norm, a, b):
                        combos.append((d, tm))
                        used.add(i)
                        break
            self._combos = combos
        return self._combos

    def phones(self, region: str) -> list[ContactHit]:
        hits = self._phones.get(region)
        if hits is None:
            hits = self._phones[region] = (
                find_phones(self.norm, region) if _digit_count(self.norm) >= 7 else []
            )
        return hits

    @property
    def emails(self) -> list[ContactHit]:
        if self._emails is None:
            self._emails = find_emails(self.norm)
        return self._emails

    @property
    def correction(self) -> bool:
        if self._correction is None:
            self._correction = is_correction(self.n.original, self.lang)
        return self._correction

    # ------------------------------------------------------------------ proposals per type

    def _p(
        self, slot: str, start: int, end: int, value: SlotValue, conf: float, method: Method, asked: bool
    ) -> _Proposal:
        return _Proposal(slot, start, end, value, conf, method, asked)

    def on_enum(self, name: str, asked: bool) -> list[_Proposal]:
        return [
            self._p(name, s, e, canonical, 1.0 if exact else 0.9, "synonym", asked)
            for s, e, canonical, exact, _ in self.ex._enums[name].find(self.tokens)
        ]

    def on_yes_no(self, name: str) -> list[_Proposal]:
        return [
            self._p(name, s, e, canonical == "yes", 0.95, "synonym", True)
            for s, e, canonical, _, _ in self.ex._yes_no.find(self.tokens)
        ]

    def _date_value(self, hit: DateHit, slot: DateSlot) -> date:
        if slot.not_in_future and hit.month_day is not None and hit.value > self.today:
            month, day = hit.month_day
            for year in (self.today.year, self.today.year - 1, self.today.year - 4):
                try:
                    candidate = date(year, month, day)
                except ValueError:
                    continue
                if candidate <= self.today:
                    return candidate
        return hit.value

    def on_date(self, name: str, slot: DateSlot, asked: bool) -> list[_Proposal]:
        return [
            self._p(name, d.start, d.end, self._date_value(d, slot), 0.95, "parser", asked)
            for d in self.temporal.dates
        ]

    def _clock(self, name: str, hit: TimeHit, pod: str | None, day: date | None) -> tuple[time, float]:
        if not hit.ambiguous:
            return time(hit.hour, hit.minute), 0.95
        if pod:
            return time(apply_pod(hit.hour, pod), hit.minute), 0.95
        if hit.hour == 12:
            return time(12, hit.minute), 0.9
        options = (time(hit.hour, hit.minute), time(hit.hour + 12, hit.minute))
        earliest, latest = self.ex._windows.get(name, (None, None))
        if earliest is not None or latest is not None:
            inside = [
                o for o in options if (earliest is None or o >= earliest) and (latest is None or o <= latest)
            ]
            if len(inside) == 1:
                return inside[0], 0.9
        if self.ex.business_hours:
            return options[1] if hit.hour <= 7 else options[0], 0.8
        if day is not None and day == self.today:
            ahead = [o for o in options if o > self.now.time().replace(tzinfo=None)]
            if len(ahead) == 1:
                return ahead[0], 0.8
        return options[0], 0.8

    def on_time(self, name: str, asked: bool) -> list[_Proposal]:
        t = self.temporal
        pods = {id(tm): d.pod for d, tm in self.combos}
        days = {id(tm): d.value for d, tm in self.combos}
        out = []
        for tm in t.times:
            value, conf = self._clock(name, tm, pods.get(id(tm)), days.get(id(tm)))
            out.append(self._p(name, tm.start, tm.end, value, conf, "parser", asked))
        for mo in t.moments:
            clock = mo.value.time().replace(second=0, microsecond=0)
            out.append(self._p(name, mo.start, mo.end, clock, 0.85, "parser", asked))
        if asked and not out:
            out.extend(self._bare_hour(name, None))
        return out

    def on_datetime(self, name: str, asked: bool) -> list[_Proposal]:
        tz = self.now.tzinfo
        out = []
        iso = _ISO_DATETIME.fullmatch(self.n.original.strip())
        if iso is not None:  # a machine-written value (an LLM's extraction, a default)
            try:
                parsed = datetime.fromisoformat(iso.group().upper())
            except ValueError:
                parsed = None
            if parsed is not None:
                value = parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)
                return [self._p(name, 0, len(self.norm), value, 1.0, "parser", asked)]
        for d, tm in self.combos:
            clock, conf = self._clock(name, tm, d.pod, d.value)
            value = datetime.combine(d.value, clock, tzinfo=tz)
            out.append(
                self._p(name, min(d.start, tm.start), max(d.end, tm.end), value, conf, "parser", asked)
            )
        for mo in self.temporal.moments:
            value = mo.value.replace(second=0, microsecond=0)
            out.append(self._p(name, mo.start, mo.end, value, 0.9, "parser", asked))
        if asked:
            paired = {id(tm) for _, tm in self.combos}
            for tm in self.temporal.times:
                if id(tm) not in paired:
                    out.append(self._next_occurrence(name, tm))
            if not out:
                out.extend(self._bare_hour(name, "datetime"))
        return out

    def _next_occurrence(self, name: str, tm: TimeHit) -> _Proposal:
        clock, conf = self._clock(name, tm, None, self.today)
        value = datetime.combine(self.today, clock, tzinfo=self.now.tzinfo)
        if value <= self.now:
            value += timedelta(days=1)
        return self._p(name, tm.start, tm.end, value, min(conf, 0.75), "asked", True)

    def _bare_hour(self, name: str, kind: str | None) -> list[_Proposal]:
        if len(self.tokens) > 6 or self.temporal.dates:
            return []
        found = [m for m in _BARE_HOUR.finditer(self.norm)]
        if len(found) != 1:
            return []
        m = found[0]
        hour, minute = int(m.group(1)), int(m.group(2) or m.group(3) or 0)
        if hour > 23 or minute > 59:
            return []
        hit = TimeHit(m.start(), m.end(), hour, minute, 1 <= hour <= 12 and not m.group(1).startswith("0"))
        if kind == "datetime":
            return [self._next_occurrence(name, hit)]
        value, conf = self._clock(name, hit, None, None)
        return [self._p(name, m.start(), m.end(), value, min(conf, 0.75), "asked", True)]

    def on_phone(self, name: str, region: str, asked: bool) -> list[_Proposal]:
        return [
            self._p(name, h.start, h.end, h.value, h.confidence, "parser", asked) for h in self.phones(region)
        ]

    def on_email(self, name: str, asked: bool) -> list[_Proposal]:
        return [self._p(name, h.start, h.end, h.value, h.confidence, "pattern", asked) for h in self.emails]

    def on_number(self, name: str) -> list[_Proposal]:
        t = self.temporal
        taken = [(h.start, h.end) for h in t.dates]
        taken += [(h.start, h.end) for h in t.times]
        taken += [(h.start, h.end) for h in t.moments]
        taken += [(h.start, h.end) for h in self.phones(self.ex.region)]
        taken += [(h.start, h.end) for h in self.emails]
        out = []
        for m in _NUMBER.finditer(self.norm):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            raw = m.group().replace(",", ".")
            number = float(raw)
            value: int | float = int(number) if number.is_integer() and "." not in raw else number
            out.append(self._p(name, m.start(), m.end(), value, 0.9, "parser", True))
        return out

    def on_intro(self, name: str, asked: bool) -> list[_Proposal]:
        if not asked and "name" not in name:
            return []
        original = self.n.original
        out = []
        for regex, strong in ((INTRO_STRONG[self.lang], True), (INTRO_WEAK[self.lang], False)):
            for m in regex.finditer(self.norm):
                start = m.start("name")
                words: list[tuple[int, int]] = []
                for w in WORD.finditer(self.norm, start, m.end("name")):
                    if w.group() in NAME_STOP:
                        break
                    s, e = self.n.span(w.start(), w.end())
                    capitalized = original[s:e][:1].isupper()
                    if not capitalized and (words or not strong):
                        break  # weak introductions and second names need a capital
                    words.append((w.start(), w.end()))
                if not words:
                    continue
                s, e = self.n.span(words[0][0], words[-1][1])
                value = original[s:e]
                if not value[:1].isupper():
                    value = value.title()
                conf = 0.9 if strong else 0.8
                out.append(self._p(name, words[0][0], words[-1][1], value, conf, "pattern", asked))
            if out:
                break
        return out

    # ------------------------------------------------------------------ resolution

    def resolve(self, proposals: list[_Proposal]) -> dict[str, Extraction]:
        if not proposals:
            return {}
        negated = NEGATED[self.lang]
        proposals = [p for p in proposals if not negated.search(self.norm, max(0, p.start - 16), p.start)]
        if self.correction:
            last_end: dict[str, int] = {}
            for p in proposals:
                last_end[p.slot] = max(last_end.get(p.slot, 0), p.end)
            proposals = [p for p in proposals if p.end == last_end[p.slot]]
        proposals.sort(key=lambda p: (not p.asked, -(p.end - p.start), -p.confidence, p.start))
        taken: list[tuple[int, int]] = []
        result: dict[str, Extraction] = {}
        for p in proposals:
            if p.slot in result or any(p.start < e and s < p.end for s, e in taken):
                continue
            taken.append((p.start, p.end))
            s, e = self.n.span(p.start, p.end)
            result[p.slot] = Extraction(p.value, self.n.original[s:e], p.confidence, p.method, s, e)
        return result

    def leftover(self, name: str, taken: Iterable[Extraction]) -> Extraction | None:
        """The asked text slot's value: what is left once other values and filler are removed.

        For a slot whose name says it holds a name, more than four words is a sentence, not a name.
        """
        original = self.n.original
        spans = sorted((x.start, x.end) for x in taken)
        pieces, pos = [], 0
        for s, e in spans:
            pieces.append(original[pos:s])
            pos = max(pos, e)
        pieces.append(original[pos:])
        rest = " ".join(p.strip(" ,.;:!?") for p in pieces if p.strip(" ,.;:!?"))
        rest = TRAILING.sub("", FILLER.sub("", rest)).strip(" ,.;:!?-")
        if not rest or not any(c.isalnum() for c in rest):
            return None
        if spans and all(word.lower().strip("'") in NAME_STOP for word in rest.split()):
            # "it's for a follow-up, tomorrow": once the values are taken, "for a" is no answer.
            return None
        if "name" in name and len(rest.split()) > _MAX_NAME_WORDS:
            return None
        start = original.find(rest)
        return Extraction(rest, rest, 0.6, "asked", max(start, 0), max(start, 0) + len(rest))


def _digit_count(text: str) -> int:
    return len(_DIGIT.findall(text))
