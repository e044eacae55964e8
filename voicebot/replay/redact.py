"""Minimal PII redaction for exporting a recorded call as a scenario test.

The after-call redaction pipeline (analysis/) is built elsewhere; until it lands, an exported test is
redacted here, conservatively: e-mail addresses, card-like digit runs (13-19 digits), phone-like digit
runs (7 or more digits, with spaces, dots, dashes or brackets), the caller's number, and every value
the call recorded for a name-like slot (a text slot whose name contains ``name``) are replaced by
placeholders that still pass the slot's validation (an example number of the caller's country, a
valid test card number, ``caller@example.com``, a common first name). Numbers spoken as words are not
recognised: read an exported test before committing it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable

import phonenumbers

__all__ = ["Redactor", "placeholder_phone"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{5,}\d(?!\d)")
PLACEHOLDER_EMAIL = "caller@example.com"
PLACEHOLDER_CARD = "4111 1111 1111 1111"
PLACEHOLDER_NAMES = {"ru": "Анна", "en": "Alex"}


def placeholder_phone(real: str | None, default_region: str = "US") -> str:
    """A valid example number (E.164) of ``real``'s country: it passes phone validation, reaches no one."""
    region = default_region
    if real:
        with contextlib.suppress(phonenumbers.NumberParseException):
            region = phonenumbers.region_code_for_number(phonenumbers.parse(real, default_region)) or region
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+12015550123"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


class Redactor:
    """Replaces one call's PII in its caller lines."""

    def __init__(
        self, *, caller_number: str | None, names: Iterable[str], lang: str, region: str = "US"
    ) -> None:
        self.phone = placeholder_phone(caller_number, region)
        self.name = PLACEHOLDER_NAMES.get(lang, PLACEHOLDER_NAMES["en"])
        words = sorted({n.strip() for n in names if isinstance(n, str) and len(n.strip()) > 1}, key=len)
        self._names = [re.compile(rf"\b{re.escape(n)}\b", re.IGNORECASE) for n in reversed(words)]

    def text(self, line: str) -> str:
        # Markers first, placeholders last: a placeholder is never taken for PII itself.
        line = _EMAIL.sub("\x00e", line)
        line = _CARD.sub("\x00c", line)
        line = _PHONE.sub("\x00p", line)
        for pattern in self._names:
            line = pattern.sub("\x00n", line)
        for marker, value in (
            ("e", PLACEHOLDER_EMAIL),
            ("c", PLACEHOLDER_CARD),
            ("p", self.phone),
            ("n", self.name),
        ):
            line = line.replace("\x00" + marker, value)
        return line

    def digits(self, keys: str) -> str:
        """DTMF: a run long enough to be a card or a phone number becomes zeros of the same length."""
        return "0" * len(keys) if sum(c.isdigit() for c in keys) >= 7 else keys
