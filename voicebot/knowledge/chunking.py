"""Split extracted blocks into overlapping passages of about ``max_chars`` characters.

Chunks follow sentence boundaries and never cross a page or section, so each passage's page and
section are exact. Consecutive chunks of the same section share up to ``overlap_chars`` of trailing
sentences, so an answer that straddles a boundary is still found whole in one chunk. A csv row (an
atomic block) is always its own chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from voicebot.errors import ConfigError
from voicebot.knowledge.extract import Block

__all__ = ["Chunk", "chunk_blocks", "embedding_text", "split_sentences"]

# A sentence ends at . ! ? … followed by space and an upper-case letter, digit or quote; "e.g. the"
# and "5.5 GB" do not split.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'«(\[]?[A-ZА-ЯЁ0-9])")


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    page: int | None
    section: str | None


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (whitespace normalised); a simple rule that suits FAQ and policy prose."""
    text = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(text) if s]


def _pieces(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than max_chars, cut at word boundaries."""
    out: list[str] = []
    current = ""
    for word in sentence.split():
        if current and len(current) + 1 + len(word) > max_chars:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def chunk_blocks(blocks: Iterable[Block], *, max_chars: int = 700, overlap_chars: int = 150) -> list[Chunk]:
    """Pack sentences of consecutive blocks with the same page and section into overlapping chunks."""
    if max_chars < 50:
        raise ConfigError(f"max_chars={max_chars} must be at least 50")
    if not 0 <= overlap_chars < max_chars // 2:
        raise ConfigError(f"overlap_chars={overlap_chars} must be between 0 and max_chars/2")
    chunks: list[Chunk] = []
    for (page, section, atomic), group in groupby(blocks, key=lambda b: (b.page, b.section, b.atomic)):
        if atomic:
            chunks.extend(Chunk(" ".join(b.text.split()), page, section) for b in group)
            continue
        sentences: list[str] = []
        for block in group:
            for s in split_sentences(block.text):
                sentences.extend(_pieces(s, max_chars) if len(s) > max_chars else [s])
        window: list[str] = []
        size = 0
        fresh = 0  # sentences in the window that no earlier chunk contains
        for sentence in sentences:
            if window and size + 1 + len(sentence) > max_chars:
                chunks.append(Chunk(" ".join(window), page, section))
                # Keep trailing sentences up to overlap_chars as the start of the next chunk.
                kept: list[str] = []
                kept_size = 0
                for s in reversed(window):
                    too_long = kept_size + len(s) + len(sentence) > max_chars
                    if kept_size + len(s) + 1 > overlap_chars or too_long:
                        break
                    kept.insert(0, s)
                    kept_size += len(s) + 1
                window, size, fresh = kept, kept_size, 0
            window.append(sentence)
            size += len(sentence) + 1
            fresh += 1
        if window and fresh:
            chunks.append(Chunk(" ".join(window), page, section))
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its section title (an FAQ question, a policy heading) says what
    the chunk is about, so it goes in front; a csv row's "row N" does not."""
    if chunk.section and not chunk.section.startswith("row "):
        return f"{chunk.section}: {chunk.text}"
    return chunk.text
