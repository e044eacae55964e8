"""A fast rule-based parser for dates and times in English and Russian.

Works on normalized text (see :mod:`._text`: lowercase, number words already digits) and returns hits
with spans in that text. Resolution rules (relative to ``today``, the date of ``now`` in the bot's zone):

* "today"/"сегодня" 0, "tomorrow"/"завтра" +1, "the day after tomorrow"/"послезавтра" +2 (and back).
* A weekday alone, "on Friday", "next Friday", "в пятницу", "в следующую пятницу": the first such day
  strictly after today (1..7 days ahead; so "Friday" said on a Friday is a week later). "this Friday",
  "в эту пятницу": the first such day from today on (0..6 days ahead).
* "March 15", "15th of March", "15 марта", "15.03" without a year: the next occurrence from today on
  (a date earlier in the year rolls to next year; the extractor rolls it back for ``not_in_future``
  slots). "03/15" is month-first only for month-first regions (US, CA, PH); dots are always day-first.
* "the 15th", "15-го": that day this month, or next month if it has passed.
* "in 3 days"/"через 3 дня", weeks and months likewise; "in 2 hours"/"через 2 часа" is a moment.
* Times: "3 pm", "3:30", "15:00", "at 3", "noon", "half past two", "quarter to 4", "в 14:00",
  "в 3 часа дня", "в половине третьего" (2:30), "без четверти 4". An hour 1..12 said without am/pm or a
  part of the day ("in the evening", "вечера", or "tonight"/"вечером" next to the date) is *ambiguous*;
  the extractor resolves it per slot (see :mod:`.extractor`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voicebot.dialogue.nlu._daymath import add_months as _add_months
from voicebot.dialogue.nlu._daymath import month_day as _month_day
from voicebot.dialogue.nlu._daymath import safe_date as _safe_date
from voicebot.scenario.model import Language

__all__ = ["DateHit", "MomentHit", "Temporal", "TimeHit", "parse_temporal"]


@dataclass(frozen=True, slots=True)
class DateHit:
    start: int
    end: int
    value: date
    month_day: tuple[int, int] | None  # set when the caller gave a month and day but no year
    pod: str | None  # part of day said with the date ("tomorrow evening"): morning/day/evening/night


@dataclass(frozen=True, slots=True)
class TimeHit:
    start: int
    end: int
    hour: int
    minute: int
    ambiguous: bool  # hour 1..12 with nothing saying am or pm


@dataclass(frozen=True, slots=True)
class MomentHit:
    """A relative moment ("in 2 hours"): a full datetime."""

    start: int
    end: int
    value: datetime


@dataclass(frozen=True, slots=True)
class Temporal:
    dates: tuple[DateHit, ...]
    times: tuple[TimeHit, ...]
    moments: tuple[MomentHit, ...]


_EMPTY = Temporal((), (), ())
_DIGIT = re.compile(r"\d")

# --------------------------------------------------------------------------- English

_EN_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_EN_MONTH_RE = (
    r"(?:january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|"
    r"september|sept|sep|october|oct|november|nov|december|dec)"
)
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ORD = r"(?:st|nd|rd|th)"

# A year after a month and day: four digits, or two that cannot be a day or an hour ("March 3rd, 85").
_EN_YEAR = r"\d{4}|'?(?:[4-9]\d|3[2-9])(?![\d:])(?!\s*(?:[ap]\.?\s?m\b|o'?clock))"

_EN_DATE = re.compile(
    r"\b(?:(?:on|for|by)\s+)?(?:"
    r"(?P<rel>(?:the\s+)?day\s+after\s+tomorrow|(?:the\s+)?day\s+before\s+yesterday|tomorrow|today|tonight"
    r"|yesterday|this\s+(?:morning|afternoon|evening))"
    r"|(?:(?P<mod>next|this|this\s+coming|coming)\s+)?"
    r"(?P<wd>monday|tuesday|tues|wednesday|weds|thursday|thurs|friday|saturday|sunday)s?"
    rf"|(?:the\s+)?(?P<d1>\d{{1,2}}){_ORD}?(?:\s+of)?\s+(?P<m1>{_EN_MONTH_RE})\b(?:,?\s+(?P<y1>{_EN_YEAR}))?"
    rf"|(?P<m2>{_EN_MONTH_RE})\.?\s+(?:the\s+)?(?P<d2>\d{{1,2}}){_ORD}?\b(?:,?\s+(?P<y2>{_EN_YEAR}))?"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<na>\d{1,2})(?:(?P<sep>/)(?P<nb>\d{1,2})|(?P<dot>\.)(?P<nb2>\d{2}))(?:[./](?P<ny>\d{4}|\d{2}))?(?![\d:]|[.,]\d)"
    r"|in\s+(?P<n>\d+|a|an|one)\s+(?P<unit>day|week|month)s?"
    rf"|the\s+(?P<d3>\d{{1,2}}){_ORD}"
    rf"|(?P<d4>\d{{1,2}}){_ORD}"
    r")\b"
    r"(?:\s+(?:in\s+the\s+)?(?P<pod>morning|afternoon|evening|night))?"
)

# "a week from tomorrow", "two weeks from Friday", "3 days from today": an offset from a day.
_EN_FROM = re.compile(r"\b(?P<n>a|an|one|\d+)\s+(?P<unit>day|week)s?\s+from\s+(?P<base>(?:next\s+)?\w+)\b")

_EN_TIME = re.compile(
    r"\b(?:(?P<pre>at|by|around|from|after|before|until|till)\s+)?(?:"
    r"(?P<noon>noon|midday|midnight)"
    r"|half\s+past\s+(?P<hh>\d{1,2})"
    r"|half\s+(?P<hb>\d{1,2})(?!\s*(?:[:.]\d|past|an\b|hour))"  # British "half seven" = 7:30
    r"|(?:a\s+)?quarter\s+(?P<qdir>past|after|to|till|before|of)\s+(?P<qh>\d{1,2})"
    r"|(?P<mins>\d{1,2})\s+(?:minutes?\s+)?(?P<mdir>past|after|to|till|before)\s+(?P<mh>\d{1,2})"
    r"|(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})|\s(?P<ms>[0-5]\d)(?!\d))?\s*"
    r"(?:(?P<ap>[ap])\.?\s?m\b\.?|(?P<oc>o'?\s?clock))?"
    r")"
    r"(?:(?<=\s)|\s+)?(?:(?<=\s)(?:in\s+the\s+|at\s+)?(?P<pod>morning|afternoon|evening|night|tonight)\b)?"
    r"(?!\d)"
)

_EN_MOMENT = re.compile(
    r"\bin\s+(?:(?P<n>\d+|an|a|one)\s+(?P<unit>hour|minute|min)s?|(?P<half>half\s+an\s+hour))\b"
)

# --------------------------------------------------------------------------- Russian

_RU_MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "ма": 5, "июн": 6,
    "июл": 7, "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
}  # fmt: skip
_RU_MONTH_RE = (
    r"(?:январ[ьяюе]|феврал[ьяюе]|март[ае]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|август[ае]?|"
    r"сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе])"
)
_RU_WEEKDAYS = {"пон": 0, "вто": 1, "сре": 2, "чет": 3, "пят": 4, "суб": 5, "вос": 6}
_RU_ORD = r"(?:-?(?:го|е|ое|ого))"

# Two digits count as a year only with «года» ("3 марта 85 года").
_RU_YEAR = r"\d{4}(?:-?го)?|\d{2}(?:-?го)?(?=\s*(?:года|году|год|г\.))"

_RU_DATE = re.compile(
    r"(?<!\w)(?:(?:на|в|во|к|до)\s+)?(?:"
    r"(?P<rel>послезавтра|позавчера|завтра|сегодня|вчера)"
    r"|(?:(?P<mod>следующ\w*|эт[оуиа]|этот|ближайш\w*|будущ\w*)\s+)?"
    r"(?P<wd>понедельник[аи]?|вторник[аи]?|сред[ауы]|четверг[аи]?|пятниц[ауы]|суббот[ауы]|воскресень[еяю])"
    rf"|(?P<d1>\d{{1,2}}){_RU_ORD}?\s+(?P<m1>{_RU_MONTH_RE})(?:\s+(?P<y1>{_RU_YEAR})(?:\s*(?:года|году|год|г\.?))?)?"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<na>\d{1,2})(?:(?P<sep>/)(?P<nb>\d{1,2})|(?P<dot>\.)(?P<nb2>\d{2}))(?:[./](?P<ny>\d{4}|\d{2}))?(?![\d:]|[.,]\d)"
    r"|через\s+(?:(?P<n>\d+)\s+)?(?P<unit>день|дня|дней|недел[юиь]|месяц(?:а|ев)?)"
    rf"|(?P<d3>\d{{1,2}}){_RU_ORD}(?:\s+числ[оа])?|(?P<d4>\d{{1,2}})\s+числа"
    r")(?!\w)"
    r"(?:\s+(?P<pod>утром|днем|вечером|ночью))?"
)

_RU_TIME = re.compile(
    r"(?<!\w)(?:(?P<pre>в|во|к|на|около|после|до|с)\s+)?(?:"
    r"(?P<noon>полдень|полночь|полудню|полуночи)"
    r"|половин[еуы]\s+(?P<hh>\d{1,2})(?:-?го)?"
    r"|пол(?P<ph>первого|второго|третьего|четвертого|пятого|шестого|седьмого|восьмого|девятого|десятого"
    r"|одиннадцатого|двенадцатого)"
    r"|без\s+(?:(?P<bq>четверти)|(?P<bm>\d{1,2})(?:\s+минут[ы]?)?)\s+(?P<bh>\d{1,2})(?:-?х|-?ти|-?и)?"
    r"|четверть\s+(?P<qh>\d{1,2})(?:-?го)?"
    r"|(?P<one>час)(?=\s+(?:дня|ночи))"
    r"|(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})"
    r"|(?P<hw>\s+час(?:а|ов)?)?(?:\s+(?P<ms>\d{1,2})(?:\s+(?P<mw>минут[ы]?))?)?)"
    r")"
    r"(?:\s+(?P<pod>утра|дня|вечера|ночи))?"
    r"(?![\w:])"
)

_RU_MOMENT = re.compile(
    r"(?<!\w)через\s+(?:(?P<n>\d+)\s+)?(?P<unit>час(?:а|ов)?|минут[уы]?)(?!\w)|(?<!\w)через\s+(?P<half>полчаса)"
)

_MONTH_FIRST_REGIONS = frozenset({"US", "CA", "PH", "FM", "MH"})
_PM_PODS = frozenset({"afternoon", "evening", "tonight", "дня", "вечера", "днем", "вечером"})
_NIGHT_PODS = frozenset({"night", "ночи", "ночью"})
_MORNING_PODS = frozenset({"morning", "утра", "утром"})


def parse_temporal(norm: str, lang: Language, now: datetime, *, region: str = "US") -> Temporal:
    """All date, time and moment hits in ``norm`` (non-overlapping, in order)."""
    if _DIGIT.search(norm) is None and not _has_temporal_word(norm, lang):
        return _EMPTY
    today = now.date()
    dates: list[DateHit] = _offset_dates(norm, today) if lang == "en" else []
    for m in (_EN_DATE if lang == "en" else _RU_DATE).finditer(norm):
        if _overlaps(m.start(), m.end(), dates):
            continue
        hit = _date_hit(m, today, lang, month_first=region in _MONTH_FIRST_REGIONS)
        if hit is not None:
            dates.append(hit)
    dates.sort(key=lambda d: d.start)
    moments: list[MomentHit] = []
    for m in (_EN_MOMENT if lang == "en" else _RU_MOMENT).finditer(norm):
        if not _overlaps(m.start(), m.end(), dates):
            moments.append(MomentHit(m.start(), m.end(), _moment(m, now)))
    times: list[TimeHit] = []
    for m in (_EN_TIME if lang == "en" else _RU_TIME).finditer(norm):
        t = _time_hit(m, lang)
        if t is not None and not _overlaps(t.start, t.end, dates) and not _overlaps(t.start, t.end, moments):
            times.append(t)
    return Temporal(tuple(dates), tuple(times), tuple(moments))


_TEMPORAL_WORDS = {
    "en": re.compile(
        r"tomorrow|today|tonight|yesterday|day|week|month|noon|midday|midnight|"
        r"monday|tuesday|tues|wednesday|weds|thursday|thurs|friday|saturday|sunday|morning|evening|afternoon"
    ),
    "ru": re.compile(
        r"завтра|сегодня|вчера|понедельник|вторник|сред|четверг|пятниц|суббот|воскресень|полдень|полноч|"
        r"полчаса|пол[а-я]+[ое]го|недел|месяц|час"
    ),
}


def _offset_dates(norm: str, today: date) -> list[DateHit]:
    out: list[DateHit] = []
    for m in _EN_FROM.finditer(norm):
        base_text = m.group("base")
        if base_text in ("now", "today"):
            base: date | None = today
        else:
            b = _EN_DATE.fullmatch(base_text)
            hit = _date_hit(b, today, "en", month_first=False) if b is not None else None
            base = hit.value if hit is not None else None
        if base is None:
            continue
        n = 1 if not m.group("n").isdigit() else int(m.group("n"))
        days = n * 7 if m.group("unit") == "week" else n
        pod = re.match(r"\s+(?:in\s+the\s+)?(morning|afternoon|evening|night)\b", norm[m.end() :])
        end = m.end() + (pod.end() if pod else 0)
        out.append(DateHit(m.start(), end, base + timedelta(days=days), None, pod.group(1) if pod else None))
    return out


def _has_temporal_word(norm: str, lang: Language) -> bool:
    return _TEMPORAL_WORDS[lang].search(norm) is not None


def _overlaps(start: int, end: int, hits: list[DateHit] | list[MomentHit]) -> bool:
    return any(start < h.end and h.start < end for h in hits)


def _date_hit(m: re.Match[str], today: date, lang: Language, *, month_first: bool) -> DateHit | None:
    g = m.groupdict()
    pod = g["pod"]
    value: date | None = None
    month_day: tuple[int, int] | None = None
    if g["rel"]:
        rel = g["rel"]
        if "after" in rel or rel == "послезавтра":
            value = today + timedelta(days=2)
        elif "before" in rel or rel == "позавчера":
            value = today - timedelta(days=2)
        elif rel in ("tomorrow", "завтра"):
            value = today + timedelta(days=1)
        elif rel in ("yesterday", "вчера"):
            value = today - timedelta(days=1)
        else:
            value = today
            if rel == "tonight":
                pod = pod or "tonight"
            elif rel.startswith("this "):
                pod = pod or rel.split()[-1]
    elif g["wd"]:
        table = _EN_WEEKDAYS if lang == "en" else _RU_WEEKDAYS
        target = table[g["wd"][:3]]
        delta = (target - today.weekday()) % 7
        mod = g["mod"] or ""
        this = mod.startswith(("this", "эт", "ближайш")) and "coming" not in mod
        if delta == 0 and not this:
            delta = 7
        value = today + timedelta(days=delta)
    elif g["m1"] or g.get("m2"):
        name = g["m1"] or g["m2"]
        month = _EN_MONTHS[name[:3]] if lang == "en" else _RU_MONTHS.get(name[:3]) or _RU_MONTHS[name[:2]]
        value, month_day = _month_day(today, month, int(g["d1"] or g["d2"]), g["y1"] or g.get("y2"))
    elif g["iy"]:
        value = _safe_date(int(g["iy"]), int(g["im"]), int(g["id"]))
    elif g["na"]:
        a, b = int(g["na"]), int(g["nb"] or g["nb2"])
        if g["dot"] and g["ny"] is None and _preceded_by_time_word(m.string, m.start("na"), lang):
            return None  # "at 3.30" / "в 15.00" is a time
        day, month = (b, a) if (g["sep"] == "/" and month_first and a <= 12) or b > 12 else (a, b)
        value, month_day = _month_day(today, month, day, g["ny"])
    elif g["unit"]:
        raw = g["n"]
        n = 1 if raw is None or not raw.isdigit() else int(raw)
        unit = g["unit"]
        if unit.startswith(("day", "д")):
            value = today + timedelta(days=n)
        elif unit.startswith(("week", "недел")):
            value = today + timedelta(weeks=n)
        else:
            value = _add_months(today, n)
    else:
        if _HALF_HOUR_BEFORE.search(m.string, max(0, m.start() - 16), m.start()):
            return None  # "в половине 3-го" is a time
        day = int(g["d3"] or g["d4"])
        value = _safe_date(today.year, today.month, day)
        if value is None or value < today:
            nxt = _add_months(today.replace(day=1), 1)
            value = _safe_date(nxt.year, nxt.month, day)
    if value is None:
        return None
    return DateHit(m.start(), m.end(), value, month_day, pod)


_HALF_HOUR_BEFORE = re.compile(r"(?:половин[еуы]|четверть|без\s+\S+)\s+$")
_TIME_PREFIX = {
    "en": re.compile(r"\b(?:at|by|around)\s+$"),
    "ru": re.compile(r"(?<!\w)(?:в|во|к|около)\s+$"),
}


def _preceded_by_time_word(text: str, pos: int, lang: Language) -> bool:
    return _TIME_PREFIX[lang].search(text, max(0, pos - 8), pos) is not None


_RU_HALF_OF = (
    "первого", "второго", "третьего", "четвертого", "пятого", "шестого", "седьмого", "восьмого", "девятого",
    "десятого", "одиннадцатого", "двенадцатого",
)  # fmt: skip


def _time_hit(m: re.Match[str], lang: Language) -> TimeHit | None:
    g = m.groupdict()
    pod = g["pod"]
    minute = 0
    strong = False  # the text itself says am/pm or 24-hour
    if g["noon"]:
        hour = 0 if g["noon"].startswith(("midn", "полун", "полноч")) else 12
        strong = True
    elif g.get("hb"):
        hour, minute = int(g["hb"]), 30
    elif g.get("ph"):  # "полтретьего" = half of the third hour = 2:30
        hour, minute = _RU_HALF_OF.index(g["ph"]) or 12, 30
    elif g["hh"]:
        hour, minute = int(g["hh"]) - (1 if lang == "ru" else 0), 30
        if lang == "ru" and hour == 0:
            hour = 12
    elif g["qh"]:
        hour = int(g["qh"])
        qdir = g.get("qdir")
        if lang == "ru":
            hour, minute = hour - 1 or 12, 15
        elif qdir in ("past", "after"):
            minute = 15
        else:
            hour, minute = (hour - 1) or 12, 45
    elif lang == "en" and g["mins"]:
        hour, mins = int(g["mh"]), int(g["mins"])
        if mins >= 60:
            return None
        if g["mdir"] in ("past", "after"):
            minute = mins
        else:
            hour, minute = (hour - 1) or 12, 60 - mins
    elif lang == "ru" and g["bh"]:
        hour, mins = int(g["bh"]), 15 if g["bq"] else int(g["bm"])
        if mins >= 60:
            return None
        hour, minute = (hour - 1) or 12, 60 - mins
    elif lang == "ru" and g["one"]:
        hour = 1
    else:
        hour = int(g["h"])
        m_colon = g["m"]
        m_space = g["ms"]
        pre = g["pre"]
        if lang == "en":
            ap = g["ap"]
            if m_colon is not None:
                minute = int(m_colon)
                strong = hour == 0 or hour > 12 or (m_colon is not None and g["h"].startswith("0"))
            elif m_space is not None:
                if not (pre or ap or pod):
                    return None
                minute = int(m_space)
            elif not (pre or ap or g["oc"] or pod):
                return None
            if ap:
                if not 1 <= hour <= 12:
                    return None
                hour = hour % 12 + (12 if ap == "p" else 0)
                strong = True
        else:
            if m_colon is not None:
                minute = int(m_colon)
                strong = hour == 0 or hour > 12 or g["h"].startswith("0")
            elif m_space is not None:
                if not (g["mw"] or g["hw"] or pre in ("в", "во", "к")):
                    return None
                minute = int(m_space)
            elif not (g["hw"] or pod or pre in ("в", "во", "к", "около")):
                return None
    if hour > 23 or minute > 59:
        return None
    if hour > 12:
        strong = True
    ambiguous = not strong and 1 <= hour <= 12
    if ambiguous and pod:
        hour = apply_pod(hour, pod)
        ambiguous = False
    return TimeHit(m.start(), m.start() + len(m.group().rstrip()), hour, minute, ambiguous)


def apply_pod(hour: int, pod: str) -> int:
    """Resolve an hour said as 1..12 with a part of the day ("7 in the evening" -> 19)."""
    if pod in _PM_PODS:
        return hour + 12 if hour < 12 else hour
    if pod in _NIGHT_PODS:
        return hour + 12 if 6 <= hour < 12 else (0 if hour == 12 else hour)
    if pod in _MORNING_PODS:
        return 0 if hour == 12 else hour
    return hour


def _moment(m: re.Match[str], now: datetime) -> datetime:
    if m.group("half"):
        return now + timedelta(minutes=30)
    raw = m.group("n")
    n = int(raw) if raw is not None and raw.isdigit() else 1
    unit = m.group("unit")
    if unit.startswith(("hour", "час")):
        return now + timedelta(hours=n)
    return now + timedelta(minutes=n)
