"""Fakes of the dialogue ports, driven by scripted data: for tests and for offline tools."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicebot.dialogue.ports import LlmMessage, Passage

__all__ = ["KeywordRetriever", "ScriptedLLM"]

_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) > 2}


class KeywordRetriever:
    """A retriever over in-memory passages per bot, scored by word overlap. Scoped to the bot asked."""

    def __init__(self, passages: Mapping[str, Iterable[Passage]]) -> None:
        self._passages = {bot: list(items) for bot, items in passages.items()}

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]:
        query_words = _words(query)
        if not query_words:
            return []
        scored = []
        for passage in self._passages.get(bot_id, []):
            overlap = len(query_words & _words(passage.text)) / len(query_words)
            if overlap > 0:
                scored.append(
                    Passage(
                        passage.chunk_id,
                        passage.doc_id,
                        passage.text,
                        overlap,
                        passage.source,
                        passage.page,
                        passage.section,
                    )
                )
        scored.sort(key=lambda p: p.score, reverse=True)
        return scored[:top_k]


@dataclass
class ScriptedLLM:
    """An LLM that answers from scripts and records every request it got.

    ``replies`` are returned in order by :meth:`reply`; ``intents`` maps a phrase found in the text to
    the intent :meth:`classify` returns; ``slots`` maps a phrase to the values :meth:`extract` returns.
    """

    replies: list[str] = field(default_factory=list)
    intents: dict[str, str] = field(default_factory=dict)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._replies = deque(self.replies)

    async def reply(self, messages: Sequence[LlmMessage]) -> str:
        self.requests.append(("reply", list(messages)))
        return self._replies.popleft() if self._replies else "I'm not sure."

    async def classify(self, text: str, intents: Sequence[str], *, context: str = "") -> str | None:
        self.requests.append(("classify", text))
        for phrase, intent in self.intents.items():
            if phrase in text.lower() and intent in intents:
                return intent
        return None

    async def extract(self, text: str, slots: Mapping[str, str], *, context: str = "") -> Mapping[str, Any]:
        self.requests.append(("extract", text))
        for phrase, values in self.slots.items():
            if phrase in text.lower():
                return {k: v for k, v in values.items() if k in slots}
        return {}
