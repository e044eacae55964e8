"""PII redaction policy and the redaction of one turn's text.

A :class:`PrivacyPolicy` is set per company (and optionally per bot, which wins):

* ``off``: nothing is redacted; transcripts are stored and served as heard;
* ``redact``: the post-call pipeline stores a redacted copy of every turn beside the raw text; the API,
  analytics and webhooks show the redacted copy; the raw text stays until the company's raw-text
  retention (if any) drops it;
* ``redact_drop_raw``: as ``redact``, and the raw text is dropped ``drop_raw_after_days`` days after the
  call (0: at once, by the pipeline itself).

Where the engine filled a PII slot on a turn (a phone, an e-mail, a name, an address, a date of birth:
:func:`is_pii_slot`), the slot's value is located in that turn's text and redacted; when it cannot be
located, the whole caller turn is redacted (conservative: the engine heard PII there). The recognizers
(:mod:`voicebot.analysis.recognizers`) add what no slot captured. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from voicebot.analysis.recognizers import RECOGNIZERS, Span, digitize, find_pii, merge_spans
from voicebot.errors import ConfigError

__all__ = [
    "MODES",
    "PrivacyPolicy",
    "Redacted",
    "SlotHeard",
    "is_pii_slot",
    "redact_text",
    "slot_spans",
]

Mode = Literal["off", "redact", "redact_drop_raw"]
MODES: Final = ("off", "redact", "redact_drop_raw")

PLACEHOLDERS: Final = {
    "card": "[CARD]",
    "iban": "[IBAN]",
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
    "name": "[NAME]",
    "date_of_birth": "[DOB]",
    "slot": "[REDACTED]",
}


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """How a company's (or a bot's) transcripts are kept. Validated at construction."""

    mode: Mode = "off"
    drop_raw_after_days: int | None = None
    recognizers: tuple[str, ...] = tuple(RECOGNIZERS)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"privacy mode {self.mode!r} must be one of {', '.join(MODES)}")
        unknown = [r for r in self.recognizers if r not in RECOGNIZERS]
        if unknown:
            raise ConfigError(
                f"unknown recognizer {', '.join(repr(u) for u in unknown)}: "
                f"known recognizers are {', '.join(RECOGNIZERS)}"
            )
        if self.drop_raw_after_days is not None and self.drop_raw_after_days < 0:
            raise ConfigError(f"drop_raw_after_days={self.drop_raw_after_days} must be 0 or more days")
        if self.mode == "redact_drop_raw" and self.drop_raw_after_days is None:
            raise ConfigError("mode 'redact_drop_raw' needs drop_raw_after_days (0 or more)")
        if self.mode != "redact_drop_raw" and self.drop_raw_after_days is not None:
            raise ConfigError(
                f"drop_raw_after_days applies only to mode 'redact_drop_raw', not {self.mode!r}"
            )

    @property
    def redacts(self) -> bool:
        return self.mode != "off"

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "drop_raw_after_days": self.drop_raw_after_days,
            "recognizers": list(self.recognizers),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PrivacyPolicy:
        if not data:
            return cls()
        recognizers = data.get("recognizers")
        return cls(
            mode=data.get("mode", "off"),
            drop_raw_after_days=data.get("drop_raw_after_days"),
            recognizers=tuple(recognizers) if recognizers else tuple(RECOGNIZERS),
        )


@dataclass(frozen=True, slots=True)
class SlotHeard:
    """A slot the engine filled on a turn (from ``extracted_slots``)."""

    name: str
    type: str | None
    value: Any


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    spans: tuple[Span, ...] = ()
    kinds: Mapping[str, int] = field(default_factory=dict)
    """kind -> how many spans of it were redacted (what is stored about the PII: never the values)."""


_PII_SLOT_NAME: Final = re.compile(
    r"name|surname|фамил|имя|address|адрес|street|улиц|birth|dob|рожден|card|карт|iban|passport|паспорт|"
    r"ssn|snils|снилс|inn|инн|email|mail|почт|phone|телефон|mobile",
    re.IGNORECASE,
)


def is_pii_slot(name: str, slot_type: str | None) -> bool:
    """A slot holding personal data: phone and email types, or a name that says name/address/birth..."""
    return slot_type in ("phone", "email") or bool(_PII_SLOT_NAME.search(name))


def _slot_kind(slot: SlotHeard) -> str:
    low = slot.name.lower()
    if slot.type == "phone" or "phone" in low or "телефон" in low:
        return "phone"
    if slot.type == "email" or "mail" in low or "почт" in low:
        return "email"
    if any(w in low for w in ("birth", "dob", "рожден")):
        return "date_of_birth"
    if any(w in low for w in ("address", "адрес", "street", "улиц")):
        return "address"
    if any(w in low for w in ("name", "фамил", "имя")):
        return "name"
    return "slot"


def slot_spans(text: str, slots: Iterable[SlotHeard], lang: str = "en") -> list[Span]:
    """Where the engine heard each PII slot's value in ``text`` (the whole text when it cannot tell)."""
    out: list[Span] = []
    language: Literal["en", "ru"] = "ru" if lang.startswith("ru") else "en"
    d = None
    for slot in slots:
        if not is_pii_slot(slot.name, slot.type) or slot.value in (None, ""):
            continue
        kind = _slot_kind(slot)
        value = str(slot.value)
        found: Span | None = None
        at = text.lower().find(value.lower())
        if at >= 0:
            found = Span(at, at + len(value), kind, "slot")
        elif kind == "phone":
            d = d or digitize(text, language)
            wanted = re.sub(r"\D", "", value)[-7:]
            for m in re.finditer(r"\d(?:[\s\-().]{0,3}\d)*", d.text):
                if len(wanted) >= 7 and wanted in re.sub(r"\D", "", m.group()):
                    found = Span(*d.span(m.start(), m.end()), kind, "slot")
                    break
        elif kind in ("name", "address", "slot"):
            parts = [p for p in re.split(r"\W+", value) if len(p) > 1]
            hits = [(m.start(), m.end()) for p in parts for m in re.finditer(re.escape(p), text, re.I)]
            if hits:
                found = Span(min(h[0] for h in hits), max(h[1] for h in hits), kind, "slot")
        if found is None:
            found = Span(0, len(text), kind, "slot")
        out.append(found)
    return out


def redact_text(
    text: str, policy: PrivacyPolicy, *, lang: str = "en", slots: Sequence[SlotHeard] = ()
) -> Redacted:
    """``text`` with every PII span replaced by a placeholder such as ``[PHONE]``."""
    if not policy.redacts or not text:
        return Redacted(text)
    spans = merge_spans([*slot_spans(text, slots, lang), *find_pii(text, lang, policy.recognizers)])
    if not spans:
        return Redacted(text)
    parts: list[str] = []
    pos = 0
    kinds: dict[str, int] = {}
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(PLACEHOLDERS.get(span.kind, "[REDACTED]"))
        kinds[span.kind] = kinds.get(span.kind, 0) + 1
        pos = span.end
    parts.append(text[pos:])
    return Redacted("".join(parts), tuple(spans), kinds)
