"""Spoken templates: parsed once per scenario, rendered per turn without an LLM.

A template is Python-format-like text: ``{slot}`` is replaced by the slot's spoken form,
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

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts if name is not None)

    def render(self, lookup: Callable[[str], str]) -> str:
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name is not None:
                out.append(lookup(name))
        return " ".join("".join(out).split())


_FORMATTER = string.Formatter()


def parse_template(text: str) -> Template:
    """Parse ``text`` once; raises ValueError on unbalanced braces."""
    parts: list[tuple[str, str | None]] = []
    for literal, field_name, _spec, _conv in _FORMATTER.parse(text):
        parts.append((literal, field_name if field_name else None))
    return Template(tuple(parts))
