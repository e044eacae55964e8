"""Hostile documents are refused fast: a docx zip bomb from its zip directory, a document far over the
passage limit while it is being extracted (not after)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import docx
import pytest

from voicebot.errors import KnowledgeError
from voicebot.knowledge.extract import MAX_DOCX_PART_BYTES, extract

_PARAGRAPH = b"<w:p><w:r><w:t>All work and no play makes a dull bot.</w:t></w:r></w:p>"


def _docx_with_body(paragraphs: int) -> bytes:
    """A real docx (python-docx's template) whose document.xml holds ``paragraphs`` copies of a paragraph,
    streamed into the zip so the test never holds the inflated XML."""
    template = io.BytesIO()
    docx.Document().save(template)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))
                continue
            head, _, tail = source.read(info).partition(b"<w:body>")
            with target.open("word/document.xml", "w", force_zip64=True) as member:
                member.write(head + b"<w:body>")
                block = _PARAGRAPH * 10_000
                for _ in range(paragraphs // 10_000):
                    member.write(block)
                member.write(_PARAGRAPH * (paragraphs % 10_000))
                member.write(b"</w:body>" + tail.partition(b"</w:body>")[2])
    return out.getvalue()


def test_a_docx_that_inflates_hugely_is_refused_in_well_under_a_second() -> None:
    bomb = _docx_with_body(3_000_000)  # ~220 MB of XML
    assert len(bomb) < 1_000_000  # under a megabyte on disk
    started = time.perf_counter()
    with pytest.raises(KnowledgeError) as caught:
        extract(Path("bomb.docx"), bomb)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2, elapsed
    message = str(caught.value)
    assert message.startswith("bomb.docx: the docx would decompress to more than ")
    assert "'word/document.xml'" in message
    assert MAX_DOCX_PART_BYTES // (1024 * 1024) == 32


def test_the_passage_limit_stops_extraction_early() -> None:
    document = _docx_with_body(200_000)  # ~15 MB of XML: under the size cap, 200,000 paragraphs
    started = time.perf_counter()
    with pytest.raises(KnowledgeError, match="makes more than 100 passages; the limit is 100"):
        extract(Path("long.docx"), document, max_passages=100, passage_chars=700)
    # Extracting all 200,000 paragraphs takes ~10 s here; stopping at the limit costs the XML parse.
    assert time.perf_counter() - started < 2.0


def test_a_text_far_over_the_passage_limit_is_refused_by_its_characters() -> None:
    text = ("word " * 200 + "\n\n") * 50  # 50 paragraphs of 1,000 characters
    with pytest.raises(KnowledgeError, match="more than 10 passages"):
        extract(Path("a.txt"), text.encode(), max_passages=10, passage_chars=700)
    assert len(extract(Path("a.txt"), text.encode(), max_passages=100, passage_chars=700)) == 50
