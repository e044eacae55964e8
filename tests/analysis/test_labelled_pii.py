"""Recall, false positives and speed of the PII recognizers on the labelled sets (EN and RU).

Each line of tests/analysis/labelled/pii_<lang>.jsonl is a caller turn with its PII spans as
``[kind, text]``; a span is found when a recognizer of that kind returns a span overlapping it. The
floors are what the recognizers reach today (docs/performance.md); a change that loses recall fails.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from voicebot.analysis import PrivacyPolicy, find_pii, redact_text

LABELLED = Path(__file__).parent / "labelled"
RECALL_FLOOR = {"en": 0.97, "ru": 0.97}
MAX_FALSE_POSITIVE_TURNS = 0
MAX_MEAN_US = 1500.0


def _load(lang: str) -> list[dict[str, object]]:
    return [
        json.loads(line) for line in (LABELLED / f"pii_{lang}.jsonl").read_text("utf-8").splitlines() if line
    ]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_recognizers_recall_and_false_positives_on_the_labelled_set(lang: str) -> None:
    examples = _load(lang)
    wanted = found = false_positive_turns = 0
    misses: list[str] = []
    for ex in examples:
        text = str(ex["text"])
        spans = find_pii(text, lang)
        labels = [tuple(p) for p in ex["pii"]]  # type: ignore[attr-defined]
        for kind, part in labels:
            start = text.index(part)
            end = start + len(part)
            wanted += 1
            if any(s.kind == kind and s.start < end and start < s.end for s in spans):
                found += 1
            else:
                misses.append(f"{kind}: {text}")
        if not labels and spans:
            false_positive_turns += 1
            misses.append(f"false positive: {text} -> {[(s.kind, text[s.start : s.end]) for s in spans]}")
    recall = found / wanted
    print(f"{lang}: recall {recall:.3f} ({found}/{wanted}), false-positive turns {false_positive_turns}")
    assert recall >= RECALL_FLOOR[lang], misses
    assert false_positive_turns <= MAX_FALSE_POSITIVE_TURNS, misses


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_redaction_is_fast_enough_to_run_on_every_turn(lang: str) -> None:
    texts = [str(ex["text"]) for ex in _load(lang)]
    policy = PrivacyPolicy(mode="redact")
    for text in texts:  # warm-up (regex compilation, phonenumbers metadata)
        redact_text(text, policy, lang=lang)
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            redact_text(text, policy, lang=lang)
    mean_us = (time.perf_counter() - started) / (rounds * len(texts)) * 1e6
    print(f"{lang}: {mean_us:.0f} us per turn (redact_text, all recognizers)")
    assert mean_us < MAX_MEAN_US


def test_redacted_text_keeps_no_labelled_value() -> None:
    policy = PrivacyPolicy(mode="redact")
    for lang in ("en", "ru"):
        for ex in _load(lang):
            redacted = redact_text(str(ex["text"]), policy, lang=lang).text
            for _, part in ex["pii"]:  # type: ignore[attr-defined]
                digits = "".join(c for c in part if c.isdigit())
                assert part not in redacted and (len(digits) < 4 or digits not in redacted), redacted
