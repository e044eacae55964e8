"""Table and CSV rows rendered as a sentence a caller can hear.

``Product: Fiber 500; Category: Internet; Monthly price (USD): 34.90; Setup fee (USD): 0`` read aloud
is a spreadsheet; ``Fiber 500 costs 34.90 dollars a month, with no setup fee, category Internet.``
is an answer. The first non-empty cell is the row's subject; the first price-like column becomes
"costs"; a zero fee becomes "with no ..."; a unit in brackets moves after the value. Headers in
Cyrillic give the Russian phrasing ("Оптика 500 стоит 990 рублей в месяц, подключение — бесплатно").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["row_sentence"]

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_UNIT = re.compile(r"\s*[(\[]([^)\]]*)[)\]]\s*")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_PRICE = re.compile(r"price|cost|цена|стоимост", re.IGNORECASE)
_FEE = re.compile(r"fee|charge|deposit|плата|взнос|подключени|депозит", re.IGNORECASE)
_MONTHLY = re.compile(r"monthly|per month|a month|/\s*mo|в месяц|ежемесячн|абонент", re.IGNORECASE)
_PLAIN = re.compile(
    r"^(details|description|notes?|comment|описание|примечани[ея]|подробности|комментарий)$", re.IGNORECASE
)
_UNITS = {
    "usd": ("dollars", "долларов"),
    "$": ("dollars", "долларов"),
    "eur": ("euros", "евро"),
    "€": ("euros", "евро"),
    "rub": ("roubles", "рублей"),
    "руб": ("roubles", "рублей"),
    "руб.": ("roubles", "рублей"),
    "₽": ("roubles", "рублей"),
    "р.": ("roubles", "рублей"),
}


def _split_header(header: str, ru: bool) -> tuple[str, str]:
    """(name, spoken unit): "Monthly price (USD)" -> ("monthly price", "dollars")."""
    unit = ""
    m = _UNIT.search(header)
    if m:
        raw = m.group(1).strip()
        unit = _UNITS.get(raw.lower(), (raw, raw))[1 if ru else 0]
        header = _UNIT.sub(" ", header)
    name = " ".join(header.split())
    return (name[:1].lower() + name[1:]) if not name[:2].isupper() else name, unit


def _is_zero(value: str) -> bool:
    return bool(_NUMBER.match(value)) and float(value.replace(",", ".")) == 0.0


def row_sentence(header: Sequence[str], row: Sequence[str]) -> str:
    """One spoken sentence for a row under ``header`` (cells matched by position; empty cells skipped)."""
    cells = [(h.strip(), c.strip()) for h, c in zip(header, row, strict=False) if c.strip()]
    if not cells:
        return ""
    ru = bool(_CYRILLIC.search(" ".join(h for h, _ in cells)))
    subject = cells[0][1]
    priced = False
    parts: list[str] = []
    for h, value in cells[1:]:
        name, unit = _split_header(h, ru)
        amount = f"{value} {unit}".strip()
        price_like = (bool(_PRICE.search(h)) and not _FEE.search(h)) or bool(_MONTHLY.search(h))
        if price_like and not priced and not _is_zero(value):
            priced = True
            month = (" в месяц" if ru else " a month") if _MONTHLY.search(h) else ""
            parts.insert(0, (f"стоит {amount}{month}" if ru else f"costs {amount}{month}"))
        elif (_FEE.search(h) or _PRICE.search(h)) and _is_zero(value):
            parts.append(f"{name} — бесплатно" if ru else f"with no {name}")
        elif _PLAIN.match(name):
            parts.append(amount)  # "details: 500 Mbit/s download" says just "500 Mbit/s download"
        else:
            parts.append(f"{name} — {amount}" if ru else f"{name} {amount}")
    if not parts:
        return subject.rstrip(".") + "."
    if not priced:
        return f"{subject}: {', '.join(parts)}."
    return f"{subject} {', '.join(parts)}."
