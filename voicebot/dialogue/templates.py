"""Spoken templates: parsed once per scenario, rendered per turn without an LLM.

A template is Python-format-like text: ``{slot}`` is replaced by the slot's spoken form (``{slot:format}``
in a format of :mod:`voicebot.dialogue.formats`),
``{bot_name}`` and ``{caller_number}`` by facts about the bot and the call; ``{{`` is a literal brace.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Template", "parse_template"]


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, alternating."""

    parts: tuple[tuple[str, str | None], ...]
    formats: tuple[str, ...] = ()
    """Per part, the placeholder's format (``{date:day_month}`` -> "day_month"; "" for none); () if none."""

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts if name is not None)

    def render(self, lookup: Callable[[str], str], formatted: Callable[[str, str], str] | None = None) -> str:
        """Fill placeholders with ``lookup(name)``, or ``formatted(name, format)`` when one is written."""
        out: list[str] = []
        for index, (literal, name) in enumerate(self.parts):
            out.append(literal)
            if name is not None:
                fmt = self.formats[index] if self.formats else ""
                out.append(formatted(name, fmt) if fmt and formatted is not None else lookup(name))
        return " ".join("".join(out).split())


_FORMATTER = string.Formatter()


def parse_template(text: str) -> Template:
    """Parse ``text`` once; raises ValueError on unbalanced braces."""
    parts: list[tuple[str, str | None]] = []
    formats: list[str] = []
    for literal, field_name, spec, _conv in _FORMATTER.parse(text):
        parts.append((literal, field_name if field_name else None))
        formats.append(spec or "")
    return Template(tuple(parts), tuple(formats) if any(formats) else ())
