"""Chunks overlap, stay under the size limit and never mix pages or sections."""

from __future__ import annotations

import itertools

from voicebot.knowledge.chunking import chunk_blocks, split_sentences
from voicebot.knowledge.extract import Block


def test_long_text_is_split_into_overlapping_chunks_under_the_limit() -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(60))
    chunks = chunk_blocks([Block(text)], max_chars=300, overlap_chars=80)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        # The next chunk starts with the previous one's trailing sentences (the overlap).
        assert split_sentences(before.text)[-1] in after.text
        assert split_sentences(after.text)[0] in split_sentences(before.text)
    joined = " ".join(c.text for c in chunks)
    assert all(f"topic {i}." in joined for i in range(60))


def test_chunks_do_not_cross_pages_or_sections() -> None:
    blocks = [Block("Alpha one.", page=1), Block("Alpha two.", page=1), Block("Beta.", page=2, section="S")]
    chunks = chunk_blocks(blocks)
    assert [(c.page, c.section, c.text) for c in chunks] == [
        (1, None, "Alpha one. Alpha two."),
        (2, "S", "Beta."),
    ]


def test_a_sentence_longer_than_a_chunk_is_cut_at_words() -> None:
    chunks = chunk_blocks([Block("word " * 200)], max_chars=100, overlap_chars=0)
    assert all(0 < len(c.text) <= 100 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 200


def test_sentence_split_keeps_decimals_and_abbreviations() -> None:
    assert split_sentences("Fibre 500 costs 34.90 euros, e.g. per month. Next one!") == [
        "Fibre 500 costs 34.90 euros, e.g. per month.",
        "Next one!",
    ]
