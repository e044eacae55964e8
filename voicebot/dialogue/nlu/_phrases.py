"""Phrase lookup for enum synonyms and yes/no words, by stem, longest phrase first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from voicebot.dialogue.nlu._text import WORD, normalize, stem
from voicebot.scenario.model import Language

__all__ = ["_PhraseIndex"]

_Phrase = tuple[tuple[str, ...], bool, str]  # (stems, exact-surface?, canonical) — see _PhraseIndex


class _PhraseIndex:
    """Phrases (enum synonyms, yes/no words) indexed by first stem, longest first."""

    __slots__ = ("_by_first", "_use_stems")

    def __init__(self, phrases: Mapping[str, Sequence[str]], lang: Language, *, use_stems: bool) -> None:
        by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = {}
        for canonical, variants in phrases.items():
            for variant in variants:
                surface = tuple(WORD.findall(normalize(variant, lang).norm))
                if not surface:
                    continue
                keys = tuple(stem(w) for w in surface) if use_stems else surface
                by_first.setdefault(keys[0], []).append((keys, surface, canonical))
        for entries in by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        self._by_first = by_first
        self._use_stems = use_stems

    def find(self, tokens: Sequence[tuple[str, str, int, int]]) -> list[tuple[int, int, str, bool, int]]:
        """Matches as (start, end, canonical, exact, n_words); longest match at each position."""
        out: list[tuple[int, int, str, bool, int]] = []
        n = len(tokens)
        seq = [t[1] for t in tokens] if self._use_stems else [t[0] for t in tokens]
        i = 0
        while i < n:
            entries = self._by_first.get(seq[i])
            matched = False
            if entries:
                for keys, surface, canonical in entries:
                    k = len(keys)
                    if i + k <= n and all(seq[i + x] == keys[x] for x in range(1, k)):
                        exact = all(tokens[i + x][0] == surface[x] for x in range(k))
                        out.append((tokens[i][2], tokens[i + k - 1][3], canonical, exact, k))
                        i += k
                        matched = True
                        break
            if not matched:
                i += 1
        return out
